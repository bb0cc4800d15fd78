import QZooCore
import QZooFormats
import QZooQuant

/// Writes the checkpoint in one format; `dequantize: true` turns quantized weights back into
/// floats for the dense-only formats. Records a per-tensor summary for bundle manifests.
public struct ExportPass: Pass {
    public static let name = "export"
    public static let summary = "write the checkpoint as safetensors, npz, qpack or qdq-json (dequantize: true for dense formats)"
    public static let signature = PassSignature(inputs: 1...1, consumes: .checkpoint, produces: .files, usesTargets: true)

    /// The formats an export writes (one file each, plus QDQ JSON's sidecars).
    public enum Format: String, CaseIterable, Sendable {
        case safetensors, npz, qpack
        case qdqJSON = "qdq-json"

        var checkpointFormat: CheckpointFormat {
            switch self {
            case .safetensors: return .safetensors
            case .npz: return .npz
            case .qpack: return .qpack
            case .qdqJSON: return .qdqJSON
            }
        }

        var fileExtension: String {
            switch self {
            case .safetensors: return ".safetensors"
            case .npz: return ".npz"
            case .qpack: return ".qpack"
            case .qdqJSON: return QDQFileNames.jsonSuffix
            }
        }
    }

    let format: Format
    let dequantize: Bool
    let fileStem: String

    public init(parameters: inout PassParameters) throws {
        format = try parameters.choice("format")
        dequantize = try parameters.bool("dequantize", default: false)
        fileStem = try parameters.string("name", default: "model") { name in
            PipelineSpecReader.isIdentifier(name) ? nil : "a file name stem: letters, digits, '-', '_' or '.'"
        } ?? "model"
    }

    public func apply(_ inputs: [PipelineState], context: StageContext) throws -> PipelineState {
        var (state, checkpoint) = try PipelineState.checkpoint(of: inputs, stage: context.stageID)
        try state.refuseIncoherence(stage: context.stageID)
        if !context.targets.isEmpty || !context.ignore.isEmpty {
            checkpoint = checkpoint.filtered(include: try context.compiled(context.targets), exclude: try context.compiled(context.ignore))
        }
        if dequantize { checkpoint = try checkpoint.dequantized() }
        if !format.checkpointFormat.holdsQuantized, let name = checkpoint.quantized.keys.first {
            throw QZooError(.invalidArgument, "stage '\(context.stageID)': \(format.rawValue) holds dense tensors only and '\(name)' is quantized; set dequantize: true or export qpack/qdq-json")
        }
        let path = context.directory + "/" + fileStem + format.fileExtension
        try CheckpointIO.write(checkpoint, to: path, format: format.checkpointFormat)
        state.files = try listDirectory(context.directory).map { NamedFile(name: $0, path: context.directory + "/" + $0) }
        let summary = TensorSummary.export(checkpoint, errors: state.errors, calibrated: state.calibrated)
        state.exports = [ExportRecord(stage: context.stageID, json: .object([
            ("stage", .string(context.stageID)), ("format", .string(format.rawValue)), ("dequantized", .bool(dequantize)),
            ("files", .array(state.files.map { .string($0.name) })),
        ] + summary))]
        state.checkpoint = nil
        state.calibration = nil
        return state
    }
}
