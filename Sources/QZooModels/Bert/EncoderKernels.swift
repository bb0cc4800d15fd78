import QZooMath

/// The element-wise and row-wise steps of a transformer layer, on row-major buffers.
///
/// Written as plain loops over buffer pointers: the compiler vectorises them in release builds,
/// and they stay readable next to the reference formulas they implement. Loops index one row
/// (a rebased buffer) rather than `row + c` into the whole buffer: the overflow check on that sum
/// keeps the loop scalar. Transcendental functions and reductions come from `BLASScalar`
/// (VectorMath for float32).
enum EncoderKernels {
    /// `out[r] = x[r]·Wᵀ + b (+ residual[r])` for `rows` rows: bias (and residual) first, then
    /// one product accumulating into it (in bfloat16 when the weight is rounded for it, else gemm).
    static func linear<T: BLASScalar>(
        _ x: UnsafeBufferPointer<T>, rows: Int, dense: BertWeights<T>.Dense,
        residual: UnsafeBufferPointer<T>? = nil, into out: UnsafeMutableBufferPointer<T>,
        profile: inout ForwardProfile
    ) throws {
        let (inF, outF) = (dense.inFeatures, dense.outFeatures)
        dense.bias.withUnsafeBufferPointer { bias in
            for r in 0..<rows {
                let row = UnsafeMutableBufferPointer(rebasing: out[r * outF..<(r + 1) * outF])
                if let residual {
                    let input = UnsafeBufferPointer(rebasing: residual[r * outF..<(r + 1) * outF])
                    for c in 0..<outF { row[c] = bias[c] + input[c] }
                } else {
                    for c in 0..<outF { row[c] = bias[c] }
                }
            }
        }
        let start = MonotonicClock.seconds()
        if let rounded = dense.bfloat16, let x = x as? UnsafeBufferPointer<Float>, let out = out as? UnsafeMutableBufferPointer<Float> {
            try BFloat16Product.addLinear(x, rows: rows, weight: rounded, into: out)
        } else {
            try dense.weight.withUnsafeBufferPointer { w in
                try BLAS.gemm(transB: true, m: rows, n: outF, k: inF, a: x, lda: inF, b: w, ldb: inF, beta: 1, c: out, ldc: outF)
            }
        }
        profile.linearSeconds += MonotonicClock.seconds() - start
        profile.linearFlops += 2 * Double(rows) * Double(inF) * Double(outF)
    }

    /// In-place LayerNorm of each `width`-wide row (mean and biased variance, as PyTorch).
    static func layerNorm<T: BLASScalar>(_ x: UnsafeMutableBufferPointer<T>, rows: Int, width: Int,
                                         norm: BertWeights<T>.Norm, epsilon: T) {
        norm.gamma.withUnsafeBufferPointer { gamma in
            norm.beta.withUnsafeBufferPointer { beta in
                for r in 0..<rows {
                    let row = UnsafeMutableBufferPointer(rebasing: x[r * width..<(r + 1) * width])
                    let mean = T.sum(UnsafeBufferPointer(row)) / T(width)
                    for c in 0..<width { row[c] -= mean }
                    let inverse = 1 / (T.sumOfSquares(UnsafeBufferPointer(row)) / T(width) + epsilon).squareRoot()
                    for c in 0..<width { row[c] = row[c] * inverse * gamma[c] + beta[c] }
                }
            }
        }
    }

    /// In-place exact GELU, `x·(1 + erf(x/√2))/2`, a block at a time: `erf(x/√2)` of a block
    /// goes into a small scratch buffer (it stays in L1 cache) through `T.erf`, then combines
    /// with `x`. One thread: with VectorMath's erf the whole step is about 1 % of a calibration
    /// run, and splitting it across the cores measured no faster.
    static func gelu<T: BLASScalar>(_ x: UnsafeMutableBufferPointer<T>) {
        let inverseRoot2 = 1 / T(2).squareRoot()
        withUnsafeTemporaryAllocation(of: T.self, capacity: 1024) { scratch in
            for start in stride(from: 0, to: x.count, by: scratch.count) {
                let block = UnsafeMutableBufferPointer(rebasing: x[start..<min(start + scratch.count, x.count)])
                let erf = UnsafeMutableBufferPointer(rebasing: scratch[0..<block.count])
                for i in 0..<block.count { erf[i] = block[i] * inverseRoot2 }
                T.erf(erf)
                for i in 0..<block.count { block[i] = block[i] * (1 + erf[i]) / 2 }
            }
        }
    }

    /// In-place softmax of each `width`-wide row (max subtracted first, so no overflow).
    static func softmaxRows<T: BLASScalar>(_ x: UnsafeMutableBufferPointer<T>, rows: Int, width: Int) {
        for r in 0..<rows {
            let row = UnsafeMutableBufferPointer(rebasing: x[r * width..<(r + 1) * width])
            let maximum = T.maximum(UnsafeBufferPointer(row))
            for c in 0..<width { row[c] -= maximum }
            T.exp(row)
            let inverse = 1 / T.sum(UnsafeBufferPointer(row))
            for c in 0..<width { row[c] *= inverse }
        }
    }
}
