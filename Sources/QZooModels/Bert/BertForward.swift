import QZooCore
import QZooMath

/// A BERT encoder's forward pass in `T` precision, behind `BertEncoder`.
///
/// Generic so that one implementation serves float32 work and float64 checks; internal so that
/// every use is with a concrete `T` inside this module, which the optimiser specialises (a
/// generic public entry point would run unspecialised, an order of magnitude slower).
struct BertForward<T: BLASScalar>: Sendable {
    /// Receives the input of each scale group: `(stage, group, rows × columns values, rows, columns)`.
    typealias Observe = (InputStage, Int, UnsafeBufferPointer<T>, Int, Int) throws -> Void

    let config: BertConfig
    var weights: BertWeights<T>

    init(architecture: BertArchitecture, checkpoint: Checkpoint) throws {
        config = architecture.config
        weights = try BertWeights(architecture: architecture, checkpoint: checkpoint)
    }

    /// The last layer's hidden states, `[batch.tokenCount, hiddenSize]` row-major.
    func hiddenStates(_ batch: TokenBatch, observe: Observe, profile: inout ForwardProfile) throws -> [T] {
        try check(batch)
        let start = MonotonicClock.seconds()
        var x = embed(batch)
        for index in weights.layers.indices {
            x = try layer(index, x, batch, observe: observe, profile: &profile)
        }
        profile.totalSeconds += MonotonicClock.seconds() - start
        profile.tokens += batch.tokenCount
        profile.sequences += batch.count
        return x
    }

