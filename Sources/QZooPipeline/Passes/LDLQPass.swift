import QZooCore
import QZooModels
import QZooQuant

/// LDLQ rounding after a `calibrate` stage, onto a codebook: a lattice (`e8p`, `e8p-rvq3`,
/// `e8p-rvq4`: QuIP#'s block LDLQ, 8 columns at a time, at `RMS/rho`, refined by `tune_passes`
/// of block coordinate descent) or a scalar `grid` of `bits` (LDLQ one column at a time, which
/// is GPTQ without act-order: per-row asymmetric scales, as QuIP rounds). After a `hadamard`
/// stage every weight is rounded inside its randomized Hadamard rotation — QuIP# is
/// `hadamard` + `ldlq` with a lattice codebook. Each linear measured on the model as quantized up
/// to it (`sequential`, the default, with `bias_correction` and `asymmetric_calibration` as in `gptq`), or with the calibrate
/// stage's fixed Hessians.
public struct LDLQPass: Pass {
    public static let name = "ldlq"
    public static let summary = "LDLQ rounding after a calibrate stage (and usually a hadamard stage) onto a codebook: e8p | e8p-rvq3 | e8p-rvq4 (rho, tune_passes) or grid (bits); damp, sequential, bias_correction, asymmetric_calibration"
    public static let signature = PassSignature(inputs: 1...1, consumes: .checkpoint, produces: .checkpoint, usesTargets: true)

    let rounding: any CalibratedQuantizer
    let sequential: Bool
    let corrections: SequentialCorrections

    public init(parameters: inout PassParameters) throws {
        let codebook = try parameters.string("codebook", default: LatticeCodebook.e8p.rawValue) { name in
            name == "grid" || LatticeCodebook(rawValue: name) != nil
                ? nil : "'\(name)' is not one of \((LatticeCodebook.allCases.map(\.rawValue) + ["grid"]).joined(separator: ", "))"
        } ?? LatticeCodebook.e8p.rawValue
        sequential = try parameters.bool("sequential", default: true)
        corrections = try parameters.sequentialCorrections(sequential: sequential)
        if let lattice = LatticeCodebook(rawValue: codebook) {
            let defaults = QuIPSharpParameters(codebook: lattice)
            rounding = try QuIPSharpQuantizer(parameters: QuIPSharpParameters(
                codebook: lattice, rho: try parameters.double("rho", in: 0.01...100, default: lattice.defaultRho),
                damp: try parameters.double("damp", in: 0...1, default: defaults.damp),
                tunePasses: try parameters.int("tune_passes", in: 0...1000, default: defaults.tunePasses),
                sequential: sequential))
        } else {
            rounding = try GPTQQuantizer(parameters: GPTQParameters(
                bits: try parameters.int("bits", in: 2...8), damp: try parameters.double("damp", in: 0...1, default: 0.01)))
        }
    }

    public func apply(_ inputs: [PipelineState], context: StageContext) throws -> PipelineState {
        try PipelineState.calibratedRounding(inputs, context: context, pass: Self.name, quantizer: rounding, sequential: sequential,
                                             corrections: corrections)
    }
}
