import QZooCore
import QZooMath

/// The factor GPTQ's loop reads, `U` upper with `(H + λI)⁻¹ = UᵀU`, from a Hessian prepared as
/// the reference prepares it (dead columns set to 1 on the diagonal, damping `λ = damp·mean diag`).
///
/// A damped Hessian can still fail to factor (too few calibration tokens, float32 round-off);
/// then it is retried in float64, and then at 10× and 100× the damping (of 0.01 when `damp` is 0), as GPTQModel retries. If
/// every attempt fails, `U = I`: the loop then rounds to nearest on the same groups (what
/// llm-compressor falls back to), and `damping` is nil so the caller can report it.
struct HessianFactorization {
    /// Row-major `n×n`, upper triangle.
    var upper: [Float]
    /// The λ that was added to the diagonal; nil when plain rounding was used.
    var damping: Double?

    static let retryFactors: [Double] = [1, 10, 100]

    /// `hessian` is the `n×n` Hessian already in the column order the loop uses, with dead
    /// columns' diagonal set to 1.
    init(hessian: [Float], n: Int, damp: Double) throws {
        let meanDiagonal = (0..<n).reduce(0.0) { $0 + Double(hessian[$1 * n + $1]) } / Double(n)
        let retryBase = damp > 0 ? damp : 0.01
        for fraction in [damp] + Self.retryFactors.dropFirst().map({ retryBase * $0 }) {
            let lambda = fraction * meanDiagonal
            if let upper = try Self.factor(hessian, n: n, lambda: lambda) {
                self.upper = upper
                self.damping = lambda
                return
            }
        }
        var identity = [Float](repeating: 0, count: n * n)
        for i in 0..<n { identity[i * n + i] = 1 }
        self.upper = identity
        self.damping = nil
    }

    /// Float32 first (the reference's precision), float64 when float32 fails.
    private static func factor(_ hessian: [Float], n: Int, lambda: Double) throws -> [Float]? {
        var damped = hessian
        for i in 0..<n { damped[i * n + i] += Float(lambda) }
        if let upper = try damped.withUnsafeBufferPointer({ try LAPACK.inverseUpperCholesky($0, n: n) }) {
            return upper
        }
        var wide = hessian.map(Double.init)
        for i in 0..<n { wide[i * n + i] += lambda }
        return try wide.withUnsafeBufferPointer { try LAPACK.inverseUpperCholesky($0, n: n) }?.map(Float.init)
    }
}
