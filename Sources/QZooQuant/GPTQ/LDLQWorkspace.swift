import QZooCore
import QZooMath

/// The state of one GPTQ/LDLQ rounding: the weight transposed to `[columns × rows]` (so a
/// column is contiguous and updates are SIMD axpys), the factor `U` with `H⁻¹ = UᵀU`, and the
/// error rows of the current lazy block.
///
/// Both the scalar GPTQ loop and the block (vector) loop run on this, so the error propagation
/// — within a lazy block column by column, past it as one gemm — is written once.
final class LDLQWorkspace {
    let rows: Int
    let columns: Int
    let lazyBlock: Int
    /// `[columns × rows]`, updated in place as errors propagate.
    let weight: UnsafeMutableBufferPointer<Float>
    /// Row-major `columns × columns`, upper triangle.
    let upper: [Float]
    /// `[lazyBlock × rows]`: row `k` holds the scaled error of column `blockStart + k`.
    let errors: UnsafeMutableBufferPointer<Float>

    init(transposedWeight: [Float], rows: Int, columns: Int, upper: [Float], lazyBlock: Int) {
        self.rows = rows
        self.columns = columns
        self.lazyBlock = lazyBlock
        self.upper = upper
        weight = .allocate(capacity: transposedWeight.count)
        _ = weight.initialize(from: transposedWeight)
        errors = .allocate(capacity: lazyBlock * rows)
        errors.initialize(repeating: 0)
    }

    deinit {
        weight.deallocate()
        errors.deallocate()
    }

    /// Column `column` of the weight (contiguous, `rows` long).
    func column(_ column: Int) -> UnsafeMutablePointer<Float> {
        weight.baseAddress.unsafelyUnwrapped + column * rows
    }

    /// Error row `k` of the current lazy block.
    func errorRow(_ k: Int) -> UnsafeMutablePointer<Float> {
        errors.baseAddress.unsafelyUnwrapped + k * rows
    }

    /// `W[:, t] −= err · U[source, t]` for `t` in `targets`: the reference's in-block update
    /// `W1[:, i:] −= err ⊗ Hinv1[i, i:]`, one axpy per later column of the lazy block.
    func propagate(error: UnsafePointer<Float>, from source: Int, to targets: Range<Int>) {
        let rows = rows
        for target in targets {
            let factor = upper[source * columns + target]
            let destination = column(target)
            for r in 0..<rows { destination[r] -= factor * error[r] }
        }
    }

    /// The lazy update after a block: `W[:, end:] −= Err · U[start:end, end:]`, as one sgemm
    /// on the transposed layout (`Wᵀ[end:, :] −= U[start:end, end:]ᵀ · Err`).
    func finishBlock(start: Int, end: Int) throws {
        guard end < columns else { return }
        try upper.withUnsafeBufferPointer { u in
            try BLAS.gemm(
                transA: true, m: columns - end, n: rows, k: end - start, alpha: -1,
                a: UnsafeBufferPointer(rebasing: u[(start * columns + end)...]), lda: columns,
                b: UnsafeBufferPointer(errors), ldb: rows, beta: 1,
                c: UnsafeMutableBufferPointer(rebasing: weight[(end * rows)...]), ldc: rows)
        }
    }
}
