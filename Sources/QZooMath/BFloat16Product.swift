import CBFloat16
import QZooCore

/// `AᵀB` of tall float32 matrices (`rows × width`, a row per token) with both inputs rounded to
/// bfloat16 and the products summed in float32: calibration's Gram and cross moments.
///
/// Why bfloat16: these sums over tens of thousands of tokens are most of a sequential
/// calibration's time, and AVX512-BF16's `vdpbf16ps` does twice the multiply-adds of a float32
/// FMA per instruction. Rounding the inputs to 8 significant bits changes a moment by a relative
/// ~2⁻⁹ per product, zero-mean, so the sum over a calibration set moves far less than the
/// rounding it feeds resolves (measured: the same held-out quality within noise). The products
/// themselves are exact in float32.
///
/// On a CPU without AVX512-BF16, or a width that is not a multiple of 16 (the kernel's panel),
/// the same rounded inputs go through float32 sgemm/ssyrk: the same products, summed in another
/// order.
public enum BFloat16Product {
    /// Whether the `vdpbf16ps` kernel runs here.
    public static let accelerated = qzoo_bf16_available() != 0

    /// A matrix rounded to bfloat16 once, for any number of products.
    public struct Packed: Sendable {
        public let rows: Int
        public let width: Int
        /// The kernel's interleaved layout (`qzoo_bf16_pack`), when it runs.
        let packed: [UInt16]
        /// Otherwise the rounded values as float32, row-major.
        let rounded: [Float]

        var usesKernel: Bool { !packed.isEmpty }
    }

    /// Rounds `x` (`rows × width`, row-major) to bfloat16.
    public static func pack(_ x: UnsafeBufferPointer<Float>, rows: Int, width: Int) throws -> Packed {
        guard rows >= 0, width > 0, let count = CheckedMath.multiply(rows, width), x.count >= count else {
            throw QZooError(.invalidArgument, "cannot pack \(x.count) values as a \(rows)×\(width) matrix")
        }
        guard accelerated, width % 16 == 0, rows > 0, let base = x.baseAddress else {
            return Packed(rows: rows, width: width, packed: [], rounded: x[0..<count].map(rounded))
        }
        let packed = [UInt16](unsafeUninitializedCapacity: qzoo_bf16_packed_count(rows, width)) { buffer, initialized in
            if let target = buffer.baseAddress { qzoo_bf16_pack(base, rows, width, target) }
            initialized = buffer.count
        }
        return Packed(rows: rows, width: width, packed: packed, rounded: [])
    }

    /// `c += aᵀa` on the upper triangle (`width × width`, row-major, entries `j ≥ i`; the
    /// kernel also adds some entries below the diagonal, ssyrk none).
    public static func addGram(_ a: Packed, into c: UnsafeMutableBufferPointer<Float>) throws {
        try check(a, a, c)
        guard !a.usesKernel else { return kernel(a, a, upper: true, c) }
        try a.rounded.withUnsafeBufferPointer { x in
            try BLAS.syrkTransposedUpper(n: a.width, k: a.rows, a: x, lda: a.width, beta: 1, c: c)
        }
    }

    /// `c += aᵀb` (`width × width`, row-major: `c[i·width + j] += Σ_r a[r][i]·b[r][j]`) for `a`
    /// and `b` of the same shape.
    public static func addTransposedProduct(_ a: Packed, _ b: Packed, into c: UnsafeMutableBufferPointer<Float>) throws {
        try check(a, b, c)
        guard !a.usesKernel else { return kernel(a, b, upper: false, c) }
        let width = a.width
        try a.rounded.withUnsafeBufferPointer { x in
            try b.rounded.withUnsafeBufferPointer { y in
                try BLAS.gemm(transA: true, m: width, n: width, k: a.rows, a: x, lda: width, b: y, ldb: width, beta: 1, c: c, ldc: width)
            }
        }
    }

    private static func check(_ a: Packed, _ b: Packed, _ c: UnsafeMutableBufferPointer<Float>) throws {
        guard a.rows == b.rows, a.width == b.width, a.usesKernel == b.usesKernel, c.count >= a.width * a.width else {
            throw QZooError(.invalidArgument, "cannot add the product of a \(a.rows)×\(a.width) and a \(b.rows)×\(b.width) matrix "
                            + "into \(c.count) values")
        }
    }

    private static func kernel(_ a: Packed, _ b: Packed, upper: Bool, _ c: UnsafeMutableBufferPointer<Float>) {
        a.packed.withUnsafeBufferPointer { x in
            b.packed.withUnsafeBufferPointer { y in
                if let x = x.baseAddress, let y = y.baseAddress, let out = c.baseAddress, a.rows > 0 {
                    qzoo_bf16_add_transposed_product(x, y, a.rows, a.width, b.width, upper ? 1 : 0, out, b.width)
                }
            }
        }
    }

    /// `x` rounded to the nearest bfloat16 (ties to even), as float32.
    @inline(__always)
    public static func rounded(_ x: Float) -> Float {
        let bits = x.bitPattern
        guard x.isFinite else { return x }
        return Float(bitPattern: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000)
    }
}
