import QZooMath

/// Mean pooling over each sequence's tokens followed by L2 normalisation (norm at least 1e-12,
/// as `torch.nn.functional.normalize`), computed in the forward pass's precision.
enum SentencePooling {
    static func meanNormalized<T: BLASScalar>(_ hidden: [T], batch: TokenBatch, width: Int) -> [T] {
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
