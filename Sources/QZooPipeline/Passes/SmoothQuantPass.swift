import QZooCore
import QZooModels
import QZooQuant

/// SmoothQuant W8A8 after a `calibrate` stage: every LayerNorm → linears group smoothed with
/// `s = max|X|^α / max|W|^(1−α)` (an explicit input multiply where the LayerNorm also feeds the
/// residual), weights rounded to a symmetric per-channel grid (int8 by default), and every
/// quantized linear's input given activation quantization, static per tensor from the smoothed
/// calibration maxima or dynamic per token; a QDQ JSON export writes them.
public struct SmoothQuantPass: Pass {
    public static let name = "smoothquant"
    public static let summary = "SmoothQuant smoothing + W8A8 (int8 per-channel weights, activation quantization) after a calibrate stage (alpha, bits, act_bits, act_scheme)"
    public static let signature = PassSignature(inputs: 1...1, consumes: .checkpoint, produces: .checkpoint, usesTargets: true)

    let model: SmoothQuantModel
    let weightGrid: AffineGrid

    public init(parameters: inout PassParameters) throws {
        let alpha = try parameters.double("alpha", in: 0...1, default: 0.5)
        let bits = try parameters.int("bits", in: 2...8, default: 8)
        let activationBits = try parameters.int("act_bits", in: 4...16, default: 8)
        let scheme = try parameters.choice("act_scheme", default: SmoothQuantParameters.ActivationScheme.static)
        guard [4, 8, 16].contains(activationBits) else {
            throw parameters.error(at: "act_bits", "must be 4, 8 or 16 (an ONNX integer width)")
        }
        model = try SmoothQuantModel(parameters: SmoothQuantParameters(
            alpha: alpha, activationBits: activationBits, activationScheme: scheme))
        weightGrid = AffineGrid(bits: bits, symmetric: true, granularity: .perChannel)
    }

    public func apply(_ inputs: [PipelineState], context: StageContext) throws -> PipelineState {
        let (input, checkpoint) = try PipelineState.checkpoint(of: inputs, stage: context.stageID)
        try input.refuseIncoherence(stage: context.stageID)
        var state = input
        let calibration = try PipelineCalibration.required(state, stage: context.stageID, pass: Self.name)
        let (runnable, dense) = try RunnableBert.of(state, checkpoint: checkpoint, stage: context.stageID)
        let selection = try context.selection(calibration: calibration)
        let selected = Set(selectWeights(dense, selection: selection).jobs.map(\.name))
        let (smoothed, _) = try model.run(dense, architecture: runnable.architecture, calibration: calibration.statistics, selected: selected)
        let result = try quantizeCheckpoint(smoothed, with: try RTNQuantizer(grid: weightGrid), selection: selection)
        try state.adopt(result, stage: context.stageID)
        return state
    }
}
