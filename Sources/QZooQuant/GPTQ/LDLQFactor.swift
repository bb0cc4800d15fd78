import QZooCore
import QZooMath

/// The factor GPTQ's loop reads, from a Hessian prepared as the reference prepares it (dead
/// inputs set to 1 on the diagonal, damping `λ = damp · mean diag`): `V` upper with
/// `H + λI = V·Vᵀ`.
///
/// The reference rounds with `U = cholesky(cholesky_inverse(cholesky(H)), upper=True)`, upper
/// with `(H + λI)⁻¹ = UᵀU`, i.e. `U = V⁻¹`. Forming `U` costs a Cholesky and a triangular
/// inverse (`2n³/3` flops); `V` alone is one Cholesky (`n³/3`): with `J` the reversal
/// permutation and `J(H + λI)J = L′L′ᵀ`, `V = J·L′·J`, `L′`'s column-major storage read
/// backwards. The loops need `U` only on the diagonal blocks of their lazy spans
/// (`inverseBlock`, `n·b²/3` flops in all): the feedback past a span is carried by `V` itself
/// (`LDLQFactor+Feedback`).
///
/// A damped Hessian can still fail to factor (too few calibration tokens, float32 round-off);
/// then it is retried in float64 (for float32), and then at 10× and 100× the damping (of 0.01
/// when `damp` is 0), as GPTQModel retries. If every attempt fails, `V = U = I`: the loop then
/// rounds to nearest on the same groups (what llm-compressor falls back to), and `damping` is
/// nil so the caller can report it.
struct LDLQFactor<T: LDLQScalar> {
    let n: Int
    /// Column-major `n×n`: `cholesky[j + t·n] = V[j, t]`, zeros below the diagonal.
    var cholesky: [T]
    /// `U[t, t] = 1 / V[t, t]`.
    var diagonal: [T]
    /// The λ that was added to the diagonal; nil when plain rounding is used.
    var damping: Double?

    static var retryFactors: [Double] { [1, 10, 100] }

    /// `hessian` is `n×n` row-major in the original column order, `order` maps loop columns to
    /// original ones (nil: the identity), and `dead` marks original inputs whose diagonal
    /// counts as 1. Only the elements `H[order[j], order[i]]` with `i ≤ j` are read.
    init<H: BinaryFloatingPoint>(hessian: [H], n: Int, order: [Int]?, dead: [Bool], damp: Double) throws {
        self.n = n
        let source = HessianSource(hessian: hessian, n: n, order: order, dead: dead)
        let meanDiagonal = (0..<n).reduce(0.0) { $0 + Double(source.diagonal(T.self, $1)) } / Double(n)
        let retryBase = damp > 0 ? damp : 0.01
        for fraction in [damp] + Self.retryFactors.dropFirst().map({ retryBase * $0 }) {
            let lambda = fraction * meanDiagonal
            if let factor = try Self.reversedCholesky(source, lambda: lambda) {
                cholesky = factor
                diagonal = (0..<n).map { 1 / factor[$0 * (n + 1)] }
                damping = lambda
                return
            }
        }
        cholesky = [T](repeating: 0, count: n * n)
        for i in 0..<n { cholesky[i * (n + 1)] = 1 }
        diagonal = [T](repeating: 1, count: n)
        damping = nil
    }

    /// `V` for `H + λI` in `T`, else (float32 only) in float64; nil when neither factors.
    static func reversedCholesky<H>(_ source: HessianSource<H>, lambda: Double) throws -> [T]? {
        if let factor = try reversedCholesky(T.self, source, lambda: lambda) { return factor }
        guard T.self == Float.self else { return nil }
        // The float64 retry factors the float32-rounded Hessian the first attempt saw.
        return try reversedCholesky(Double.self, source, lambda: lambda, roundedThrough: T.self)?.map { T($0) }
    }

    private static func reversedCholesky<S: LDLQScalar, H>(_: S.Type, _ source: HessianSource<H>, lambda: Double,
                                                        roundedThrough rounding: T.Type = T.self) throws -> [S]? {
        let n = source.n, count = n * n
        var work = [S](unsafeUninitializedCapacity: count) { buffer, initialized in
            source.fillReversed(buffer, lambda: lambda, roundedThrough: rounding)
            initialized = count
        }
        guard try work.withUnsafeMutableBufferPointer({ try LAPACK.lowerCholesky($0, n: n) }) else { return nil }
        work.reverse()
        return work.withUnsafeBufferPointer { S.allFinite($0) } ? work : nil
    }

    /// `U`'s diagonal block on `range`, column-major `L×L` (`L = range.count`):
    /// `U[range, range] = V[range, range]⁻¹`, as `U` and `V` are triangular. Inverted as
    /// `J·(J·V·J)⁻¹·J` so LAPACK sees a lower triangle.
    func inverseBlock(_ range: Range<Int>) throws -> [T] {
        let size = range.count
        var block = [T](repeating: 0, count: size * size)
        for t in 0..<size {
            let column = (range.lowerBound + t) * n + range.lowerBound
            for j in 0...t { block[j + t * size] = cholesky[column + j] }
        }
        block.reverse()
        guard try block.withUnsafeMutableBufferPointer({ try LAPACK.invertLowerTriangle($0, n: size) }) else {
            throw QZooError(.invalidArgument, "the Hessian factor has a zero on its diagonal in columns \(range)")
        }
        block.reverse()
        return block
    }
}
