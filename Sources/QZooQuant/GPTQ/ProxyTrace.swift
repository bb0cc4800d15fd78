import QZooMath

/// `tr(ΔW H ΔWᵀ)`, the proxy loss of a GPTQ/LDLQ rounding, for the undamped Hessian.
///
/// The loop's squared scaled errors sum to the *damped* trace exactly (`ΔW = E·U` and
/// `U (H+λI) Uᵀ = I`), so subtracting `λ‖ΔW‖²` gives it without an `O(rows·columns²)` product;
/// only the plain-rounding fallback (no factor, no damping) pays for one.
enum ProxyTrace {
    /// From the loop's `Σ e²` and `‖ΔW‖²` and the damping `λ` it factored with.
    static func undamped(errorEnergy: Double, damping: Double, deltaEnergy: Double) -> Double {
        Swift.max(0, errorEnergy - damping * deltaEnergy)
    }

    /// Directly, in float64: `candidate` and `weight` are row-major `[rows × columns]`, `hessian`
    /// the `columns²` matrix as given (dead inputs' diagonal does not matter: `ΔW` is 0 there).
    static func direct(candidate: [Float], weight: [Float], hessian: [Double], rows: Int, columns: Int) throws -> Double {
        let delta = zip(candidate, weight).map { Double($0) - Double($1) }
        var product = [Double](repeating: 0, count: rows * columns)
        try delta.withUnsafeBufferPointer { a in
            try hessian.withUnsafeBufferPointer { h in
                try product.withUnsafeMutableBufferPointer { c in
                    try BLAS.gemm(m: rows, n: columns, k: columns, a: a, lda: columns, b: h, ldb: columns, c: c, ldc: columns)
                }
            }
        }
        return zip(product, delta).reduce(0.0) { $0 + $1.0 * $1.1 }
    }

    /// `tr(X H Xᵀ)` for row-major `rows × columns` X and `columns²` H, as one float32 gemm summed
    /// in float64: a layer's output energy, or a rounding's loss when X is `ΔW`.
    static func quadratic(_ x: [Float], _ h: [Float], rows: Int, columns: Int) throws -> Double {
        var product = [Float](repeating: 0, count: x.count)
        try x.withUnsafeBufferPointer { a in
            try h.withUnsafeBufferPointer { b in
                try product.withUnsafeMutableBufferPointer { c in
                    try BLAS.gemm(m: rows, n: columns, k: columns, a: a, lda: columns, b: b, ldb: columns, c: c, ldc: columns)
                }
            }
        }
        return zip(product, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
}
