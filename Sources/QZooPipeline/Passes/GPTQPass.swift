import QZooCore
import QZooModels
import QZooQuant

/// GPTQ rounding of the calibrated linear weights (or the `targets`) against the Hessians of a
/// `calibrate` stage before it: each linear measured on the model as quantized up to it
/// (`sequential`, the default; with `bias_correction`, also the default, each weight is rounded
/// against its input covariance and its bias absorbs the mean output shift; with `asymmetric_calibration`,
/// also the default, each weight is fitted to the float model's output), or with the
/// calibrate stage's fixed Hessians. Weights without statistics (BERT's pooler) stay dense
/// unless `targets` names them, which is then an error.
public struct GPTQPass: Pass {
    public static let name = "gptq"
    public static let summary = "GPTQ Hessian-aware rounding after a calibrate stage (bits, group_size, sym, act_order, static_groups, damp, block_size, sequential, bias_correction, asymmetric_calibration)"
    public static let signature = PassSignature(inputs: 1...1, consumes: .checkpoint, produces: .checkpoint, usesTargets: true)

    let quantizer: GPTQQuantizer
    let corrections: SequentialCorrections

    public init(parameters: inout PassParameters) throws {
        let defaults = GPTQParameters(bits: 4)
        let bits = try parameters.int("bits", in: 1...8)
        let settings = GPTQParameters(
            bits: bits, groupSize: try parameters.optionalInt("group_size", in: 1...(1 << 20)),
            symmetric: try parameters.bool("sym", default: defaults.symmetric),
            actOrder: try parameters.bool("act_order", default: defaults.actOrder),
            staticGroups: try parameters.bool("static_groups", default: defaults.staticGroups),
            damp: try parameters.double("damp", in: 0...1, default: defaults.damp),
            blockSize: try parameters.int("block_size", in: 1...(1 << 20), default: defaults.blockSize),
            sequential: try parameters.bool("sequential", default: defaults.sequential))
        if bits == 1 && settings.symmetric {
            throw parameters.error(at: "sym", "a symmetric 1-bit grid has only the levels −scale and 0; set sym: false")
        }
        quantizer = try GPTQQuantizer(parameters: settings)
        corrections = try parameters.sequentialCorrections(sequential: settings.sequential)
    }

    public func apply(_ inputs: [PipelineState], context: StageContext) throws -> PipelineState {
        try PipelineState.calibratedRounding(inputs, context: context, pass: Self.name, quantizer: quantizer,
                                             sequential: quantizer.parameters.sequential, corrections: corrections)
    }
}
