import QZooCore
import QZooMath

/// The element-wise and row-wise steps of a transformer layer, on row-major buffers.
///
/// Written as plain loops over buffer pointers: the compiler vectorises them in release builds,
/// and they stay readable next to the reference formulas they implement. Loops index one row
/// (a rebased buffer) rather than `row + c` into the whole buffer: the overflow check on that sum
/// keeps the loop scalar. Transcendental functions and reductions come from `BLASScalar`
/// (VectorMath for float32).
enum EncoderKernels {
    /// `out[r] = x[r]·Wᵀ + b (+ residual[r])` for `rows` rows, through GELU when `gelu` is set: in
    /// bfloat16 when the weight is rounded for it (one pass, `BFloat16Product.linear`), else bias
    /// (and residual) first, one gemm accumulating into it, then GELU.
    static func linear<T: BLASScalar>(
        _ x: UnsafeBufferPointer<T>, rows: Int, dense: BertWeights<T>.Dense,
        residual: UnsafeBufferPointer<T>? = nil, gelu: Bool = false, into out: UnsafeMutableBufferPointer<T>,
        profile: inout ForwardProfile
    ) throws {
        let (inF, outF) = (dense.inFeatures, dense.outFeatures)
        let start = MonotonicClock.seconds()
        try dense.bias.withUnsafeBufferPointer { bias in
            if let rounded = dense.bfloat16, let x = x as? UnsafeBufferPointer<Float>, let out = out as? UnsafeMutableBufferPointer<Float>,
               let bias = bias as? UnsafeBufferPointer<Float> {
                return try BFloat16Product.linear(x, rows: rows, weight: rounded, bias: bias,
                                                  residual: residual.flatMap { $0 as? UnsafeBufferPointer<Float> }, gelu: gelu, into: out)
            }
            fillWithBias(out, rows: rows, bias: bias, residual: residual)
            try dense.weight.withUnsafeBufferPointer { w in
                try BLAS.gemm(transB: true, m: rows, n: outF, k: inF, a: x, lda: inF, b: w, ldb: inF, beta: 1, c: out, ldc: outF)
            }
            if gelu { QZooMath.gelu(UnsafeMutableBufferPointer(rebasing: out[0..<rows * outF])) }
        }
        profile.linearSeconds += MonotonicClock.seconds() - start
        profile.linearFlops += 2 * Double(rows) * Double(inF) * Double(outF)
    }

    /// `out[r] = x[r]·Wᵀ + b + residual[r]` for rows already rounded to bfloat16, with a weight
    /// the kernel takes (float32 only).
    static func linear<T: BLASScalar>(
        _ x: BFloat16Product.RoundedRows, dense: BertWeights<T>.Dense, residual: UnsafeBufferPointer<T>,
        into out: UnsafeMutableBufferPointer<T>, profile: inout ForwardProfile
    ) throws {
        try withRoundedLayer(dense, rows: x.rows, profile: &profile) { weight, bias in
            guard let out = out as? UnsafeMutableBufferPointer<Float>, let residual = residual as? UnsafeBufferPointer<Float> else {
                throw QZooError(.invalidArgument, "rounded rows need a float32 layer rounded for bfloat16 products, not \(T.self)")
            }
            try BFloat16Product.linear(x, weight: weight, bias: bias, residual: residual, into: out)
        }
    }

    /// `x·Wᵀ + b` (through GELU when `gelu` is set) for rows already rounded to bfloat16, kept only
    /// rounded (`BFloat16Product.linearRounded`; float32 layers rounded for the kernel only).
    static func linearRounded<T: BLASScalar>(
        _ x: BFloat16Product.RoundedRows, dense: BertWeights<T>.Dense, gelu: Bool,
        packingWithColumnSumsInto sums: UnsafeMutableBufferPointer<Double>?, profile: inout ForwardProfile
    ) throws -> (kept: BFloat16Product.RoundedRows, packed: BFloat16Product.Packed?) {
        try withRoundedLayer(dense, rows: x.rows, profile: &profile) { weight, bias in
            try BFloat16Product.linearRounded(x, weight: weight, bias: bias, gelu: gelu, packingWithColumnSumsInto: sums)
        }
    }

    /// `body` with the layer's bfloat16-rounded weight and float32 bias (throwing for a layer
    /// without them), timed and counted in `profile` as a product of `rows` rows.
    private static func withRoundedLayer<T: BLASScalar, R>(
        _ dense: BertWeights<T>.Dense, rows: Int, profile: inout ForwardProfile,
        _ body: (BFloat16Product.LinearWeight, UnsafeBufferPointer<Float>) throws -> R
    ) throws -> R {
        let start = MonotonicClock.seconds()
        let result = try dense.bias.withUnsafeBufferPointer { bias in
            guard let weight = dense.bfloat16, let bias = bias as? UnsafeBufferPointer<Float> else {
                throw QZooError(.invalidArgument, "rounded rows need a float32 layer rounded for bfloat16 products, not \(T.self)")
            }
            return try body(weight, bias)
        }
        profile.linearSeconds += MonotonicClock.seconds() - start
        profile.linearFlops += 2 * Double(rows) * Double(dense.inFeatures) * Double(dense.outFeatures)
        return result
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
