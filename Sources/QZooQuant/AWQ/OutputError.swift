import QZooMath

/// `tr(Δ H Δᵀ) = Σ_ij H_ij (ΔᵀΔ)_ij` for a `k × n` difference Δ and a symmetric `n × n` H: the
/// summed squared output error of a linear layer on calibration inputs whose Gram matrix is H.
///
/// ΔᵀΔ comes from one float32 syrk (half a gemm's work); the weighted sum runs over its upper
/// triangle in float64.
struct OutputError {
    let n: Int
    /// H as float32, row-major (only the upper triangle is read).
    let hessian: [Float]
    private var gram: [Float]

    init(hessian: [Double], n: Int) {
        self.n = n
        self.hessian = hessian.map { Float($0) }
        gram = [Float](repeating: 0, count: n * n)
    }

    mutating func callAsFunction(_ delta: UnsafeBufferPointer<Float>, rows: Int) throws -> Double {
        let n = n
        try gram.withUnsafeMutableBufferPointer { c in
            try BLAS.syrkTransposedUpper(n: n, k: rows, a: delta, lda: n, beta: 0, c: c)
        }
        return hessian.withUnsafeBufferPointer { h in
            gram.withUnsafeBufferPointer { g in
                var total = 0.0
                for i in 0..<n {
                    let row = i * n
                    var off: Float = 0
                    for j in (i + 1)..<n { off += h[row + j] * g[row + j] }
                    total += Double(h[row + i] * g[row + i]) + 2 * Double(off)
                }
                return total
            }
        }
    }
}
