#if canImport(Glibc)
import Glibc
#endif
import QZooCore

/// Options that change how files are read.
public struct ReadOptions: Sendable {
    /// The dtype of `.npy` arrays stored with a void descr (`<V2`...), which is how numpy saves
    /// bfloat16 and float8; without it such arrays are rejected, since their type is unknown.
    public var npyVoidDType: DType?

    public init(npyVoidDType: DType? = nil) {
        self.npyVoidDType = npyVoidDType
    }
}

/// Options that change how files are written.
public struct WriteOptions: Sendable {
    public var overwrite: Bool
    /// For safetensors: split into shards of at most this many bytes (output is a directory).
    public var maxShardSize: Int?
    /// Report progress on stderr while writing (large outputs only; see `ProgressReporter`).
    public var reportProgress: Bool

    public init(overwrite: Bool = false, maxShardSize: Int? = nil, reportProgress: Bool = false) {
        self.overwrite = overwrite
        self.maxShardSize = maxShardSize
        self.reportProgress = reportProgress
    }
}

/// Reads and writes checkpoints in any supported format; the single entry point the CLI and
/// the pipeline use, so format dispatch lives in one place.
public enum CheckpointIO {
    public static func read(path: String, options: ReadOptions = ReadOptions()) throws -> (Checkpoint, CheckpointFormat) {
        let format = try CheckpointFormat.detect(path: path)
        let checkpoint: Checkpoint
        switch format {
        case .safetensors:
            let file = try isDirectory(path) ? path + "/model.safetensors" : path
            checkpoint = try SafetensorsReader.read(path: file)
        case .shardedSafetensors:
            let index = try isDirectory(path) ? path + "/" + ShardedSafetensors.indexName : path
            checkpoint = try ShardedSafetensors.read(indexPath: index)
        case .npy: checkpoint = try NpyFile.readCheckpoint(path: path, voidDType: options.npyVoidDType)
        case .npz: checkpoint = try NpzArchive.read(path: path, voidDType: options.npyVoidDType)
        case .npyDirectory: checkpoint = try NpyDirectory.read(path: path, voidDType: options.npyVoidDType)
        case .qpack: checkpoint = try QPackReader.read(path: path)
        case .qdqJSON:
            do { checkpoint = try QDQJSONReader.read(path: path).checkpointWithActivations() } catch let error as QZooError { throw error.inFile(path) }
        }
        return (checkpoint, format)
    }

    public static func write(_ checkpoint: Checkpoint, to path: String, format: CheckpointFormat, options: WriteOptions = WriteOptions()) throws {
        if !format.holdsQuantized, let name = checkpoint.quantized.keys.first {
            throw QZooError.unsupported("\(format.rawValue) holds dense tensors only; dequantize first (--dequantize)", file: path, tensor: name)
        }
        if !format.holdsQuantized, let name = (checkpoint.inputScales.keys.sorted() + checkpoint.activations.keys.sorted()).first {
            throw QZooError.unsupported("\(format.rawValue) cannot hold input scales or activation quantization; write .qpack or .qdq.json, "
                                        + "or --dequantize to fold the scales into effective weights", file: path, tensor: name)
        }
        try checkpoint.validateActivationSide()
        guard options.reportProgress else { return try dispatch(checkpoint, to: path, format: format, options: options) }
        let stored = checkpoint.quantized.values.reduce(checkpoint.byteCount) { $0 + $1.codes.byteCount + $1.scales.byteCount }
        let progress = ProgressReporter(label: "writing \(path)", total: stored)
        try ProgressReporter.$current.withValue(progress) { try dispatch(checkpoint, to: path, format: format, options: options) }
        progress.finish()
    }

    static func dispatch(_ checkpoint: Checkpoint, to path: String, format: CheckpointFormat, options: WriteOptions) throws {
        switch format {
        case .safetensors, .shardedSafetensors:
            if let limit = options.maxShardSize {
                try ShardedSafetensors.write(checkpoint, directory: path, maxShardSize: limit, overwrite: options.overwrite)
            } else {
                try SafetensorsWriter.write(checkpoint, to: path, overwrite: options.overwrite)
            }
        case .npz: try NpzArchive.write(checkpoint, to: path, overwrite: options.overwrite)
        case .npyDirectory: try NpyDirectory.write(checkpoint, to: path, overwrite: options.overwrite)
        case .npy: try NpyFile.writeCheckpoint(checkpoint, to: path, overwrite: options.overwrite)
        case .qpack: try QPackWriter.write(checkpoint, to: path, overwrite: options.overwrite)
        case .qdqJSON:
            do { try QDQJSONWriter.write(try QDQDocument(exporting: checkpoint), to: path, overwrite: options.overwrite) } catch let error as QZooError {
                throw error.inFile(path)
            }
        }
    }

    static func isDirectory(_ path: String) throws -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { throw QZooError.io("cannot access: \(errnoText())", file: path) }
        return info.st_mode & S_IFMT == S_IFDIR
    }
}
