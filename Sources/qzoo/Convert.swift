import ArgumentParser
import QZooCore
import QZooFormats
import QZooQuant

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a checkpoint between safetensors, sharded safetensors, .npz, .npy directories, qpack and QDQ JSON.",
        discussion: """
            The input format is detected from magic bytes (then the extension); the output format \
            comes from --to or OUT's extension (.safetensors, .npz, .npy, .qpack, .qdq.json). Tensor \
            values are copied bit for bit unless --dtype asks for a conversion, which applies to \
            floating-point tensors only (integers and booleans are kept) and rounds to nearest-even.

            Quantized weights (from qpack or QDQ JSON) keep their codes, scales and zero points \
            when OUT is qpack or QDQ JSON. Other formats hold dense tensors only: pass \
            --dequantize to write each quantized weight as floats in the dtype it was quantized from \
            (its effective value: transforms undone, explicit input scales folded back into the columns).

            With --max-shard-size, OUT is a directory of model-0000k-of-0000N.safetensors shards \
            plus model.safetensors.index.json, as Hugging Face writes them.

            Examples:
              qzoo convert model.safetensors model.npz
              qzoo convert model.npz weights/ --to npy-dir
              qzoo convert model.safetensors half.safetensors --dtype bf16 --exclude 'LayerNorm'
              qzoo convert model.safetensors sharded/ --max-shard-size 50MB
              qzoo convert model-w4.qpack model-w4.qdq.json
              qzoo convert model-w4.qpack evaluable.safetensors --dequantize
            """)

    @Argument(help: "Input checkpoint (file or directory).")
    var input: String

    @Argument(help: "Output path; must not exist unless --force.")
    var output: String

    @Option(help: "Output format: safetensors, npz, npy-dir, qpack or qdq-json (default: from OUT's extension).")
    var to: OutputFormat?

    @Option(help: "Convert floating-point tensors to f32, f16 or bf16.")
    var dtype: TargetDType?

    @Option(name: .customLong("include"), help: ArgumentHelp("Keep only tensors whose name matches REGEX (repeatable).", valueName: "regex"))
    var includes: [String] = []

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Drop tensors whose name matches REGEX (repeatable).", valueName: "regex"))
    var excludes: [String] = []

    @Option(help: ArgumentHelp("Shard safetensors output: at most SIZE bytes of tensor data per shard (e.g. 500MB, 2GiB).", valueName: "size"))
    var maxShardSize: ByteSize?

    @Flag(help: "Write quantized weights as dense floats (in the dtype they were quantized from).")
    var dequantize = false

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
        throw ValidationError("cannot tell the output format from '\(output)'; name it .safetensors, .npz, .qpack or .qdq.json, or pass --to")
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
        let kept = checkpoint.tensors.count + checkpoint.quantized.count
        guard kept > 0 || source.tensors.count + source.quantized.count == 0 else {
            throw QZooError(.invalidArgument, "--include/--exclude removed every tensor; nothing to write", file: input)
        }
        if dequantize {
            if !checkpoint.activations.isEmpty {
                Terminal.note("note: --dequantize writes effective weights only; the activation quantization of \(checkpoint.activations.count) layer input(s) is not kept")
            }
            do { checkpoint = try checkpoint.dequantized() } catch let error as QZooError { throw error.inFile(input) }
        }
        if let dtype { checkpoint = try convert(checkpoint, to: dtype.dtype) }
        let format = try outputFormat()
        try requireDenseOrDequantize(checkpoint, format: format)
        let options = WriteOptions(overwrite: force, maxShardSize: maxShardSize?.bytes, reportProgress: true)
        try CheckpointIO.write(checkpoint, to: output, format: format, options: options)
        let quantizedNote = checkpoint.quantized.isEmpty ? "" : " and \(checkpoint.quantized.count) quantized weights"
        Terminal.note("wrote \(output) (\(format.rawValue)): \(checkpoint.tensors.count) tensors\(quantizedNote), \(ByteCountText.format(checkpoint.byteCount)) dense")
    }

    /// A dense-only output cannot hold quantized weights: say so and name the way out.
    func requireDenseOrDequantize(_ checkpoint: Checkpoint, format: CheckpointFormat) throws {
        guard !format.holdsQuantized, let first = checkpoint.quantized.keys.first else { return }
        throw QZooError(
            .invalidArgument,
            "\(format.rawValue) holds dense tensors only, but the input has \(checkpoint.quantized.count) quantized weights; pass --dequantize to write them as floats, or write .qpack / .qdq.json",
            file: input, tensor: first)
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
    case safetensors, npz, qpack
    case npyDir = "npy-dir"
    case qdqJSON = "qdq-json"

    var format: CheckpointFormat {
        switch self {
        case .safetensors: return .safetensors
        case .npz: return .npz
        case .npyDir: return .npyDirectory
        case .qpack: return .qpack
        case .qdqJSON: return .qdqJSON
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
