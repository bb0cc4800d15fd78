#if canImport(Glibc)
import Glibc
#endif

/// The machine's single-precision matrix-multiply rate, measured now.
///
/// Throughput claims ("the forward pass reaches X% of sgemm") need the reference measured in the
/// same process, under the same OpenBLAS kernel and thread count, and on a warm cache.
public enum SgemmRate {
    /// GFLOP/s of a square n×n×n sgemm, best of `repeats` timed runs after one warm-up.
    public static func measure(n: Int = 1024, repeats: Int = 5) throws -> Double {
        let a = [Float](repeating: 0.5, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var best = Double.infinity
        for run in 0...max(repeats, 1) {
            let start = MonotonicClock.seconds()
            try a.withUnsafeBufferPointer { ab in
                try c.withUnsafeMutableBufferPointer { cb in
                    try BLAS.gemm(m: n, n: n, k: n, a: ab, lda: n, b: ab, ldb: n, c: cb, ldc: n)
                }
            }
            if run > 0 { best = min(best, MonotonicClock.seconds() - start) }
        }
        return 2 * Double(n) * Double(n) * Double(n) / best / 1e9
    }
}

/// Wall-clock seconds from a monotonic clock, for timing work.
public enum MonotonicClock {
    public static func seconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
