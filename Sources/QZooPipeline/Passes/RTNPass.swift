import QZooCore
import QZooQuant

/// Round-to-nearest quantization of the linear weights (or the `targets`), as `qzoo quantize`.
public struct RTNPass: Pass {
    public static let name = "rtn"
    public static let summary = "round-to-nearest b-bit affine quantization of linear weights (bits, group_size, sym, clip_search)"
    public static let signature = PassSignature(inputs: 1...1, consumes: .checkpoint, produces: .checkpoint, usesTargets: true)

    let grid: AffineGrid
    let clipSearch: Bool

    public init(parameters: inout PassParameters) throws {
        let bits = try parameters.int("bits", in: 1...8)
        let group = try parameters.optionalInt("group_size", in: 1...(1 << 20))
        let symmetric = try parameters.bool("sym", default: false)
        clipSearch = try parameters.bool("clip_search", default: false)
        if bits == 1 && symmetric {
            throw parameters.error(at: "sym", "a symmetric 1-bit grid has only the levels −scale and 0; set sym: false")
        }
        grid = AffineGrid(bits: bits, symmetric: symmetric, granularity: group.map { .group(size: $0) } ?? .perChannel)
    }

    public func apply(_ inputs: [PipelineState], context: StageContext) throws -> PipelineState {
        let (input, checkpoint) = try PipelineState.checkpoint(of: inputs, stage: context.stageID)
        try input.refuseIncoherence(stage: context.stageID)
        var state = input
        let quantizer = try RTNQuantizer(grid: grid, clipSearch: clipSearch ? ClipSearch() : nil)
        let selection = try context.selection()
        let result = try quantizeCheckpoint(checkpoint, with: quantizer, selection: selection)
        try state.adopt(result, stage: context.stageID)
        return state
    }
}
