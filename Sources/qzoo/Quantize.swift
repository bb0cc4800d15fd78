import ArgumentParser
import QZooCore
import QZooPipeline
import QZooFormats
import QZooModels
import QZooQuant

struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quantize the linear-layer weights of a checkpoint to 1–8-bit integer grids or QuIP# lattice codes.",
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

            Methods: rtn (round to nearest, needs no calibration data); gptq (GPTQ, Hessian-aware \
            rounding: each column's rounding error is compensated in the columns not yet \
            quantized, which needs each layer's input Hessian H = XᵀX/n). GPTQ takes its Hessians \
            from --calibration CALIB.safetensors (from 'qzoo calibrate' or another framework, see \
            formats/calibration.md; fixed for every layer), or, for models qzoo can run (BERT), \
            calibrates on the fly on --data TEXT or the built-in corpus: layer by layer, each \
            layer's Hessians measured on the outputs of the already-quantized layers before it \
            (--no-sequential: one pass over the float model); then only the layers calibration \
            reaches (the encoder's linears, not a pooler) are quantized unless --include names others. Options as in the reference \
            implementation: --act-order (columns in order of decreasing H diagonal), \
            --static-groups (group scales fitted before any update, so act-order needs no stored \
            permutation), --damp (λ = damp · mean diag H, retried at 10× and 100× if H does not \
            factor; a weight that still fails is rounded to nearest and reported with damping \
            'rtn'), --block-size (columns per lazy update). The table then also shows the \
            relative proxy loss tr(ΔW H ΔWᵀ)/tr(W H Wᵀ) and the damping used.

            quipsharp (QuIP# without fine-tuning, --bits 2, 3 or 4): both sides of each weight \
            are rotated by a randomized Hadamard transform (seeded signs, --seed), the rotated \
            weight is scaled to RMS/ρ (--rho; defaults 1.03, 0.98, 1.03) and rounded 8 columns at \
            a time to the E8P12 lattice codebook (2 bits; 3 and 4 bits add a residual stage) with \
            block LDLQ, then --tune-passes rounds of block coordinate descent (default 10). \
            Hessians come as for gptq (--calibration or on-the-fly; --damp is added to the \
            normalised Hessian's diagonal). Input and output sizes must be 2^k or K·2^k (K = 12, \
            20, 28, …, 172) and inputs a multiple of 8. Lattice codes need a .qpack output.

            OUT is a .qpack file (qzoo's packed container) or a .qdq.json file (ONNX-style \
            QuantizeLinear/DequantizeLinear description). For each quantized tensor the command \
            prints its shape, bits, group, stored bits per weight including scales and zero \
            points, and the relative error ‖W − Ŵ‖/‖W‖; then totals.

            Examples:
              qzoo quantize model.safetensors model-w4g128.qpack --bits 4 --group-size 128
              qzoo quantize model.safetensors model-w8.qdq.json --bits 8 --sym
              qzoo quantize model.safetensors model-w3.qpack --bits 3 --group-size 64 --clip-search --exclude pooler
              qzoo quantize all-MiniLM-L6-v2/ w4-gptq.qpack --method gptq --bits 4 --group-size 128 --act-order
              qzoo quantize model.safetensors w4-gptq.qpack --method gptq --bits 4 --calibration calib.safetensors
              qzoo quantize all-MiniLM-L6-v2/ w2-quipsharp.qpack --method quipsharp --bits 2 --exclude pooler
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

    @Option(help: ArgumentHelp("GPTQ: Hessians from this calibration file (NAME.hessian) instead of calibrating.", valueName: "calib"))
    var calibration: String?

    @Option(help: ArgumentHelp("GPTQ: calibrate on this text file, one sentence per line (default: the built-in corpus).", valueName: "text"))
    var data: String?

    @Flag(help: "GPTQ: quantize columns in order of decreasing Hessian diagonal.")
    var actOrder = false

    @Flag(help: "GPTQ: fit all group scales before quantizing (act-order then stores no permutation).")
    var staticGroups = false

    @Option(help: ArgumentHelp("GPTQ: damping as a fraction of the mean Hessian diagonal.", valueName: "fraction"))
    var damp = 0.01

    @Option(help: ArgumentHelp("GPTQ: columns per lazy block update.", valueName: "columns"))
    var blockSize = 128

    @Flag(inversion: .prefixedNo, help: "GPTQ with on-the-fly calibration: measure each layer after quantizing the layers before it.")
    var sequential = true

    @Option(help: ArgumentHelp("QuIP#: code the rotated weight at RMS/rho (default: 1.03, 0.98, 1.03 for 2, 3, 4 bits).", valueName: "rho"))
    var rho: Double?

    @Option(help: ArgumentHelp("QuIP#: block coordinate-descent passes after LDLQ.", valueName: "count"))
    var tunePasses = 10

    @Option(help: ArgumentHelp("QuIP#: seed of the Hadamard sign vectors.", valueName: "seed"))
    var seed: UInt64 = 0

    @OptionGroup var runOptions: RunOptionsGroup

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
        switch method {
        case .gptq:
            guard !clipSearch else { throw ValidationError("--clip-search is an RTN option; GPTQ fits its ranges itself") }
            guard calibration == nil || data == nil else { throw ValidationError("give --calibration or --data, not both") }
            try gptqParameters().validate()
        case .quipsharp:
            try validateQuIPSharp()
        case .rtn:
            if calibration != nil || data != nil || actOrder || staticGroups {
                throw ValidationError("--calibration, --data, --act-order and --static-groups apply to --method gptq or quipsharp")
            }
        }
        if method != .quipsharp && (rho != nil || tunePasses != 10 || seed != 0) {
            throw ValidationError("--rho, --tune-passes and --seed apply to --method quipsharp")
        }
    }

    func validateQuIPSharp() throws {
        guard LatticeCodebook(bits: bits) != nil else {
            throw ValidationError("--method quipsharp codes 2, 3 or 4 bits per weight, got --bits \(bits)")
        }
        guard groupSize == nil, !sym, !clipSearch, !actOrder, !staticGroups else {
            throw ValidationError("--group-size, --sym, --clip-search, --act-order and --static-groups do not apply to --method quipsharp")
        }
        guard calibration == nil || data == nil else { throw ValidationError("give --calibration or --data, not both") }
        guard try outputFormat() == .qpack else {
            throw ValidationError("lattice codes (--method quipsharp) can only be written to a .qpack file")
        }
        try quipSharpParameters().validate()
    }

    func quipSharpParameters() throws -> QuIPSharpParameters {
        guard let codebook = LatticeCodebook(bits: bits) else {
            throw ValidationError("--method quipsharp codes 2, 3 or 4 bits per weight, got --bits \(bits)")
        }
        return QuIPSharpParameters(codebook: codebook, rho: rho, damp: damp, tunePasses: tunePasses, seed: seed,
                                   sequential: sequential)
    }

    func gptqParameters() -> GPTQParameters {
        GPTQParameters(bits: bits, groupSize: groupSize, symmetric: sym, actOrder: actOrder, staticGroups: staticGroups,
                       damp: damp, blockSize: blockSize, sequential: sequential)
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
        let result = try quantized()
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

extension Quantize {
    /// The input, quantized by the chosen method.
    func quantized() throws -> CheckpointQuantization {
        let grid = AffineGrid(bits: bits, symmetric: sym, granularity: groupSize.map { .group(size: $0) } ?? .perChannel)
        do {
            let gptq: GPTQCalibration
            switch method {
            case .rtn:
                let (source, _) = try CheckpointIO.read(path: input, options: readOptions.options)
                return try quantizeCheckpoint(source, with: try RTNQuantizer(grid: grid, clipSearch: clipSearch ? ClipSearch() : nil),
                                              selection: selection())
            case .gptq:
                gptq = GPTQCalibration(quantizer: try GPTQQuantizer(parameters: gptqParameters()), selection: try selection(),
                                       sequential: sequential)
            case .quipsharp:
                gptq = GPTQCalibration(quantizer: try QuIPSharpQuantizer(parameters: try quipSharpParameters()),
                                       selection: try selection(), sequential: sequential)
            }
            if let calibration {
                let (source, _) = try CheckpointIO.read(path: input, options: readOptions.options)
                return try gptq.withCalibrationFile(calibration, source: source)
            }
            let model = try ModelInput.load(input)
            return try gptq.calibratingOnTheFly(model: model, texts: try TextCorpus.load(data).lines, options: runOptions)
        } catch let error as QZooError {
            throw error.inFile(input)
        }
    }
}

/// The quantization methods `qzoo quantize` offers; each maps to a `WeightQuantizer`.
enum QuantizationMethod: String, ExpressibleByArgument, CaseIterable {
    case rtn
    case gptq
    case quipsharp
}
