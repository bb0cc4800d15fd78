import QZooCore
import QZooQuant

/// A file a stage produced or passes along, by the name it will have in outputs and bundles.
public struct NamedFile: Sendable, Equatable {
    public var name: String
    public var path: String

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}

/// What one export wrote, recorded in bundle manifests: the format, the files, and a summary of
/// every tensor (scheme, bits, bits per weight, error where known).
public struct ExportRecord: Sendable, Equatable {
    public var stage: String
    public var json: JSONValue
}

/// The value passed along a pipeline edge. A checkpoint stage fills `checkpoint`; an export
/// fills `files` and `exports`; a bundle's `files` holds the bundle. Side files (config.json,
/// tokenizer files) and quantization errors travel with the model so that a bundle can include
/// and report them.
public struct PipelineState: Sendable {
    public var checkpoint: Checkpoint?
    /// Reconstruction error of each quantized tensor, measured when it was quantized.
    public var errors: [String: ReconstructionError]
    public var sideFiles: [NamedFile]
    public var files: [NamedFile]
    public var exports: [ExportRecord]

    public init(checkpoint: Checkpoint? = nil, errors: [String: ReconstructionError] = [:], sideFiles: [NamedFile] = [],
                files: [NamedFile] = [], exports: [ExportRecord] = []) {
        self.checkpoint = checkpoint
        self.errors = errors
        self.sideFiles = sideFiles
        self.files = files
        self.exports = exports
    }

    /// The one input's checkpoint, for passes that transform a model.
    static func checkpoint(of inputs: [PipelineState], stage: String) throws -> (PipelineState, Checkpoint) {
        guard let input = inputs.first, let checkpoint = input.checkpoint else {
            throw QZooError(.invalidArgument, "stage '\(stage)' received no checkpoint")
        }
        return (input, checkpoint)
    }
}
