import QZooCore
import QZooMath

/// Asymmetric calibration (Li et al. 2025, "GPTAQ: Efficient Finetuning-Free Quantization for
/// Asymmetric Calibration"): in sequential calibration a layer's input `X̃` comes from the model
/// as quantized so far, and differs from the float model's input `X` on the same tokens. Plain
/// GPTQ/LDLQ minimises `‖Ŵ X̃ − W X̃‖²`, which keeps the layer faithful to its own, already
/// perturbed input; the layer should rather reproduce the float model's output, `‖Ŵ X̃ − W X‖²`.
///
/// That objective equals `tr((Ŵ − W*) H (Ŵ − W*)ᵀ)` plus a constant, with `H = X̃ᵀX̃/n` and the
/// target `W* = W C H⁻¹`, `C = XᵀX̃/n` (float channels as rows). So the usual rounding of `W*`
/// against `H` solves it, and the rounding code needs no change. The target is computed as
/// `W + W (C − H)(H + λI)⁻¹`: exactly `W` when both models agree (`C = H`), and damped like
/// the rounding itself (`λ = damp · mean diag H`) where `H` is nearly singular. It is computed
/// in float32: the damped system is well conditioned, and the target is only rounded after.
///
/// With bias correction both moments are centred (`C − μ_float μ̃ᵀ`, `H − μ̃μ̃ᵀ`) and the bias
/// absorbs `W μ_float − Ŵ μ̃` (`BiasCorrection.corrected(…, referenceMean:)`).
public enum AsymmetricCalibration {
    /// Relative damping of `H` in the target's solve (GPTQ's and QuIP#'s default `damp`).
    public static let damp = 0.01

    /// `W + W (C − H)(H + λI)⁻¹` for row-major `[rows × columns]` `weight`, `hessian` H and
    /// `cross` C (`columns²` each). Returns `weight` unchanged when `H + λI` does not factor
    /// (a dead input: the rounding's own damping handles it).
    public static func target(weight: [Float], rows: Int, columns n: Int, hessian: [Double], cross: [Double]) throws -> [Float] {
        guard let size = CheckedMath.multiply(n, n), hessian.count == size, cross.count == size,
              let count = CheckedMath.multiply(rows, n), weight.count == count else {
            throw QZooError(.invalidArgument, "asymmetric calibration needs a [\(rows), \(n)] weight and \(n)×\(n) moments, got "
                            + "\(weight.count) weights and \(hessian.count) and \(cross.count) moment values")
        }
        let mean = (0..<n).reduce(0.0) { $0 + hessian[$1 * n + $1] } / Double(max(n, 1))
        var factor = hessian.map(Float.init)
        for i in 0..<n { factor[i * n + i] += Float(damp * mean) }
        guard mean > 0, try factor.withUnsafeMutableBufferPointer({ try LAPACK.lowerCholesky($0, n: n) }) else { return weight }
        var shift = try product(weight, zip(cross, hessian).map { Float($0 - $1) }, rows: rows, n: n)
        try factor.withUnsafeBufferPointer { l in
            try shift.withUnsafeMutableBufferPointer { try LAPACK.choleskySolve(factor: l, n: n, $0, count: rows) }
        }
        return zip(weight, shift).map { $0 + $1 }
    }

    /// `C − μ_float μ̃ᵀ`: the cross covariance that goes with the centred `H` of bias correction.
    public static func centred(cross: [Double], referenceMean: [Double], mean: [Double]) -> [Double] {
        let n = mean.count
        var result = cross
        for r in 0..<n {
            for c in 0..<n { result[r * n + c] -= referenceMean[r] * mean[c] }
        }
        return result
    }

    /// Row-major `x · m` for `[rows × n]` x and `n × n` m.
    private static func product(_ x: [Float], _ m: [Float], rows: Int, n: Int) throws -> [Float] {
        var out = [Float](repeating: 0, count: rows * n)
        try x.withUnsafeBufferPointer { a in
            try m.withUnsafeBufferPointer { b in
                try out.withUnsafeMutableBufferPointer { c in
                    try BLAS.gemm(m: rows, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: c, ldc: n)
                }
            }
        }
        return out
    }
}
