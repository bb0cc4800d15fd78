import QZooCore
import QZooModels
import QZooQuant

/// AWQ after a `calibrate` stage: the activation-aware scale search per scale group (scales
/// folded where the producer allows, explicit input multiplies otherwise), the clip search, then
/// round to nearest on the same grid (`quantize: rtn`, the default). With `quantize: none` the
/// scaled (still dense) model goes on with its statistics transformed to the scaled inputs, for
/// a `gptq` stage to quantize (AWQ + GPTQ).
public struct AWQPass: Pass {
    public static let name = "awq"
    public static let summary = "AWQ activation-aware scale and clip search after a calibrate stage, then RTN or none (bits, group_size, zero_point, n_grid, duo_scaling, clip, quantize)"
    public static let signature = PassSignature(inputs: 1...1, consumes: .checkpoint, produces: .checkpoint, usesTargets: true)

    let search: AWQModelSearch
    let quantize: Bool

    /// What follows the searches: round to nearest here, or nothing (a later stage quantizes).
    enum Finish: String, CaseIterable { case rtn, none }

    public init(parameters: inout PassParameters) throws {
        let defaults = AWQParameters(bits: 4)
        let bits = try parameters.int("bits", in: 1...8)
        let settings = AWQParameters(
            bits: bits, groupSize: try parameters.optionalInt("group_size", in: 1...(1 << 20)) ?? defaults.groupSize,
            zeroPoint: try parameters.bool("zero_point", default: defaults.zeroPoint),
            nGrid: try parameters.int("n_grid", in: 1...1000, default: defaults.nGrid),
            duoScaling: try parameters.bool("duo_scaling", default: defaults.duoScaling),
            clip: try parameters.bool("clip", default: defaults.clip))
        if bits == 1 && !settings.zeroPoint {
            throw parameters.error(at: "zero_point", "a symmetric 1-bit grid has no positive level; keep zero_point: true")
        }
        quantize = try parameters.choice("quantize", default: Finish.rtn) == .rtn
        search = try AWQModelSearch(parameters: settings)
    }

    public func apply(_ inputs: [PipelineState], context: StageContext) throws -> PipelineState {
        let (input, checkpoint) = try PipelineState.checkpoint(of: inputs, stage: context.stageID)
        try input.refuseIncoherence(stage: context.stageID)
        var state = input
        let calibration = try PipelineCalibration.required(state, stage: context.stageID, pass: Self.name)
        let (model, dense) = try RunnableBert.of(state, checkpoint: checkpoint, stage: context.stageID)
        let selection = try context.selection(calibration: calibration)
        let selected = Set(selectWeights(dense, selection: selection).jobs.map(\.name))
        let outcome = try search.run(dense, architecture: model.architecture, calibration: calibration.statistics, selected: selected)
        guard quantize else {
            state.checkpoint = outcome.checkpoint
            state.calibration?.statistics = outcome.calibration
            return state
        }
        let result = try quantizeCheckpoint(outcome.checkpoint, with: try RTNQuantizer(grid: search.parameters.grid), selection: selection)
        try state.adopt(result, stage: context.stageID)
        return state
    }
}
