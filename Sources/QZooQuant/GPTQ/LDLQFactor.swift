import QZooCore
import QZooMath

/// The factor GPTQ's loop reads: `U` upper with `(H + λI)⁻¹ = UᵀU`, column-major, from a
/// Hessian prepared as the reference prepares it (dead inputs set to 1 on the diagonal,
/// damping `λ = damp · mean diag`).
///
/// This is the reference's `cholesky(cholesky_inverse(cholesky(H)), upper=True)` at half the
/// cost: with `J` the reversal permutation and `J(H + λI)J = L′L′ᵀ`, `U = J·L′⁻¹·J`, one
/// Cholesky and one triangular inverse (`2n³/3` flops against `4n³/3`); column-major, `U` is
/// `L′⁻¹`'s storage read backwards. `U` is unique, so both agree up to rounding.
///
/// (`V = U⁻¹`, the reversed Cholesky factor alone, would give the same final rounding targets
/// without the inverse, but not the reference's intermediate lazily-updated weights, from which
/// groups are fitted at their first column.)
///
/// A damped Hessian can still fail to factor (too few calibration tokens, float32 round-off);
/// then it is retried in float64 (for float32), and then at 10× and 100× the damping (of 0.01
/// when `damp` is 0), as GPTQModel retries. If every attempt fails, `U = I`: the loop then rounds
/// to nearest on the same groups (what llm-compressor falls back to), and `damping` is nil so the
/// caller can report it.
struct LDLQFactor<T: LDLQScalar> {
    let n: Int
    /// Column-major `n×n`: `upper[j + t·n] = U[j, t]`, zeros below the diagonal.
    var upper: [T]
    /// `U[t, t]`.
    var diagonal: [T]
    /// The λ that was added to the diagonal; nil when plain rounding is used.
    var damping: Double?

    static var retryFactors: [Double] { [1, 10, 100] }

    /// `hessian` is `n×n` row-major in the original column order, `order` maps loop columns to
    /// original ones (nil: the identity), and `dead` marks original inputs whose diagonal
    /// counts as 1. Only the elements `H[order[j], order[i]]` with `i ≤ j` are read.
    init(hessian: [Double], n: Int, order: [Int]?, dead: [Bool], damp: Double) throws {
        self.n = n
        let source = HessianSource(hessian: hessian, n: n, order: order, dead: dead)
        let meanDiagonal = (0..<n).reduce(0.0) { $0 + Double(source.diagonal(T.self, $1)) } / Double(n)
        let retryBase = damp > 0 ? damp : 0.01
        for fraction in [damp] + Self.retryFactors.dropFirst().map({ retryBase * $0 }) {
            let lambda = fraction * meanDiagonal
            if let factor = try Self.inverseFactor(source, lambda: lambda) {
                upper = factor
                diagonal = (0..<n).map { factor[$0 * (n + 1)] }
                damping = lambda
                return
            }
        }
        upper = [T](repeating: 0, count: n * n)
        for i in 0..<n { upper[i * (n + 1)] = 1 }
        diagonal = [T](repeating: 1, count: n)
        damping = nil
    }

    /// `U` for `H + λI` in `T`, else (float32 only) in float64; nil when neither factors.
    static func inverseFactor(_ source: HessianSource, lambda: Double) throws -> [T]? {
        if let factor = try inverseFactor(T.self, source, lambda: lambda) { return factor }
        guard T.self == Float.self else { return nil }
        // The float64 retry factors the float32-rounded Hessian the first attempt saw.
        return try inverseFactor(Double.self, source, lambda: lambda, roundedThrough: T.self)?.map { T($0) }
    }

    private static func inverseFactor<S: LDLQScalar>(_: S.Type, _ source: HessianSource, lambda: Double,
                                                     roundedThrough rounding: T.Type = T.self) throws -> [S]? {
        let n = source.n, count = n * n
        var work = [S](unsafeUninitializedCapacity: count) { buffer, initialized in
            source.fillReversed(buffer, lambda: lambda, roundedThrough: rounding)
            initialized = count
        }
        let ok = try work.withUnsafeMutableBufferPointer {
            try LAPACK.lowerCholesky($0, n: n) && LAPACK.invertLowerTriangle($0, n: n)
        }
        guard ok else { return nil }
        work.reverse()
        return work.withUnsafeBufferPointer { S.allFinite($0) } ? work : nil
    }
}

extension LDLQFactor {
    /// The lazy update after a block: `W[:, end:] += Ē·U[start:end, end:]` as one gemm, with
    /// `W` row-major `[rows × n]` and `errors` holding `Ēᵀ` (`block.count × paddedRows`), the
    /// negated scaled errors.
    func applyFeedback(of block: Range<Int>, errors: UnsafeBufferPointer<T>, paddedRows: Int, rows: Int,
                       to work: UnsafeMutableBufferPointer<T>) throws {
        guard block.upperBound < n else { return }
        try upper.withUnsafeBufferPointer { u in
            try BLAS.gemm(
                transA: true, transB: true, m: rows, n: n - block.upperBound, k: block.count, alpha: 1,
                a: errors, lda: paddedRows,
                b: UnsafeBufferPointer(rebasing: u[(block.upperBound * n + block.lowerBound)...]), ldb: n, beta: 1,
                c: UnsafeMutableBufferPointer(rebasing: work[block.upperBound...]), ldc: n)
        }
    }
}
