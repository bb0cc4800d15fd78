import QZooMath

/// The reference's lazily updated weights, carried by `V` instead of `U`.
///
/// At each lazy block start `s` the reference holds `W̃ = W − E_{<s}·U_{<s,·}`, with `E` the
/// scaled errors. Every column's error is what its feedback left, `W − Ŵ = E·U`, so
/// `E = (W − Ŵ)·V`; and `V·U = I` turns the sum over finished columns into one over the span:
/// for `k ≥ s`, `E_{<s}·U_{<s,k} = −(W − Ŵ)_{<s}·V_{<s,[s,k]}·U_{[s,k],k}`. The loops therefore
/// keep `P = (W − Ŵ)_{<s}·V_{<s,·}` — one gemm per block on its residuals `W − Ŵ`, the shape of
/// the reference's gemm on its errors — and recover `W̃` on a span from `U`'s diagonal block
/// there: `W̃_span = W_span + P_span·U_{span,span}`.
extension LDLQFactor {
    /// `P[:, end:] += R·V[block, end:]` as one gemm, with `P` row-major `[rows × n]` and
    /// `residuals` holding `Rᵀ` (`block.count × paddedRows`), `R = W − Ŵ` on the block.
    func applyFeedback(of block: Range<Int>, residuals: UnsafeBufferPointer<T>, paddedRows: Int, rows: Int,
                       to feedback: UnsafeMutableBufferPointer<T>) throws {
        guard block.upperBound < n else { return }
        try cholesky.withUnsafeBufferPointer { v in
            try BLAS.gemm(
                transA: true, transB: true, m: rows, n: n - block.upperBound, k: block.count, alpha: 1,
                a: residuals, lda: paddedRows,
                b: UnsafeBufferPointer(rebasing: v[(block.upperBound * n + block.lowerBound)...]), ldb: n, beta: 1,
                c: UnsafeMutableBufferPointer(rebasing: feedback[block.upperBound...]), ldc: n)
        }
    }

    /// `W̃` on the columns `span` into `out` (row-major `[rows × span.count]`):
    /// `weight[:, span] + feedback[:, span]·inverse`, with `weight` and `feedback` row-major
    /// `[rows × n]` and `inverse = inverseBlock(span)`.
    func lazyWeights(span: Range<Int>, inverse: [T], weight: UnsafeBufferPointer<T>, feedback: UnsafeBufferPointer<T>,
                     rows: Int, into out: UnsafeMutableBufferPointer<T>) throws {
        let width = span.count
        for r in 0..<rows {
            _ = UnsafeMutableBufferPointer(rebasing: out[(r * width) ..< ((r + 1) * width)])
                .update(fromContentsOf: weight[(r * n + span.lowerBound) ..< (r * n + span.upperBound)])
        }
        guard span.lowerBound > 0 else { return }
        try inverse.withUnsafeBufferPointer { u in
            try BLAS.gemm(transB: true, m: rows, n: width, k: width, alpha: 1,
                          a: UnsafeBufferPointer(rebasing: feedback[span.lowerBound...]), lda: n, b: u, ldb: width,
                          beta: 1, c: out, ldc: width)
        }
    }
}
