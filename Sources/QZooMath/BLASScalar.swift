#if canImport(Glibc)
import Glibc
#endif
import COpenBLAS
import QZooCore

/// A floating-point type OpenBLAS multiplies: `Float` (sgemm) or `Double` (dgemm).
///
/// Numeric code written once over `BLASScalar` runs in float32 for speed and in float64 for
/// checks (the forward pass's float64 mode, which the parity tests compare against).
///
/// The element-wise steps of the forward pass (`exp`, `erf`, sums, maximum) are requirements on
/// whole buffers, so that `Float` takes VectorMath's vectorised kernels (exp and erf within 1 ulp,
/// reductions with one partial result per SIMD lane) while `Double`, the reference mode, keeps
/// libm and plain sequential loops.
public protocol BLASScalar: BinaryFloatingPoint, Sendable where Self.RawSignificand: FixedWidthInteger {
    /// Row-major `C = alpha·op(A)·op(B) + beta·C`; dimensions already checked by `Matrix.gemm`.
    static func rawGemm(
        transA: Bool, transB: Bool, m: Int32, n: Int32, k: Int32, alpha: Self,
        a: UnsafePointer<Self>, lda: Int32, b: UnsafePointer<Self>, ldb: Int32,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int32)
    /// `e^x` of every element, in place.
    static func exp(_ x: UnsafeMutableBufferPointer<Self>)
    /// `erf(x)` of every element, in place.
    static func erf(_ x: UnsafeMutableBufferPointer<Self>)
    /// `Σ xᵢ`.
    static func sum(_ x: UnsafeBufferPointer<Self>) -> Self
    /// `Σ xᵢ²`.
    static func sumOfSquares(_ x: UnsafeBufferPointer<Self>) -> Self
    /// The largest element (`-∞` for an empty buffer).
    static func maximum(_ x: UnsafeBufferPointer<Self>) -> Self
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
    public static func exp(_ x: UnsafeMutableBufferPointer<Float>) { VectorMath.exp(x) }
    public static func erf(_ x: UnsafeMutableBufferPointer<Float>) { VectorMath.erf(x) }
    public static func sum(_ x: UnsafeBufferPointer<Float>) -> Float { VectorMath.sum(x) }
    public static func sumOfSquares(_ x: UnsafeBufferPointer<Float>) -> Float { VectorMath.sumOfSquares(x) }
    public static func maximum(_ x: UnsafeBufferPointer<Float>) -> Float { VectorMath.maximum(x) }
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
    public static func exp(_ x: UnsafeMutableBufferPointer<Double>) {
        for i in x.indices { x[i] = Glibc.exp(x[i]) }
    }
    public static func erf(_ x: UnsafeMutableBufferPointer<Double>) {
        for i in x.indices { x[i] = Glibc.erf(x[i]) }
    }
    public static func sum(_ x: UnsafeBufferPointer<Double>) -> Double { x.reduce(0, +) }
    public static func sumOfSquares(_ x: UnsafeBufferPointer<Double>) -> Double { x.reduce(0) { $0 + $1 * $1 } }
    public static func maximum(_ x: UnsafeBufferPointer<Double>) -> Double { x.reduce(-.infinity) { $1 > $0 ? $1 : $0 } }
}
