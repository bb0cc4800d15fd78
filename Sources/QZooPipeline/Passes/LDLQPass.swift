import QZooCore
import QZooModels
import QZooQuant

/// QuIP# (no fine-tuning) after a `calibrate` stage: each calibrated linear weight is rotated on
/// both sides by a randomized Hadamard transform (its Hessian with it), coded 8 columns at a time
/// with block LDLQ onto a lattice codebook, and refined by `tune_passes` of block coordinate
/// descent. Layer by layer on the already-quantized model (`sequential`, the default), or with
/// the calibrate stage's fixed Hessians. The rotation is part of this stage (not a stage of its
/// own) because weight and Hessian must be rotated together and a rotated dense weight is not
/// runnable for the calibration that follows.
public struct LDLQPass: Pass {
    public static let name = "ldlq"
    public static let summary = "QuIP# lattice rounding with Hadamard incoherence after a calibrate stage (codebook: e8p | e8p-rvq3 | e8p-rvq4, rho, damp, tune_passes, seed, sequential)"
    public static let signature = PassSignature(inputs: 1...1, consumes: .checkpoint, produces: .checkpoint, usesTargets: true)

    let quantizer: QuIPSharpQuantizer

    public init(parameters: inout PassParameters) throws {
        let codebook: LatticeCodebook = try parameters.choice("codebook", default: .e8p)
        let defaults = QuIPSharpParameters(codebook: codebook)
        let settings = QuIPSharpParameters(
            codebook: codebook, rho: try parameters.double("rho", in: 0.01...100, default: codebook.defaultRho),
            damp: try parameters.double("damp", in: 0...1, default: defaults.damp),
            tunePasses: try parameters.int("tune_passes", in: 0...1000, default: defaults.tunePasses),
            seed: UInt64(try parameters.int("seed", in: 0...Int.max, default: 0)),
            sequential: try parameters.bool("sequential", default: defaults.sequential))
        quantizer = try QuIPSharpQuantizer(parameters: settings)
    }

    public func apply(_ inputs: [PipelineState], context: StageContext) throws -> PipelineState {
        try PipelineState.calibratedRounding(inputs, context: context, pass: Self.name, quantizer: quantizer,
                                             sequential: quantizer.parameters.sequential)
    }
}
