import QZooCore
import QZooQuant

/// Randomized Hadamard incoherence (QuIP, QuIP#) for the calibrated rounding stage after it.
///
/// The rotation `Wr = 𝓗ᵀ S_V W S_U 𝓗` only helps together with its Hessian (`Hr`, rotated the
/// same way) and a rounding that uses it, and a rotated dense weight is not a model anyone can
/// run or calibrate. So this stage does not rewrite the weights: it asks the next `gptq` or
/// `ldlq` stage to round every weight inside the rotation, which that stage stores with the
/// codes (`randomized_hadamard` transform, undone by dequantization). A `calibrate` stage may
/// come before or after it; any other quantizing or exporting stage refuses the request.
public struct HadamardPass: Pass {
    public static let name = "hadamard"
    public static let summary = "randomized Hadamard incoherence for the next gptq/ldlq stage, which rounds weight and Hessian rotated (seed)"
    public static let signature = PassSignature(inputs: 1...1, consumes: .checkpoint, produces: .checkpoint, usesTargets: false)

    let incoherence: HadamardIncoherence

    public init(parameters: inout PassParameters) throws {
        incoherence = HadamardIncoherence(seed: UInt64(try parameters.int("seed", in: 0...Int.max, default: 0)))
    }

    public func apply(_ inputs: [PipelineState], context: StageContext) throws -> PipelineState {
        var (state, _) = try PipelineState.checkpoint(of: inputs, stage: context.stageID)
        guard state.incoherence == nil else {
            throw QZooError(.invalidArgument, "stage '\(context.stageID)': the model already carries a 'hadamard' stage's request; "
                            + "rotating twice would only change the signs, so use one hadamard stage")
        }
        state.incoherence = incoherence
        return state
    }
}
