import COpenBLAS
import QZooCore
import Synchronization

/// Checked entry points to OpenBLAS for row-major matrices.
///
/// BLAS takes 32-bit dimensions and reads memory it is told to trust; these wrappers check that
/// every dimension fits and that each buffer holds what the dimensions claim, so a bad size from
/// a file becomes a `QZooError`, never an out-of-bounds read.
public enum BLAS {
    /// `C[m×n] = alpha·op(A)·op(B) + beta·C`, where op(A) is m×k and op(B) is k×n.
    /// `lda`/`ldb`/`ldc` are row strides (elements between rows as stored).
    public static func gemm<T: BLASScalar>(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: T = 1,
        a: UnsafeBufferPointer<T>, lda: Int, b: UnsafeBufferPointer<T>, ldb: Int,
        beta: T = 0, c: UnsafeMutableBufferPointer<T>, ldc: Int
    ) throws {
        let (aRows, aCols) = transA ? (k, m) : (m, k)
        let (bRows, bCols) = transB ? (n, k) : (k, n)
        try checkOperand("A", a.count, rows: aRows, columns: aCols, stride: lda)
        try checkOperand("B", b.count, rows: bRows, columns: bCols, stride: ldb)
        try checkOperand("C", c.count, rows: m, columns: n, stride: ldc)
        guard m > 0, n > 0, let cBase = c.baseAddress else { return }
        guard k > 0, let aBase = a.baseAddress, let bBase = b.baseAddress else {
            scale(c, rows: m, columns: n, stride: ldc, by: beta)
            return
        }
        T.rawGemm(transA: transA, transB: transB, m: try int32(m), n: try int32(n), k: try int32(k), alpha: alpha,
                  a: aBase, lda: try int32(lda), b: bBase, ldb: try int32(ldb), beta: beta, c: cBase, ldc: try int32(ldc))
    }

    /// `C[n×n] += alpha·Aᵀ·A` on the upper triangle of `C` (float64), where A is k×n with row
    /// stride `lda`. Half the work of a gemm; the lower triangle is left as it was.
    public static func syrkTransposedUpper(
        n: Int, k: Int, alpha: Double = 1, a: UnsafeBufferPointer<Double>, lda: Int,
        c: UnsafeMutableBufferPointer<Double>
    ) throws {
        try checkOperand("A", a.count, rows: k, columns: n, stride: lda)
        try checkOperand("C", c.count, rows: n, columns: n, stride: n)
        guard n > 0, k > 0, let aBase = a.baseAddress, let cBase = c.baseAddress else { return }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, try int32(n), try int32(k), alpha, aBase, try int32(lda),
                    1, cBase, try int32(n))
    }

    /// The float32 `syrkTransposedUpper`: `C[n×n] = beta·C + alpha·Aᵀ·A` on the upper triangle.
    public static func syrkTransposedUpper(
        n: Int, k: Int, alpha: Float = 1, a: UnsafeBufferPointer<Float>, lda: Int,
        beta: Float = 1, c: UnsafeMutableBufferPointer<Float>
    ) throws {
        try checkOperand("A", a.count, rows: k, columns: n, stride: lda)
        try checkOperand("C", c.count, rows: n, columns: n, stride: n)
        guard n > 0, k > 0, let aBase = a.baseAddress, let cBase = c.baseAddress else { return }
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, try int32(n), try int32(k), alpha, aBase, try int32(lda),
                    beta, cBase, try int32(n))
    }

    /// The OpenBLAS kernel family in use (e.g. "Haswell", "SkylakeX"); set by the
    /// `OPENBLAS_CORETYPE` environment variable at process start, not changeable afterwards.
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The number of threads OpenBLAS uses (from `OPENBLAS_NUM_THREADS` or the core count).
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Stops OpenBLAS's helper threads until its next threaded call starts them again. OpenBLAS
    /// starts them when it is loaded, and they spin for about a tenth of a second before they
    /// sleep, taking turns on the cores with whatever the process does first (tokenizing and
    /// loading, on both cores): `qzoo` calls this on start.
    public static func stopIdleHelpers() {
        qzoo_openblas_stop_helpers()
    }

    /// `singleThreaded` for a command that owns the process, its helper threads stopped on both
    /// sides: setting the count restarts a pool that `stopIdleHelpers` stopped, and the fresh
    /// helpers would spin through their first tenth of a second, inside the scope with nothing
    /// to do and after it beside whatever comes next. Only where no other thread can be in an
    /// OpenBLAS call (a command's own run, not library code that tests call side by side):
    /// stopping the pool under a threaded call breaks it, and a helper stopped just as it goes
    /// to sleep never wakes.
    public static func singleThreadedWithHelpersStopped<R>(_ body: () throws -> R) rethrows -> R {
        defer { stopIdleHelpers() }
        return try singleThreaded {
            stopIdleHelpers()
            return try body()
        }
    }

    /// Runs `body` with OpenBLAS on one thread, for work already spread one task per core, where
    /// OpenBLAS's own threads would only contend with the other tasks. The setting is
    /// process-wide: overlapping calls share it, and the last one to finish restores the count.
    public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        singleThreadScope.withLock { state in
            if state.depth == 0 {
                state.saved = openblas_get_num_threads()
                openblas_set_num_threads(1)
            }
            state.depth += 1
        }
        defer {
            singleThreadScope.withLock { state in
                state.depth -= 1
                if state.depth == 0 { openblas_set_num_threads(state.saved) }
            }
        }
        return try body()
    }

    private static let singleThreadScope = Mutex<(depth: Int, saved: Int32)>((0, 1))

    static func checkOperand(_ name: String, _ count: Int, rows: Int, columns: Int, stride: Int) throws {
        guard rows >= 0, columns >= 0, stride >= max(columns, 1) else {
            throw QZooError(.invalidArgument, "matrix \(name): \(rows)×\(columns) with row stride \(stride) is not a valid layout")
        }
        guard rows > 0, columns > 0 else { return }
        guard let before = CheckedMath.multiply(rows - 1, stride), let needed = CheckedMath.add(before, columns),
              needed <= count else {
            throw QZooError(.invalidArgument, "matrix \(name): \(rows)×\(columns) with row stride \(stride) needs more than the \(count) elements given")
        }
    }

    static func int32(_ value: Int) throws -> Int32 {
        guard let narrow = Int32(exactly: value) else {
            throw QZooError(.limitExceeded, "matrix dimension \(value) exceeds BLAS's 32-bit limit")
        }
        return narrow
    }

    static func scale<T: BLASScalar>(_ c: UnsafeMutableBufferPointer<T>, rows: Int, columns: Int, stride: Int, by beta: T) {
        for row in 0..<rows {
            for column in 0..<columns { c[row * stride + column] = beta == 0 ? 0 : c[row * stride + column] * beta }
        }
    }
}
