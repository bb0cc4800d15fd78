import ArgumentParser
import QZooCore
import QZooFormats

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a checkpoint holds: format, tensors, statistics and metadata.",
        discussion: """
            PATH is a .tar.zst bundle (its verified manifest is shown), a .safetensors file, a sharded checkpoint (directory or its \
            model.safetensors.index.json), a .npy or .npz file, a directory of .npy files, a \
            .qpack file or a .qdq.json file. Statistics (min/max/mean/std) cover finite values; NaN \
            and Inf are counted apart.

            Quantized weights show their scheme (affine sym/asym), bits, group size (or tensor / \
            channel), effective bits per weight including scales and zero points (bpw), their \
            stored bytes, and the statistics of their dequantized values.

            Examples:
              qzoo inspect model.safetensors
              qzoo inspect weights.npz --json | jq '.tensors[0]'
            """)

    @Argument(help: "The checkpoint to inspect.")
    var path: String

    @Flag(help: "Print one JSON document instead of a table.")
    var json = false

    @OptionGroup var readOptions: ReadOptionsGroup

    func run() throws {
        if path.hasSuffix(".tar.zst") {
            let result = try BundleVerifier.verify(path: path)
            print(json ? result.manifest.json() : BundleReport.table(path: path, result), terminator: json ? "" : "\n")
            return
        }
        let (checkpoint, format) = try CheckpointIO.read(path: path, options: readOptions.options)
        let report = try InspectReport(path: path, format: format, checkpoint: checkpoint)
        print(json ? report.json() : report.table())
    }
}

/// Read options shared by every command that reads checkpoints.
struct ReadOptionsGroup: ParsableArguments {
    @Option(name: .customLong("npy-dtype"), help: ArgumentHelp(
        "dtype of .npy arrays saved with a void descr (<V2, <V1), e.g. bf16 or f8_e4m3.",
        discussion: "numpy stores ml_dtypes bfloat16/float8 as untyped bytes; qzoo rejects them unless told the type.",
        valueName: "dtype"))
    var npyDType: String?

    var options: ReadOptions {
        get throws {
            guard let name = npyDType else { return ReadOptions() }
            guard let dtype = DType(userSpelling: name) else {
                throw ValidationError("unknown dtype '\(name)' for --npy-dtype; use one of: \(DType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return ReadOptions(npyVoidDType: dtype)
        }
    }
}
