import ArgumentParser
import QZooCore
import QZooFormats
import QZooQuant

struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quantize the linear-layer weights of a checkpoint to 1–8-bit integer grids.",
        discussion: """
            Which tensors: by default the weights of linear layers, i.e. rank-2 floating-point \
            tensors whose names end in '.weight', except embedding tables (names containing \
            'embeddings'). --include REGEX replaces that name rule (a matching tensor must still be \
            a rank-2 float matrix, else it is listed as skipped); --exclude REGEX always wins. \
            Every other tensor is copied unchanged.

            The grid: codes q in [0, 2^bits − 1] with weight ≈ (q − zero) · scale and F32 scales. \
            Asymmetric grids (the default) store one U8 zero point per scale; --sym fixes the zero \
            point at 2^(bits−1) and stores none. There is one scale per output row (per-channel) \
            unless --group-size G asks for one per G consecutive input columns of a row (the last \
            group may be shorter). Each row or group is fitted to its min..max widened to contain \
            0 (to ±max|w| with --sym), and weights round to the nearest level, ties to even.

            --clip-search tries 80 ranges, the full one scaled by 1, 0.99, ..., 0.21, and keeps \
            per row or group the one with the smallest Σ|Ŵ − W|^2.4 (GPTQ's 'mse' option); it \
            costs a few seconds and helps most at 2–4 bits.

            Methods: rtn (round to nearest, needs no calibration data).

            OUT is a .qpack file (qzoo's packed container) or a .qdq.json file (ONNX-style \
            QuantizeLinear/DequantizeLinear description). For each quantized tensor the command \
            prints its shape, bits, group, stored bits per weight including scales and zero \
            points, and the relative error ‖W − Ŵ‖/‖W‖; then totals.

            Examples:
              qzoo quantize model.safetensors model-w4g128.qpack --bits 4 --group-size 128
              qzoo quantize model.safetensors model-w8.qdq.json --bits 8 --sym
              qzoo quantize model.safetensors model-w3.qpack --bits 3 --group-size 64 --clip-search --exclude pooler
            """)

    @Argument(help: "Input checkpoint (file or directory).")
    var input: String

    @Argument(help: "Output .qpack or .qdq.json file; must not exist unless --force.")
    var output: String

    @Option(help: "Quantization method.")
    var method: QuantizationMethod = .rtn

    @Option(help: "Bits per weight code, 1...8 (required; 1 only with an asymmetric grid).")
    var bits: Int

    @Option(help: ArgumentHelp("Input columns per scale (default: one scale per output row).", valueName: "columns"))
    var groupSize: Int?

    @Flag(help: "Symmetric grid, zero point 2^(bits−1) (default: asymmetric, with stored zero points).")
    var sym = false

    @Flag(help: "Search each row's or group's clipping range (80 steps down to 0.21, error norm 2.4).")
    var clipSearch = false

    @Option(name: .customLong("include"), help: ArgumentHelp("Quantize tensors whose name matches REGEX instead of the default linear weights (repeatable).", valueName: "regex"))
    var includes: [String] = []

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Leave tensors whose name matches REGEX unquantized (repeatable).", valueName: "regex"))
    var excludes: [String] = []

    @Flag(help: "Replace OUT if it exists.")
    var force = false

    @OptionGroup var readOptions: ReadOptionsGroup

    func validate() throws {
        guard (1...8).contains(bits) else { throw ValidationError("--bits must be 1...8, got \(bits)") }
        if bits == 1 && sym {
            throw ValidationError("a symmetric 1-bit grid has only the levels −scale and 0; drop --sym for 1 bit")
        }
        if let groupSize, groupSize < 1 { throw ValidationError("--group-size must be positive, got \(groupSize)") }
        _ = try outputFormat()
        _ = try selection()
    }

    /// OUT's format from its extension; dense-only formats cannot hold quantized weights.
    func outputFormat() throws -> CheckpointFormat {
        guard let format = CheckpointFormat.forOutput(path: output), format.holdsQuantized else {
            throw ValidationError("OUT must be a .qpack or .qdq.json file, got '\(output)'")
        }
        return format
    }

    func selection() throws -> WeightSelection {
        WeightSelection(include: try compile(includes, option: "--include"), exclude: try compile(excludes, option: "--exclude"))
    }

    func compile(_ patterns: [String], option: String) throws -> [Regex<AnyRegexOutput>] {
        try patterns.map { pattern in
            do { return try Regex(pattern) } catch {
                throw ValidationError("\(option) '\(pattern)' is not a valid regular expression: \(error)")
            }
        }
    }

    func run() throws {
        if bits == 1 { Terminal.note("warning: a 1-bit grid keeps two levels per row or group; expect large errors") }
        let grid = AffineGrid(bits: bits, symmetric: sym, granularity: groupSize.map { .group(size: $0) } ?? .perChannel)
        let quantizer = try method.quantizer(grid: grid, clipSearch: clipSearch ? ClipSearch() : nil)
        let (source, _) = try CheckpointIO.read(path: input, options: readOptions.options)
        let result: CheckpointQuantization
        do { result = try quantizeCheckpoint(source, with: quantizer, selection: selection()) } catch let error as QZooError {
            throw error.inFile(input)
        }
        if let first = result.ineligible.first {
            Terminal.note("skipped \(result.ineligible.count) tensor(s) named by --include that cannot be quantized, "
                          + "e.g. '\(first.name)': \(first.reason)")
        }
        guard !result.reports.isEmpty else {
            throw QZooError(.invalidArgument, "no tensor was selected for quantization; check --include/--exclude", file: input)
        }
        let format = try outputFormat()
        try CheckpointIO.write(result.checkpoint, to: output, format: format, options: WriteOptions(overwrite: force, reportProgress: true))
        print(QuantizeReport(result: result).table())
        Terminal.note("wrote \(output) (\(format.rawValue))")
    }
}

/// The quantization methods `qzoo quantize` offers; each maps to a `WeightQuantizer`.
enum QuantizationMethod: String, ExpressibleByArgument, CaseIterable {
    case rtn

    func quantizer(grid: AffineGrid, clipSearch: ClipSearch?) throws -> any WeightQuantizer {
        switch self {
        case .rtn: return try RTNQuantizer(grid: grid, clipSearch: clipSearch)
        }
    }
}
