import QZooMath

/// `tr(ΔW H ΔWᵀ)`, the proxy loss of a GPTQ/LDLQ rounding, for the undamped Hessian.
///
/// The loop's squared scaled errors sum to the *damped* trace exactly (`ΔW = E·U` and
/// `U (H+λI) Uᵀ = I`), so subtracting `λ‖ΔW‖²` gives it without an `O(rows·columns²)` product;
/// only the plain-rounding fallback (no factor, `damping` nil) pays for one.
enum ProxyTrace {
    /// `delta` is `Ŵ − W` row-major `[rows × columns]`; `hessian` the `columns²` matrix the
    /// loop was prepared from (dead diagonal entries, whose columns of `delta` are 0, do not matter).
    static func undamped(errorEnergy: Double, damping: Double?, delta: [Float], hessian: [Float],
                         rows: Int, columns: Int) throws -> Double {
        if let damping {
            let deltaEnergy = delta.reduce(0.0) { $0 + Double($1) * Double($1) }
            return Swift.max(0, errorEnergy - damping * deltaEnergy)
        }
        var product = [Float](repeating: 0, count: rows * columns)
        try delta.withUnsafeBufferPointer { a in
            try hessian.withUnsafeBufferPointer { h in
                try product.withUnsafeMutableBufferPointer { c in
                    try BLAS.gemm(m: rows, n: columns, k: columns, a: a, lda: columns, b: h, ldb: columns, c: c, ldc: columns)
                }
            }
        }
        return zip(product, delta).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
}
