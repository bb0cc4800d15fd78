#if canImport(Glibc)
import Glibc
#endif
import COpenBLAS
import QZooCore

/// A floating-point type OpenBLAS multiplies: `Float` (sgemm) or `Double` (dgemm).
///
/// Numeric code written once over `BLASScalar` runs in float32 for speed and in float64 for
/// checks (the forward pass's float64 mode, which the parity tests compare against).
public protocol BLASScalar: BinaryFloatingPoint, Sendable where Self.RawSignificand: FixedWidthInteger {
    /// Row-major `C = alpha·op(A)·op(B) + beta·C`; dimensions already checked by `Matrix.gemm`.
    static func rawGemm(
        transA: Bool, transB: Bool, m: Int32, n: Int32, k: Int32, alpha: Self,
        a: UnsafePointer<Self>, lda: Int32, b: UnsafePointer<Self>, ldb: Int32,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int32)
    static func erf(_ x: Self) -> Self
    static func exp(_ x: Self) -> Self
}

extension Float: BLASScalar {
    public static func rawGemm(
        transA: Bool, transB: Bool, m: Int32, n: Int32, k: Int32, alpha: Float,
        a: UnsafePointer<Float>, lda: Int32, b: UnsafePointer<Float>, ldb: Int32,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int32
    ) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
    public static func erf(_ x: Float) -> Float { erff(x) }
    public static func exp(_ x: Float) -> Float { expf(x) }
}

extension Double: BLASScalar {
    public static func rawGemm(
        transA: Bool, transB: Bool, m: Int32, n: Int32, k: Int32, alpha: Double,
        a: UnsafePointer<Double>, lda: Int32, b: UnsafePointer<Double>, ldb: Int32,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int32
    ) {
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
    public static func erf(_ x: Double) -> Double { Glibc.erf(x) }
    public static func exp(_ x: Double) -> Double { Glibc.exp(x) }
}
