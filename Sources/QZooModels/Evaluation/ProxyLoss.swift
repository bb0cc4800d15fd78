import QZooCore
import QZooMath

/// The layer-wise output error a quantized weight causes on the calibration inputs, relative
/// to the layer's output energy: `tr(ΔW H ΔWᵀ) / tr(W H Wᵀ)` with `H = XᵀX/n`, i.e.
/// `‖X ΔWᵀ‖² / ‖X Wᵀ‖²`. This is the quantity GPTQ minimises, so it ranks methods per layer.
public enum ProxyLoss {
    /// `reference` and `candidate` are `[out, in]` row-major; `hessian` is `[in, in]`.
    public static func relative(reference: [Float], candidate: [Float], hessian: [Double], outFeatures: Int, inFeatures: Int) throws -> Double {
        guard reference.count == outFeatures * inFeatures, candidate.count == reference.count,
              hessian.count == inFeatures * inFeatures else {
            throw QZooError(.invalidArgument, "proxy loss needs [\(outFeatures), \(inFeatures)] weights and a [\(inFeatures), \(inFeatures)] hessian")
        }
        let weight = reference.map(Double.init)
        let delta = zip(candidate, reference).map { Double($0) - Double($1) }
        let numerator = try quadraticTrace(delta, hessian, rows: outFeatures, columns: inFeatures)
        let denominator = try quadraticTrace(weight, hessian, rows: outFeatures, columns: inFeatures)
        return denominator > 0 ? numerator / denominator : (numerator > 0 ? .infinity : 0)
    }

    /// `tr(A H Aᵀ) = Σ (A·H) ∘ A`, with the product by dgemm.
    static func quadraticTrace(_ a: [Double], _ h: [Double], rows: Int, columns: Int) throws -> Double {
        var product = [Double](repeating: 0, count: rows * columns)
        try a.withUnsafeBufferPointer { a in
            try h.withUnsafeBufferPointer { h in
                try product.withUnsafeMutableBufferPointer { out in
                    try BLAS.gemm(m: rows, n: columns, k: columns, a: a, lda: columns, b: h, ldb: columns, c: out, ldc: columns)
                }
            }
        }
        return zip(product, a).reduce(0) { $0 + $1.0 * $1.1 }
    }
}