    /// Rejects ids outside the vocabulary, empty sequences and sequences longer than the
    /// position table, naming the sequence.
    func check(_ batch: TokenBatch) throws {
        for sequence in 0..<batch.count {
            let range = batch.range(sequence)
            guard !range.isEmpty, range.count <= config.maxPositions else {
                throw QZooError(.invalidArgument, "sequence \(sequence) has \(range.count) tokens; the model accepts 1...\(config.maxPositions)")
            }
            if let bad = batch.ids[range].first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
                throw QZooError(.invalidArgument, "sequence \(sequence) has token id \(bad); the vocabulary has \(config.vocabSize) entries")
            }
        }
    }

    /// Word + position + token-type embeddings, LayerNorm'd: `[tokens, h]`.
    func embed(_ batch: TokenBatch) -> [T] {
        let h = config.hiddenSize
        var x = [T](repeating: 0, count: batch.tokenCount * h)
        var word = [Float](repeating: 0, count: h)
        x.withUnsafeMutableBufferPointer { out in
            for sequence in 0..<batch.count {
                for (position, token) in batch.range(sequence).enumerated() {
                    word.withUnsafeMutableBufferPointer { weights.wordEmbeddings.row(Int(batch.ids[token]), into: $0) }
                    let place = position * h, row = token * h
                    for c in 0..<h {
                        out[row + c] = T(word[c]) + weights.positionEmbeddings[place + c] + weights.tokenTypeEmbeddings[c]
                    }
                }
            }
            EncoderKernels.layerNorm(out, rows: batch.tokenCount, width: h, norm: weights.embeddingNorm, epsilon: T(config.layerNormEpsilon))
        }
        return x
    }

    /// One post-LayerNorm transformer layer: its four linear-input sites in order, each shown to
    /// the observer and then applied.
    func layer(_ index: Int, _ x: [T], _ batch: TokenBatch, observe: Observe, profile: inout ForwardProfile) throws -> [T] {
        var state = LayerActivations(input: x)
        for site in LayerSite.allCases {
            try apply(site, layer: index, &state, batch, observe: observe, profile: &profile)
        }
        return state.input
    }

    /// Shows the input of `site` to the observer (both views, as `apply` would) and computes nothing.
    func observe(_ site: LayerSite, layer index: Int, _ state: LayerActivations<T>, observe: Observe) throws {
        guard site != .ffnOutput || state.ffnRounded == nil else {
            throw QZooError(.invalidArgument, "layer \(index)'s FFN activations are kept only rounded; they were shown as they were made")
        }
        let (input, columns) = state.input(of: site, config: config)
        try input.withUnsafeBufferPointer { x in
            try prepared(weights.layers[index].inputs[site.rawValue], index * LayerSite.allCases.count + site.rawValue, x,
                         rows: x.count / columns, columns: columns, observe: observe) { _ in }
        }
    }

    /// Runs `site`'s linear layer(s) on its input, shown to the observer first, and what follows
    /// up to the next site's input: attention after q|k|v, the residual and LayerNorm after the
    /// attention output and FFN output, GELU after the intermediate layer. After `.ffnOutput`,
    /// `state.input` is the layer's output (the next layer's input).
    func apply(_ site: LayerSite, layer index: Int, _ state: inout LayerActivations<T>, _ batch: TokenBatch,
               observe: Observe, profile: inout ForwardProfile) throws {
        let (rows, h) = (batch.tokenCount, config.hiddenSize)
        let weights = self.weights.layers[index]
        let epsilon = T(config.layerNormEpsilon)
        let group = index * LayerSite.allCases.count + site.rawValue
        if site == .ffnOutput, let rounded = state.ffnRounded {
            return try applyOutput(rounded, layer: index, &state, profile: &profile)
        }
        let (source, columns) = state.input(of: site, config: config)
        guard source.count == rows * columns else {
            throw QZooError(.invalidArgument, "layer \(index) site \(site) has \(source.count) input values for \(rows) tokens of width \(columns); "
                            + "sites must be applied in order")
        }
        // Every case writes all of `out` (the linear products and attention overwrite, never add),
        // so the buffer starts uninitialized: zeroing tens of megabytes per site was pure cost.
        let count = rows * site.outputWidth(config)
        let result = try [T](unsafeUninitializedCapacity: count) { out, initialized in
            try source.withUnsafeBufferPointer { x in
                try prepared(weights.inputs[site.rawValue], group, x, rows: rows, columns: columns, observe: observe) { input in
                    switch site {
                    case .attentionInput:
                        let qkv = try [T](unsafeUninitializedCapacity: rows * 3 * h) { buffer, initialized in
                            try EncoderKernels.linear(input, rows: rows, dense: weights.queryKeyValue, into: buffer, profile: &profile)
                            initialized = rows * 3 * h
                        }
                        try qkv.withUnsafeBufferPointer { try attention($0, batch, into: out) }
                    case .attentionOutput:
                        try state.input.withUnsafeBufferPointer { residual in
                            try EncoderKernels.linear(input, rows: rows, dense: weights.attentionOutput, residual: residual, into: out, profile: &profile)
                        }
                        EncoderKernels.layerNorm(out, rows: rows, width: h, norm: weights.attentionNorm, epsilon: epsilon)
                    case .ffnInput:
                        try EncoderKernels.linear(input, rows: rows, dense: weights.intermediate, gelu: true, into: out, profile: &profile)
                    case .ffnOutput:
                        try state.attended.withUnsafeBufferPointer { residual in
                            try EncoderKernels.linear(input, rows: rows, dense: weights.output, residual: residual, into: out, profile: &profile)
                        }
                        EncoderKernels.layerNorm(out, rows: rows, width: h, norm: weights.outputNorm, epsilon: epsilon)
                    }
                }
            }
            initialized = count
        }
        state.store(result, after: site)
    }

    /// Whether layer `index`'s FFN activations can be kept rounded to bfloat16
    /// (`applyIntermediateKeepingRounded`): float32, both FFN products in the bfloat16 kernel,
    /// and nothing done to their inputs first (no input scale, no activation quantization).
    func keepsIntermediateRounded(layer index: Int) -> Bool {
        guard T.self == Float.self, weights.layers.indices.contains(index) else { return false }
        let layer = weights.layers[index]
        return layer.output.bfloat16?.usesKernel == true && layer.intermediate.bfloat16?.usesKernel == true
            && layer.inputs[LayerSite.ffnInput.rawValue].isIdentity && layer.inputs[LayerSite.ffnOutput.rawValue].isIdentity
    }

    /// `apply(.ffnInput)` for a pass that reads the FFN activations only once more, as the
    /// FFN-down layer's bfloat16 operand, and measures them for FFN down's Hessian: the kernel
    /// lands the GELU output only rounded, as the rows FFN down multiplies (kept in
    /// `LayerActivations.ffnRounded`: half the bytes per calibration token) and packed for the
    /// Gram matrix with its column sums (`BFloat16Product.linearRounded`), never as float32.
    /// `measure` gets the rows, the columns and that product, which it calls with the column
    /// sums to add to and which returns the packed output: what `observe(.ffnOutput)` would show,
    /// rounded the same way. For layers where `keepsIntermediateRounded` holds.
    func applyIntermediateKeepingRounded(layer index: Int, _ state: inout LayerActivations<T>, _ batch: TokenBatch, profile: inout ForwardProfile,
                                         measure: (Int, Int, (UnsafeMutableBufferPointer<Double>) throws -> BFloat16Product.Packed) throws -> Void) throws {
        let (rows, h, width) = (batch.tokenCount, config.hiddenSize, config.intermediateSize)
        let weights = self.weights.layers[index]
        guard keepsIntermediateRounded(layer: index) else {
            throw QZooError(.invalidArgument, "layer \(index)'s FFN activations cannot be kept rounded: its FFN products do not run "
                            + "in the bfloat16 kernel, or its input is scaled or quantized first")
        }
        guard state.attended.count == rows * h else {
            throw QZooError(.invalidArgument, "layer \(index) site ffnInput has \(state.attended.count) input values for \(rows) tokens "
                            + "of width \(h); sites must be applied in order")
        }
        let input = try state.attended.withUnsafeBufferPointer { attended in
            guard let floats = attended as? UnsafeBufferPointer<Float> else {
                throw QZooError(.invalidArgument, "bfloat16 FFN activations need a float32 forward pass, not \(T.self)")
            }
            return try BFloat16Product.roundedRows(floats, rows: rows, width: h)
        }
        var kept: BFloat16Product.RoundedRows?
        try measure(rows, width) { sums in
            let (rounded, packed) = try EncoderKernels.linearRounded(input, dense: weights.intermediate, gelu: true,
                                                                     packingWithColumnSumsInto: sums, profile: &profile)
            kept = rounded
            guard let packed else { throw QZooError(.invalidArgument, "layer \(index)'s FFN activations were not packed for measuring") }
            return packed
        }
        guard let kept else {
            throw QZooError(.invalidArgument, "layer \(index)'s FFN activations were never computed: keeping them rounded needs them measured")
        }
        state.ffnRounded = kept
        state.ffn = []
    }

    /// `apply(.ffnOutput)` on activations kept rounded: the FFN-down product of the rounded rows
    /// with the residual, then LayerNorm; what `apply` computes from the float32 activations.
    private func applyOutput(_ rounded: BFloat16Product.RoundedRows, layer index: Int, _ state: inout LayerActivations<T>,
                             profile: inout ForwardProfile) throws {
        let (rows, h) = (rounded.rows, config.hiddenSize)
        let weights = self.weights.layers[index]
        guard state.attended.count == rows * h else {
            throw QZooError(.invalidArgument, "layer \(index) has \(state.attended.count) residual values for \(rows) tokens of width \(h)")
        }
        let result = try [T](unsafeUninitializedCapacity: rows * h) { out, initialized in
            try state.attended.withUnsafeBufferPointer { residual in
                try EncoderKernels.linear(rounded, dense: weights.output, residual: residual, into: out, profile: &profile)
            }
            EncoderKernels.layerNorm(out, rows: rows, width: h, norm: weights.outputNorm, epsilon: T(config.layerNormEpsilon))
            initialized = rows * h
        }
        state.store(result, after: .ffnOutput)
    }

    /// Shows `x` to the observer, then calls `body` (after showing it too) with `x` itself, or
    /// with a copy multiplied column-wise by the group's multiplier and passed through its
    /// activation quantization.
    func prepared(_ treatment: BertWeights<T>.GroupInput, _ group: Int, _ x: UnsafeBufferPointer<T>, rows: Int, columns: Int,
                  observe: Observe, _ body: (UnsafeBufferPointer<T>) throws -> Void) throws {
        try observe(.untransformed, group, x, rows, columns)
        guard !treatment.isIdentity else {
            try observe(.consumed, group, x, rows, columns)
            return try body(x)
        }
        var copy = Array(x[0..<rows * columns])
        copy.withUnsafeMutableBufferPointer { values in
            if let multiplier = treatment.multiplier {
                for r in 0..<rows {
                    for c in 0..<columns { values[r * columns + c] *= multiplier[c] }
                }
            }
            treatment.activation?.simulate(values, rows: rows, columns: columns)
        }
        try copy.withUnsafeBufferPointer { input in
            try observe(.consumed, group, input, rows, columns)
            try body(input)
        }
    }

    /// Scaled dot-product attention of every head within every sequence; `qkv` rows are
    /// `[q | k | v]` (3h wide), the result is `[tokens, h]` with heads side by side. In float32
    /// where `AttentionKernel` runs, a sequence at a time; otherwise two gemms and a softmax per
    /// head.
    func attention(_ qkv: UnsafeBufferPointer<T>, _ batch: TokenBatch, into context: UnsafeMutableBufferPointer<T>) throws {
        let (h, d) = (config.hiddenSize, config.headSize)
        let scale = 1 / T(d).squareRoot()
        if AttentionKernel.runs(headSize: d), let qkv = qkv as? UnsafeBufferPointer<Float>,
           let context = context as? UnsafeMutableBufferPointer<Float>, let scale = scale as? Float {
            var scratch = [Float](repeating: 0, count: AttentionKernel.scratchCount(length: batch.maxLength, headSize: d))
            for sequence in 0..<batch.count {
                let range = batch.range(sequence)
                try AttentionKernel.attend(UnsafeBufferPointer(rebasing: qkv[range.lowerBound * 3 * h ..< range.upperBound * 3 * h]),
                                           length: range.count, hidden: h, heads: config.headCount, scale: scale,
                                           into: UnsafeMutableBufferPointer(rebasing: context[range.lowerBound * h ..< range.upperBound * h]),
                                           scratch: &scratch)
            }
            return
        }
        var scores = [T](repeating: 0, count: batch.maxLength * batch.maxLength)
        try scores.withUnsafeMutableBufferPointer { scores in
            for sequence in 0..<batch.count {
                let range = batch.range(sequence)
                let length = range.count
                let rowsOf = { (offset: Int) in UnsafeBufferPointer(rebasing: qkv[(range.lowerBound * 3 * h + offset)...]) }
                let block = UnsafeMutableBufferPointer(rebasing: scores[0..<length * length])
                for head in 0..<config.headCount {
                    try BLAS.gemm(transB: true, m: length, n: length, k: d, alpha: scale,
                                  a: rowsOf(head * d), lda: 3 * h, b: rowsOf(h + head * d), ldb: 3 * h, c: block, ldc: length)
                    EncoderKernels.softmaxRows(block, rows: length, width: length)
                    let out = UnsafeMutableBufferPointer(rebasing: context[(range.lowerBound * h + head * d)...])
                    try BLAS.gemm(m: length, n: d, k: length, a: UnsafeBufferPointer(block), lda: length,
                                  b: rowsOf(2 * h + head * d), ldb: 3 * h, c: out, ldc: h)
                }
            }
        }
    }
}
