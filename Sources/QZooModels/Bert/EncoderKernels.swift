import Dispatch
import QZooMath

/// The element-wise and row-wise steps of a transformer layer, on row-major buffers.
///
/// Written as plain loops over buffer pointers: the compiler vectorises them in release builds,
/// and they stay readable next to the reference formulas they implement.
enum EncoderKernels {
    /// `out[r] = x[r]·Wᵀ + b (+ residual[r])` for `rows` rows: bias (and residual) first, then
    /// one gemm accumulating into it.
    static func linear<T: BLASScalar>(
        _ x: UnsafeBufferPointer<T>, rows: Int, dense: BertWeights<T>.Dense,
        residual: UnsafeBufferPointer<T>? = nil, into out: UnsafeMutableBufferPointer<T>,
        profile: inout ForwardProfile
    ) throws {
        let (inF, outF) = (dense.inFeatures, dense.outFeatures)
        dense.bias.withUnsafeBufferPointer { bias in
            for r in 0..<rows {
                let row = r * outF
                if let residual {
                    for c in 0..<outF { out[row + c] = bias[c] + residual[row + c] }
                } else {
                    for c in 0..<outF { out[row + c] = bias[c] }
                }
            }
        }
        let start = MonotonicClock.seconds()
        try dense.weight.withUnsafeBufferPointer { w in
            try BLAS.gemm(transB: true, m: rows, n: outF, k: inF, a: x, lda: inF, b: w, ldb: inF, beta: 1, c: out, ldc: outF)
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
                    let row = r * width
                    var sum: T = 0
                    for c in 0..<width { sum += x[row + c] }
                    let mean = sum / T(width)
                    var squares: T = 0
                    for c in 0..<width {
                        let d = x[row + c] - mean
                        squares += d * d
                    }
                    let inverse = 1 / (squares / T(width) + epsilon).squareRoot()
                    for c in 0..<width { x[row + c] = (x[row + c] - mean) * inverse * gamma[c] + beta[c] }
                }
            }
        }
    }

    /// In-place exact GELU, `x·(1 + erf(x/√2))/2`, split across the cores: erf is the
    /// costliest element-wise step of the layer, and BLAS's threads sit idle meanwhile.
    static func gelu<T: BLASScalar>(_ x: UnsafeMutableBufferPointer<T>) {
        let inverseRoot2 = 1 / T(2).squareRoot()
        let parts = max(1, min(BLAS.threadCount, x.count / 4096))
        nonisolated(unsafe) let values = x
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let range = part * values.count / parts..<(part + 1) * values.count / parts
            for i in range { values[i] = values[i] * (1 + T.erf(values[i] * inverseRoot2)) / 2 }
        }
    }

    /// In-place softmax of each `width`-wide row (max subtracted first, so no overflow).
    static func softmaxRows<T: BLASScalar>(_ x: UnsafeMutableBufferPointer<T>, rows: Int, width: Int) {
        for r in 0..<rows {
            let row = r * width
            var maximum = x[row]
            for c in 1..<max(width, 1) { maximum = max(maximum, x[row + c]) }
            var sum: T = 0
            for c in 0..<width {
                let e = T.exp(x[row + c] - maximum)
                x[row + c] = e
                sum += e
            }
            let inverse = 1 / sum
            for c in 0..<width { x[row + c] *= inverse }
        }
    }
}
