import ArgumentParser
import QZooCore
import QZooFormats

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a checkpoint between safetensors, sharded safetensors, .npz and .npy directories.",
        discussion: """
            The input format is detected from magic bytes (then the extension); the output format \
            comes from --to or OUT's extension (.safetensors, .npz, .npy). Tensor values are copied \
            bit for bit unless --dtype asks for a conversion, which applies to floating-point \
            tensors only (integers and booleans are kept) and rounds to nearest-even.

            With --max-shard-size, OUT is a directory of model-0000k-of-0000N.safetensors shards \
            plus model.safetensors.index.json, as Hugging Face writes them.

            Examples:
              qzoo convert model.safetensors model.npz
              qzoo convert model.npz weights/ --to npy-dir
              qzoo convert model.safetensors half.safetensors --dtype bf16 --exclude 'LayerNorm'
              qzoo convert model.safetensors sharded/ --max-shard-size 50MB
            """)

    @Argument(help: "Input checkpoint (file or directory).")
    var input: String

    @Argument(help: "Output path; must not exist unless --force.")
    var output: String

    @Option(help: "Output format: safetensors, npz or npy-dir (default: from OUT's extension).")
    var to: OutputFormat?

    @Option(help: "Convert floating-point tensors to f32, f16 or bf16.")
    var dtype: TargetDType?

    @Option(name: .customLong("include"), help: ArgumentHelp("Keep only tensors whose name matches REGEX (repeatable).", valueName: "regex"))
    var includes: [String] = []

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Drop tensors whose name matches REGEX (repeatable).", valueName: "regex"))
    var excludes: [String] = []

    @Option(help: ArgumentHelp("Shard safetensors output: at most SIZE bytes of tensor data per shard (e.g. 500MB, 2GiB).", valueName: "size"))
    var maxShardSize: ByteSize?

    @Flag(help: "Replace OUT if it exists.")
    var force = false

    @OptionGroup var readOptions: ReadOptionsGroup

    func validate() throws {
        if maxShardSize != nil, let to, to != .safetensors {
            throw ValidationError("--max-shard-size applies to safetensors output only")
        }
        _ = try outputFormat()
        _ = try compile(includes, option: "--include")
        _ = try compile(excludes, option: "--exclude")
    }

    func outputFormat() throws -> CheckpointFormat {
        if let to { return to.format }
        if maxShardSize != nil { return .safetensors }
        if let format = CheckpointFormat.forOutput(path: output), format != .npy { return format }
        throw ValidationError("cannot tell the output format from '\(output)'; name it .safetensors or .npz, or pass --to")
    }

    func compile(_ patterns: [String], option: String) throws -> [Regex<AnyRegexOutput>] {
        try patterns.map { pattern in
            do { return try Regex(pattern) } catch {
                throw ValidationError("\(option) '\(pattern)' is not a valid regular expression: \(error)")
            }
        }
    }

    func run() throws {
        let (source, _) = try CheckpointIO.read(path: input, options: readOptions.options)
        var checkpoint = source.filtered(include: try compile(includes, option: "--include"), exclude: try compile(excludes, option: "--exclude"))
        guard !checkpoint.tensors.isEmpty || source.tensors.isEmpty else {
            throw QZooError(.invalidArgument, "--include/--exclude removed every tensor; nothing to write", file: input)
        }
        if let dtype { checkpoint = try convert(checkpoint, to: dtype.dtype) }
        let format = try outputFormat()
        let options = WriteOptions(overwrite: force, maxShardSize: maxShardSize?.bytes)
        try CheckpointIO.write(checkpoint, to: output, format: format, options: options)
        Terminal.note("wrote \(output) (\(format.rawValue)): \(checkpoint.tensors.count) tensors, \(ByteCountText.format(checkpoint.byteCount))")
    }

    func convert(_ checkpoint: Checkpoint, to target: DType) throws -> Checkpoint {
        let progress = ProgressReporter(label: "converting to \(target.rawValue)", total: checkpoint.byteCount)
        defer { progress.finish() }
        var result = checkpoint
        for (name, tensor) in checkpoint.tensors {
            if tensor.dtype.isFloatingPoint {
                do { result.tensors[name] = try tensor.converted(to: target) } catch let error as QZooError {
                    throw error.inTensor(name).inFile(input)
                }
            }
            progress.advance(by: tensor.byteCount)
        }
        return result
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case safetensors, npz
    case npyDir = "npy-dir"

    var format: CheckpointFormat {
        switch self {
        case .safetensors: return .safetensors
        case .npz: return .npz
        case .npyDir: return .npyDirectory
        }
    }
}

enum TargetDType: String, ExpressibleByArgument, CaseIterable {
    case f32, f16, bf16

    var dtype: DType {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        }
    }
}

/// A byte size given on the command line: a number with an optional decimal (KB, MB, GB) or
/// binary (KiB, MiB, GiB) unit, as Hugging Face's `max_shard_size` accepts.
struct ByteSize: ExpressibleByArgument {
    let bytes: Int

    init?(argument: String) {
        let text = argument.trimmingTrailingSpaces()
        let digits = text.prefix { $0.isNumber }
        let unit = text.dropFirst(digits.count).lowercased()
        let multipliers: [String: Int] = [
            "": 1, "b": 1, "kb": 1_000, "mb": 1_000_000, "gb": 1_000_000_000,
            "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
        ]
        guard let count = Int(digits), let multiplier = multipliers[unit],
              let value = CheckedMath.multiply(count, multiplier), value > 0 else { return nil }
        bytes = value
    }
}
