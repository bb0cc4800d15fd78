import QZooCore
import QZooFormats

/// Reads the run's `--model` in any format qzoo reads; `targets`/`ignore` keep a subset of tensors.
public struct LoadPass: Pass {
    public static let name = "load"
    public static let summary = "read the --model checkpoint (safetensors, sharded, npz, npy, qpack, QDQ JSON) and its side files"
    public static let signature = PassSignature(inputs: 0...0, consumes: nil, produces: .checkpoint, usesTargets: true, cached: false)

    public init(parameters: inout PassParameters) throws {}

    public func externalKey(_ run: RunContext) throws -> JSONValue {
        .array(run.model.files.map { .object([("name", .string($0.name)), ("sha256", .string($0.sha256))]) })
    }

    public func apply(_ inputs: [PipelineState], context: StageContext) throws -> PipelineState {
        var (checkpoint, _) = try CheckpointIO.read(path: context.run.model.path)
        if !context.targets.isEmpty || !context.ignore.isEmpty {
            checkpoint = checkpoint.filtered(include: try context.compiled(context.targets), exclude: try context.compiled(context.ignore))
        }
        return PipelineState(checkpoint: checkpoint, sideFiles: context.run.model.sideFiles)
    }
}
