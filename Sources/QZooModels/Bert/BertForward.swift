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
    let weights: BertWeights<T>

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
        x.withUnsafeMutableBufferPointer { out in
            for sequence in 0..<batch.count {
                for (position, token) in batch.range(sequence).enumerated() {
                    let word = Int(batch.ids[token]) * h, place = position * h, row = token * h
                    for c in 0..<h {
                        out[row + c] = weights.wordEmbeddings[word + c] + weights.positionEmbeddings[place + c] + weights.tokenTypeEmbeddings[c]
                    }
                }
            }
            EncoderKernels.layerNorm(out, rows: batch.tokenCount, width: h, norm: weights.embeddingNorm, epsilon: T(config.layerNormEpsilon))
        }
        return x
    }

    /// One post-LayerNorm transformer layer. Each scale group's input goes through the group's
    /// explicit input multiply and activation quantization (when present) before the observer
    /// and the linears see it; the residual stream keeps the untouched value.
    func layer(_ index: Int, _ x: [T], _ batch: TokenBatch, observe: Observe, profile: inout ForwardProfile) throws -> [T] {
        let (rows, h, ffn) = (batch.tokenCount, config.hiddenSize, config.intermediateSize)
        let weights = self.weights.layers[index]
        let epsilon = T(config.layerNormEpsilon)
        let group = index * 4
        var qkv = [T](repeating: 0, count: rows * 3 * h)
        var context = [T](repeating: 0, count: rows * h)
        var attended = [T](repeating: 0, count: rows * h)
        var hidden = [T](repeating: 0, count: rows * ffn)
        var output = [T](repeating: 0, count: rows * h)
        try x.withUnsafeBufferPointer { x in
            try prepared(weights.inputs[0], group, x, rows: rows, columns: h, observe: observe) { input in
                try qkv.withUnsafeMutableBufferPointer { try EncoderKernels.linear(input, rows: rows, dense: weights.queryKeyValue, into: $0, profile: &profile) }
            }
            try qkv.withUnsafeBufferPointer { qkv in
                try context.withUnsafeMutableBufferPointer { try attention(qkv, batch, into: $0) }
            }
            try context.withUnsafeBufferPointer { context in
                try prepared(weights.inputs[1], group + 1, context, rows: rows, columns: h, observe: observe) { input in
                    try attended.withUnsafeMutableBufferPointer {
                        try EncoderKernels.linear(input, rows: rows, dense: weights.attentionOutput, residual: x, into: $0, profile: &profile)
                        EncoderKernels.layerNorm($0, rows: rows, width: h, norm: weights.attentionNorm, epsilon: epsilon)
                    }
                }
            }
        }
        try attended.withUnsafeBufferPointer { attended in
            try prepared(weights.inputs[2], group + 2, attended, rows: rows, columns: h, observe: observe) { input in
                try hidden.withUnsafeMutableBufferPointer {
                    try EncoderKernels.linear(input, rows: rows, dense: weights.intermediate, into: $0, profile: &profile)
                    EncoderKernels.gelu($0)
                }
            }
            try hidden.withUnsafeBufferPointer { hidden in
                try prepared(weights.inputs[3], group + 3, hidden, rows: rows, columns: ffn, observe: observe) { input in
                    try output.withUnsafeMutableBufferPointer {
                        try EncoderKernels.linear(input, rows: rows, dense: weights.output, residual: attended, into: $0, profile: &profile)
                        EncoderKernels.layerNorm($0, rows: rows, width: h, norm: weights.outputNorm, epsilon: epsilon)
                    }
                }
            }
        }
        return output
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
    /// `[q | k | v]` (3h wide), the result is `[tokens, h]` with heads side by side.
    func attention(_ qkv: UnsafeBufferPointer<T>, _ batch: TokenBatch, into context: UnsafeMutableBufferPointer<T>) throws {
        let (h, d) = (config.hiddenSize, config.headSize)
        let scale = 1 / T(d).squareRoot()
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
