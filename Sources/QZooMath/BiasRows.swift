/// `out[r] = bias + residual[r]` (or just `bias`) for each of `rows` rows of `bias.count` values:
/// where a linear layer's output starts before its product is added (`BLAS.gemm` with β = 1).
/// `out` and `residual` hold at least `rows · bias.count` values.
public func fillWithBias<T: BLASScalar>(_ out: UnsafeMutableBufferPointer<T>, rows: Int, bias: UnsafeBufferPointer<T>,
                                        residual: UnsafeBufferPointer<T>?) {
    let width = bias.count
    for r in 0..<rows {
        let row = UnsafeMutableBufferPointer(rebasing: out[r * width..<(r + 1) * width])
        if let residual {
            let input = UnsafeBufferPointer(rebasing: residual[r * width..<(r + 1) * width])
            for c in 0..<width { row[c] = bias[c] + input[c] }
        } else {
            for c in 0..<width { row[c] = bias[c] }
        }
    }
}
