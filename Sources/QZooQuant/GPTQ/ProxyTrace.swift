import QZooCore
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

    /// `tr(X H Xᵀ)` for row-major `rows × columns` X and `columns²` H, as float32 gemms summed
    /// in float64: a layer's output energy, or a rounding's loss when X is `ΔW`.
    ///
    /// The product's rows go in two halves side by side (`parallelMapLargestFirst`: each a gemm
    /// on one thread): for the weight a site rounds alone, this otherwise runs on one core while
    /// the other waits. The sum is then taken over all rows in order, as with one product (the
    /// same trace to the four digits `qzoo quantize` prints, on MiniLM's 36 linears).
    static func quadratic(_ x: [Float], _ h: [Float], rows: Int, columns: Int) throws -> Double {
        guard rows >= 0, columns > 0, x.count == rows * columns, h.count == columns * columns else {
            throw QZooError(.invalidArgument, "a proxy trace needs a [\(rows), \(columns)] matrix and a \(columns)² Hessian, got \(x.count) and \(h.count) values")
        }
        let ranges = rowPartRanges(count: rows, parts: rows >= rowsWorthSplitting ? 2 : 1)
        let halves = try parallelMapLargestFirst(count: ranges.count, cost: { _ in 1 }) { part in
            let range = ranges[part]
            var product = [Float](repeating: 0, count: range.count * columns)
            try x.withUnsafeBufferPointer { all in
                let a = UnsafeBufferPointer(rebasing: all[range.lowerBound * columns ..< range.upperBound * columns])
                try h.withUnsafeBufferPointer { b in
                    try product.withUnsafeMutableBufferPointer { c in
                        try BLAS.gemm(m: range.count, n: columns, k: columns, a: a, lda: columns, b: b, ldb: columns, c: c, ldc: columns)
                    }
                }
            }
            return product
        }
        return x.withUnsafeBufferPointer { x in
            var (sum, offset) = (0.0, 0)
            for half in halves {
                half.withUnsafeBufferPointer { product in
                    for i in product.indices { sum += Double(product[i]) * Double(x[offset + i]) }
                }
                offset += half.count
            }
            return sum
        }
    }

    /// Below this many rows one gemm does them all.
    static let rowsWorthSplitting = 64
}
