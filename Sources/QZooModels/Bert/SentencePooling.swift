import QZooMath

extension BertEncoder {
    /// Sentence embeddings as sentence-transformers computes them for mean-pooling models:
    /// the mean of each sequence's final hidden states over its tokens (special tokens
    /// included, padding excluded), divided by its L2 norm (at least 1e-12): `[batch.count, h]`.
    public func sentenceEmbeddings<O: LinearInputObserver>(
        _ batch: TokenBatch, observer: inout O, profile: inout ForwardProfile
    ) throws -> [T] {
        let hidden = try hiddenStates(batch, observer: &observer, profile: &profile)
        return Self.meanPoolNormalized(hidden, batch: batch, width: config.hiddenSize)
    }

    public func sentenceEmbeddings(_ batch: TokenBatch) throws -> [T] {
        var observer = NoObserver()
        var profile = ForwardProfile()
        return try sentenceEmbeddings(batch, observer: &observer, profile: &profile)
    }

    static func meanPoolNormalized(_ hidden: [T], batch: TokenBatch, width: Int) -> [T] {
        var pooled = [T](repeating: 0, count: batch.count * width)
        for sequence in 0..<batch.count {
            let range = batch.range(sequence)
            let row = sequence * width
            for token in range {
                for c in 0..<width { pooled[row + c] += hidden[token * width + c] }
            }
            let count = T(max(range.count, 1))
            var squares: T = 0
            for c in 0..<width {
                pooled[row + c] /= count
                squares += pooled[row + c] * pooled[row + c]
            }
            let norm = max(squares.squareRoot(), T(1e-12))
            for c in 0..<width { pooled[row + c] /= norm }
        }
        return pooled
    }
}
