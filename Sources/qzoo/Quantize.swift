import ArgumentParser
import QZooCore
import QZooPipeline
import QZooFormats
import QZooModels
import QZooPipeline
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
            calibrates on the fly on --data TEXT or the built-in corpus: sequentially, each \
            linear's Hessian measured on the model as quantized up to it (q|k|v, attention output, \
            FFN up, FFN down in turn) \
            (--no-sequential: one pass over the float model); then only the layers calibration \
            reaches (the encoder's linears, not a pooler) are quantized unless --include names others. \
            Sequentially, qzoo also corrects biases (--no-bias-correction: as the reference): each \
            weight is rounded against its input covariance and its bias absorbs the mean output \
            shift (W − Ŵ)·mean(x), which the mean of the rounding error would otherwise add to \
            every token (+0.003 mean cosine on MiniLM at 2 bits). And it calibrates \
            asymmetrically (--no-asymmetric-calibration: as the reference): the float model runs beside the \
            quantized one, and each weight is fitted to reproduce the float layer's output on the \
            float model's input from the quantized model's input, so a layer also takes back what \
            the layers before it lost (GPTAQ's objective; on MiniLM +0.02 held-out mean cosine for \
            2-bit QuIP#, +0.012 for 3-bit GPTQ; it about doubles the time, for a second forward \
            pass and a cross product per site). Options as in the reference \
            implementation: --act-order (columns in order of decreasing H diagonal), \
            --static-groups (group scales fitted before any update, so act-order needs no stored \
            permutation), --damp (λ = damp · mean diag H, retried at 10× and 100× if H does not \
            factor; a weight that still fails is rounded to nearest and reported with damping \
            'rtn'), --block-size (columns per lazy update), --gptq-precision f64 (float64 \
            factorisation and error feedback instead of the reference's float32). The table then also shows the \
            relative proxy loss tr(ΔW H ΔWᵀ)/tr(W H Wᵀ) and the damping used.

            Activation-aware methods (BERT models qzoo can run; they calibrate on --data TEXT or \
            the built-in corpus, one pass over the float model, and record per layer input the \
            mean and max |x| and the Hessian):

            awq (AWQ, Lin et al.): a few input channels carry large activations, and their \
            weights matter most. Per scale group (the linears reading one input) it tries \
            s = mean|x|^ratio for ratio 0, 0.05, ..., 0.95 (--n-grid), normalised so \
            max(s)·min(s) = 1, scales the weight columns by s and the input by 1/s, and keeps \
            the ratio whose rounding gives the smallest output error tr(ΔW H ΔWᵀ) on the \
            calibration inputs. The input scaling must not change the float model: it folds into \
            the producing layer where it can (value → attention output) and is otherwise kept \
            as an explicit per-channel multiply stored with the weight (BERT's LayerNorms also \
            feed the residual; folding into them would change the model). Then a clip search \
            (not for query/key) shrinks each row's group range to max|w|·(1 − i/20), i < 10, \
            where that lowers the output error. --duo-scaling divides by the weights' relative \
            magnitude as AutoAWQ does; --no-awq-clip skips the clip search. The weights are then \
            rounded to nearest, or with --then gptq quantized by GPTQ on the scaled model \
            (sequential Hessians of the scaled inputs; GPTQ options apply; the clip search is \
            then off unless --awq-clip: on MiniLM w4 g128 it cost 0.0016 mean cosine). Default grid: \
            asymmetric, group 128.

            smoothquant (SmoothQuant, Xiao et al.) for W8A8: activations have outlier channels \
            that int8 cannot cover; s_j = max|x_j|^alpha / max|W_j|^(1 − alpha) moves part of \
            the range into the weights of every LayerNorm → linears group (an explicit input \
            multiply in BERT). Weights: int8 per-channel symmetric (--bits 8 --sym is implied). \
            Activations of every quantized linear: int8 (--act-bits) with one scale per tensor \
            from the calibration maxima (--act-scheme static) or one per token at run time \
            (dynamic). The QDQ JSON export records them (activations section: a Mul by 1/s, then \
            QuantizeLinear/DequantizeLinear); 'qzoo eval' and 'qzoo embed' on the output simulate \
            exactly that.

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
              qzoo quantize all-MiniLM-L6-v2/ w4-awq.qpack --method awq --bits 4 --group-size 128
              qzoo quantize all-MiniLM-L6-v2/ w4-awq-gptq.qpack --method awq --then gptq --bits 4 --group-size 128
              qzoo quantize all-MiniLM-L6-v2/ w8a8.qdq.json --method smoothquant --alpha 0.8 --bits 8 --act-bits 8 --act-scheme static
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

    @Option(help: ArgumentHelp("AWQ: quantizer after the scale and clip search (default: round to nearest).", valueName: "gptq"))
    var then: FollowingQuantizer?

    @Option(help: ArgumentHelp("AWQ: ratios tried, 0, 1/n, ..., (n−1)/n.", valueName: "n"))
    var nGrid = 20

    @Flag(help: "AWQ: AutoAWQ's duo scaling (activation term divided by the weights' relative magnitude).")
    var duoScaling = false

    @Flag(inversion: .prefixedNo, help: "AWQ: search each row's group clipping range after scaling, query and key excluded (default: on with round to nearest, off before GPTQ, which fits its own ranges).")
    var awqClip: Bool?

    @Option(help: ArgumentHelp("SmoothQuant: migration strength alpha in [0, 1].", valueName: "alpha"))
    var alpha = 0.5

    @Option(help: ArgumentHelp("SmoothQuant: activation bits (signed, symmetric).", valueName: "bits"))
    var actBits = 8

    @Option(help: ArgumentHelp("SmoothQuant: activation scales per tensor from calibration (static) or per token at run time (dynamic).", valueName: "scheme"))
    var actScheme: ActivationSchemeOption = .static

    @Option(help: ArgumentHelp("GPTQ: Hessians from this calibration file (NAME.hessian) instead of calibrating.", valueName: "calib"))
    var calibration: String?

    @Option(help: ArgumentHelp("GPTQ, AWQ, SmoothQuant: calibrate on this text file, one sentence per line (default: the built-in corpus).", valueName: "text"))
    var data: String?

    @Flag(help: "GPTQ: quantize columns in order of decreasing Hessian diagonal.")
    var actOrder = false

    @Flag(help: "GPTQ: fit all group scales before quantizing (act-order then stores no permutation).")
    var staticGroups = false

    @Option(help: ArgumentHelp("GPTQ: damping as a fraction of the mean Hessian diagonal.", valueName: "fraction"))
    var damp = 0.01

    @Option(help: ArgumentHelp("GPTQ: columns per lazy block update.", valueName: "columns"))
    var blockSize = 128

    @Flag(inversion: .prefixedNo, help: "GPTQ/QuIP# with on-the-fly calibration: measure each linear on the model as quantized up to it.")
    var sequential = true

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "GPTQ/QuIP# with sequential calibration: round each weight against its input covariance and let its bias absorb the mean output shift (W − Ŵ)·mean(x).",
        discussion: "Not available with --calibration or --no-sequential (no mean input is measured there)."))
    var biasCorrection = true

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "GPTQ/QuIP# with sequential calibration: fit each weight to the float model's output, not the quantized model's own (unrelated to --sym: this is about the calibration objective).",
        discussion: "Runs the float model beside the quantized one. Not available with --calibration or --no-sequential."))
    var asymmetricCalibration = true

    @Option(help: ArgumentHelp("GPTQ: precision of the factorisation and error feedback, f32 (the reference's) or f64.", valueName: "precision"))
    var gptqPrecision: GPTQPrecision = .float32

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
        if then != nil && method != .awq { throw ValidationError("--then applies to --method awq") }
        switch method {
        case .awq, .smoothquant:
            try validateActivationAware()
        case .gptq:
            guard !clipSearch else { throw ValidationError("--clip-search is an RTN option; GPTQ fits its ranges itself") }
            guard calibration == nil || data == nil else { throw ValidationError("give --calibration or --data, not both") }
            try gptqParameters().validate()
        case .quipsharp:
            try validateQuIPSharp()
        case .rtn:
            if calibration != nil || data != nil || actOrder || staticGroups || gptqPrecision != .float32 {
                throw ValidationError("--calibration, --data, --act-order, --static-groups and --gptq-precision apply to calibrated methods")
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
        return QuIPSharpParameters(codebook: codebook, rho: rho, damp: damp, tunePasses: tunePasses, sequential: sequential)
    }

    func validateActivationAware() throws {
        guard calibration == nil else { throw ValidationError("--method \(method.rawValue) calibrates itself on --data; --calibration is not used") }
        guard !clipSearch else { throw ValidationError("--clip-search is an RTN option; AWQ has its own clip search (--no-awq-clip to skip it)") }
        if method == .smoothquant {
            guard bits == 8, groupSize == nil else { throw ValidationError("smoothquant is W8A8: --bits 8 with per-channel weights (no --group-size)") }
            guard then == nil else { throw ValidationError("--then applies to --method awq") }
            try SmoothQuantParameters(alpha: alpha, activationBits: actBits, activationScheme: actScheme.scheme).validate()
        } else {
            try awqParameters().validate()
            if then == nil, actOrder || staticGroups { throw ValidationError("--act-order and --static-groups need --then gptq") }
        }
    }

    func awqParameters() -> AWQParameters {
        AWQParameters(bits: bits, groupSize: groupSize, zeroPoint: !sym, nGrid: nGrid, duoScaling: duoScaling, clip: awqClip ?? (then == nil))
    }

    func gptqParameters() -> GPTQParameters {
        GPTQParameters(bits: bits, groupSize: groupSize, symmetric: sym, actOrder: actOrder, staticGroups: staticGroups,
                       damp: damp, blockSize: blockSize, sequential: sequential, precision: gptqPrecision)
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
        try AtomicFile.checkDestination(output, overwrite: force)
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
    /// What sequential calibration corrects, as the flags ask.
    var corrections: SequentialCorrections {
        SequentialCorrections(biasCorrection: biasCorrection, asymmetric: asymmetricCalibration)
    }

    /// The input, quantized by the chosen method.
    func quantized() throws -> CheckpointQuantization {
        let grid = AffineGrid(bits: bits, symmetric: sym, granularity: groupSize.map { .group(size: $0) } ?? .perChannel)
        do {
            let gptq: GPTQCalibration
            switch method {
            case .awq, .smoothquant:
                let flow = ActivationAwareQuantization(model: try ModelInput.load(input), texts: try TextCorpus.load(data).lines,
                                                       selection: try selection(), options: runOptions, corrections: corrections)
                guard method == .awq else {
                    let weights = AffineGrid(bits: 8, symmetric: true, granularity: .perChannel)
                    return try flow.smoothQuant(SmoothQuantParameters(alpha: alpha, activationBits: actBits, activationScheme: actScheme.scheme), weightGrid: weights)
                }
                return try flow.awq(awqParameters(), then: then == nil ? nil : try GPTQQuantizer(parameters: gptqParameters()))
            case .rtn:
                let (source, _) = try CheckpointIO.read(path: input, options: readOptions.options)
                return try quantizeCheckpoint(source, with: try RTNQuantizer(grid: grid, clipSearch: clipSearch ? ClipSearch() : nil),
                                              selection: selection())
            case .gptq:
                gptq = GPTQCalibration(quantizer: try GPTQQuantizer(parameters: gptqParameters()), selection: try selection(),
                                       sequential: sequential, corrections: corrections)
            case .quipsharp:
                let rounding = try QuIPSharpQuantizer(parameters: try quipSharpParameters())
                gptq = GPTQCalibration(quantizer: IncoherentQuantizer(rounding, incoherence: HadamardIncoherence(seed: seed)),
                                       selection: try selection(), sequential: sequential, corrections: corrections)
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
    case awq
    case smoothquant
    case quipsharp
}

/// What `--then` may name after AWQ's searches.
enum FollowingQuantizer: String, ExpressibleByArgument, CaseIterable {
    case gptq
}

enum ActivationSchemeOption: String, ExpressibleByArgument, CaseIterable {
    case `static`, dynamic

    var scheme: SmoothQuantParameters.ActivationScheme { self == .static ? .static : .dynamic }
}

extension GPTQPrecision: ExpressibleByArgument {}
