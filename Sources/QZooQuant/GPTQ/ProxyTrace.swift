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

    /// `tr(X H Xᵀ)` for row-major `rows × columns` X and a symmetric `columns²` H (its upper
    /// triangle is read): a layer's output energy, or a rounding's loss when X is `ΔW`.
    ///
    /// Taken as `Σ G_ij H_ij` over the Gram matrix `G = XᵀX`, of which only the upper triangle
    /// is formed: half the multiply–adds of the product `X·H` (which costs `rows · columns²`),
    /// for every shape. `G` is made in column panels of `panelWidth` (float32 gemms, summed in
    /// float64), so a wide weight never holds all of it: MiniLM's FFN down would need a 9 MB
    /// matrix, fresh pages the kernel has to clear. The panels go side by side (single-threaded
    /// BLAS each) and their sums are added in panel order, so the trace does not depend on the
    /// scheduling.
    static func quadratic(_ x: [Float], _ h: [Float], rows: Int, columns: Int) throws -> Double {
        guard rows >= 0, columns > 0, x.count == rows * columns, h.count == columns * columns else {
            throw QZooError(.invalidArgument, "a proxy trace needs a [\(rows), \(columns)] matrix and a \(columns)² Hessian, got \(x.count) and \(h.count) values")
        }
        guard rows > 0 else { return 0 }
        let panels = stride(from: 0, to: columns, by: panelWidth).map { $0 ..< Swift.min($0 + panelWidth, columns) }
        let sums = try BLAS.singleThreaded {
            try parallelMap(count: panels.count) { try panelSum(x, h, rows: rows, columns: columns, panel: panels[$0]) }
        }
        return sums.reduce(0, +)
    }

    /// `Σ G_ij H_ij · (2 off the diagonal)` over `i ≤ j`, `j` in `panel`: the panel's columns of
    /// `G = XᵀX` down to the diagonal, as one gemm.
    private static func panelSum(_ x: [Float], _ h: [Float], rows: Int, columns: Int, panel: Range<Int>) throws -> Double {
        let (height, width) = (panel.upperBound, panel.count)
        var gram = [Float](repeating: 0, count: height * width)
        try x.withUnsafeBufferPointer { a in
            try gram.withUnsafeMutableBufferPointer { c in
                try BLAS.gemm(transA: true, m: height, n: width, k: rows, a: a, lda: columns,
                              b: UnsafeBufferPointer(rebasing: a[panel.lowerBound...]), ldb: columns, c: c, ldc: width)
            }
        }
        var sum = 0.0
        for i in 0 ..< height {
            for j in Swift.max(i, panel.lowerBound) ..< panel.upperBound {
                let term = Double(gram[i * width + j - panel.lowerBound]) * Double(h[i * columns + j])
                sum += i == j ? term : 2 * term
            }
        }
        return sum
    }

    /// Columns of the Gram matrix per gemm.
    static let panelWidth = 256
}
