import CBFloat16
import QZooCore

/// `AᵀB` of tall float32 matrices (`rows × width`, a row per token) with both inputs rounded to
/// bfloat16 and the products summed in float32: calibration's Gram and cross moments; and
/// `x·Wᵀ`, a linear layer's product, the same way (`linear`).
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

    /// Rounds `x` (`rows × width`, row-major) to bfloat16; with `sums`, also adds each column of
    /// `x` into it in float64, rows in order (`addColumnSums`, the same bits), in the same pass.
    public static func pack(_ x: UnsafeBufferPointer<Float>, rows: Int, width: Int,
                            addingColumnSumsTo sums: UnsafeMutableBufferPointer<Double>? = nil) throws -> Packed {
        guard rows >= 0, width > 0, let count = CheckedMath.multiply(rows, width), x.count >= count, (sums?.count ?? width) >= width else {
            throw QZooError(.invalidArgument, "cannot pack \(x.count) values as a \(rows)×\(width) matrix"
                            + (sums.map { " with \($0.count) column sums" } ?? ""))
        }
        guard accelerated, width % 16 == 0, rows > 0, let base = x.baseAddress else {
            if let sums { addColumnSums(x, rows: rows, columns: width, into: sums) }
            return Packed(rows: rows, width: width, packed: [], rounded: x[0..<count].map(rounded))
        }
        let packed = [UInt16](unsafeUninitializedCapacity: qzoo_bf16_packed_count(rows, width)) { buffer, initialized in
            if let target = buffer.baseAddress { qzoo_bf16_pack(base, rows, width, target, sums?.baseAddress) }
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

    /// A linear layer's weight `[out, in]` rounded to bfloat16 once, as the right operand of
    /// `linear` for every batch after.
    public struct LinearWeight: Sendable {
        public let outFeatures: Int
        public let inFeatures: Int
        /// `Wᵀ` in the kernel's layout (`qzoo_bf16_pack`), when it runs.
        private(set) var packed: [UInt16]
        /// Otherwise `W` rounded, as float32, row-major `[out, in]`.
        private(set) var rounded: [Float]

        /// Whether products with this weight run in the kernel (and can take `RoundedRows`).
        public var usesKernel: Bool { !packed.isEmpty }

        /// Rows `rows` of `W` (outputs) replaced by `values` (row-major `[rows.count, in]`), rounded
        /// as `linearWeight` rounds them; the other rows are kept as rounded. In the kernel's
        /// layout a panel holds 16 outputs, so the rows must start and end on panels (q, k and v of
        /// a stacked projection do: each is a third of a width that is a multiple of 16).
        public mutating func replaceRows(_ rows: Range<Int>, with values: UnsafeBufferPointer<Float>) throws {
            guard rows.lowerBound >= 0, rows.upperBound <= outFeatures, values.count == rows.count * inFeatures,
                  !usesKernel || (rows.lowerBound % 16 == 0 && rows.count % 16 == 0) else {
                throw QZooError(.invalidArgument, "cannot replace rows \(rows) of a \(outFeatures)×\(inFeatures) weight with \(values.count) values")
            }
            let part = try BFloat16Product.linearWeight(values, outFeatures: rows.count, inFeatures: inFeatures)
            let span = rows.lowerBound * inFeatures ..< rows.upperBound * inFeatures
            if usesKernel { packed.replaceSubrange(span, with: part.packed) } else { rounded.replaceSubrange(span, with: part.rounded) }
        }
    }

    /// Rounds `weight` (row-major `[outFeatures, inFeatures]`) for `linear`. The kernel needs
    /// `outFeatures` a multiple of 16 and `inFeatures` even (pairs of inputs per operand).
    public static func linearWeight(_ weight: UnsafeBufferPointer<Float>, outFeatures: Int, inFeatures: Int) throws -> LinearWeight {
        guard outFeatures > 0, inFeatures > 0, let count = CheckedMath.multiply(outFeatures, inFeatures), weight.count == count else {
            throw QZooError(.invalidArgument, "cannot read \(weight.count) values as a \(outFeatures)×\(inFeatures) weight")
        }
        guard accelerated, outFeatures % 16 == 0, inFeatures % 2 == 0 else {
            return LinearWeight(outFeatures: outFeatures, inFeatures: inFeatures, packed: [], rounded: weight.map(rounded))
        }
        let packed = [UInt16](unsafeUninitializedCapacity: qzoo_bf16_packed_count(inFeatures, outFeatures)) { buffer, initialized in
            if let source = weight.baseAddress, let target = buffer.baseAddress { qzoo_bf16_pack_transposed(source, outFeatures, inFeatures, target) }
            initialized = buffer.count
        }
        return LinearWeight(outFeatures: outFeatures, inFeatures: inFeatures, packed: packed, rounded: [])
    }

    /// `c = x·Wᵀ + bias` (`+ residual`), through `gelu` when asked, for `x` row-major
    /// `[rows, inFeatures]`, `c` and `residual` `[rows, outFeatures]`, with `x` and `W` rounded to
    /// bfloat16 and float32 sums: a linear layer's output. `c` is only written: the kernel lands
    /// each tile of sums on `bias + residual` (and activates it) as it stores it, instead of a pass
    /// filling `c` first, the product reading it back and another pass for GELU (the fallback does
    /// that, with the same operations in the same order).
    public static func linear(_ x: UnsafeBufferPointer<Float>, rows: Int, weight: LinearWeight, bias: UnsafeBufferPointer<Float>,
                              residual: UnsafeBufferPointer<Float>?, gelu activate: Bool = false,
                              into c: UnsafeMutableBufferPointer<Float>) throws {
        let (inF, outF) = (weight.inFeatures, weight.outFeatures)
        guard rows >= 0, let inputs = CheckedMath.multiply(rows, inF), let outputs = CheckedMath.multiply(rows, outF),
              x.count >= inputs, c.count >= outputs, bias.count == outF, (residual?.count ?? outputs) >= outputs else {
            throw QZooError(.invalidArgument, "cannot apply a \(outF)×\(inF) weight and \(bias.count) biases to \(x.count) values "
                            + "as \(rows) rows into \(c.count)\(residual.map { " with \($0.count) residual values" } ?? "")")
        }
        guard rows > 0 else { return }
        guard weight.usesKernel else {
            fillWithBias(c, rows: rows, bias: bias, residual: residual)
            let roundedInput = x[0..<inputs].map(rounded)
            try roundedInput.withUnsafeBufferPointer { a in
                try weight.rounded.withUnsafeBufferPointer { w in
                    try BLAS.gemm(transB: true, m: rows, n: outF, k: inF, a: a, lda: inF, b: w, ldb: inF, beta: 1, c: c, ldc: outF)
                }
            }
            if activate { gelu(UnsafeMutableBufferPointer(rebasing: c[0..<outputs])) }
            return
        }
        try linear(try roundedRows(x, rows: rows, width: inF), weight: weight, bias: bias, residual: residual, gelu: activate, into: c)
    }

    /// A row-major matrix rounded to bfloat16 (ties to even), as `linear` rounds its input: the
    /// kernel's left operand, padded with zero rows to a multiple of 8 (`qzoo_bf16_round_rows`).
    /// Kept by a caller that would otherwise keep the float32 matrix only to have it rounded
    /// this way later: half the bytes, the same product.
    public struct RoundedRows: Sendable {
        public let rows: Int
        public let width: Int
        let values: [UInt16]
    }

    /// `x` (`rows × width`, row-major, width even) rounded for `linear`. Only where the kernel
    /// runs (`accelerated`); elsewhere the float32 matrix is what a caller keeps.
    public static func roundedRows(_ x: UnsafeBufferPointer<Float>, rows: Int, width: Int) throws -> RoundedRows {
        guard accelerated, rows >= 0, width > 0, width % 2 == 0, let count = CheckedMath.multiply(rows, width), x.count >= count else {
            throw QZooError(.invalidArgument, "cannot round \(x.count) values as \(rows) bfloat16 rows of \(width)"
                            + (accelerated ? "" : " without AVX512-BF16"))
        }
        let values = [UInt16](unsafeUninitializedCapacity: qzoo_bf16_rows_count(rows, width)) { buffer, initialized in
            if let source = x.baseAddress, let target = buffer.baseAddress { qzoo_bf16_round_rows(source, rows, width, target) }
            initialized = buffer.count
        }
        return RoundedRows(rows: rows, width: width, values: values)
    }

    /// `linear` of rows already rounded (`roundedRows`), with a weight the kernel takes
    /// (`LinearWeight.usesKernel`): the same bits as `linear` of the float32 rows.
    public static func linear(_ x: RoundedRows, weight: LinearWeight, bias: UnsafeBufferPointer<Float>,
                              residual: UnsafeBufferPointer<Float>?, gelu activate: Bool = false,
                              into c: UnsafeMutableBufferPointer<Float>) throws {
        let (rows, outF) = (x.rows, weight.outFeatures)
        guard weight.usesKernel, x.width == weight.inFeatures, let outputs = CheckedMath.multiply(rows, outF), c.count >= outputs,
              bias.count == outF, (residual?.count ?? outputs) >= outputs else {
            throw QZooError(.invalidArgument, "cannot apply a \(outF)×\(weight.inFeatures) weight\(weight.usesKernel ? "" : " (not rounded for the kernel)") "
                            + "and \(bias.count) biases to \(x.rows) rounded rows of \(x.width) into \(c.count)"
                            + (residual.map { " with \($0.count) residual values" } ?? ""))
        }
        guard rows > 0 else { return }
        x.values.withUnsafeBufferPointer { a in
            weight.packed.withUnsafeBufferPointer { w in
                if let a = a.baseAddress, let w = w.baseAddress, let out = c.baseAddress, let bias = bias.baseAddress {
                    qzoo_bf16_product(a, rows, x.width, w, outF, bias, residual?.baseAddress, activate ? 1 : 0, out, outF)
                }
            }
        }
    }

    /// `linear` of rounded rows with a bias (through GELU when asked) for an output only ever used
    /// rounded: `kept` is what `roundedRows` makes of the output and, with `sums`, `packed` what
    /// `pack` makes of it (its column sums added to `sums` in the same order). One kernel pass
    /// lands each tile in both layouts, so the float32 output is never written and read back
    /// twice; the same bits as `linear`, `roundedRows` and `pack` in turn.
    public static func linearRounded(_ x: RoundedRows, weight: LinearWeight, bias: UnsafeBufferPointer<Float>, gelu activate: Bool,
                                     packingWithColumnSumsInto sums: UnsafeMutableBufferPointer<Double>?) throws -> (kept: RoundedRows, packed: Packed?) {
        let (rows, outF) = (x.rows, weight.outFeatures)
        guard weight.usesKernel, x.width == weight.inFeatures, rows > 0, bias.count == outF, (sums?.count ?? outF) >= outF,
              let bias = bias.baseAddress else {
            throw QZooError(.invalidArgument, "cannot apply a \(outF)×\(weight.inFeatures) weight\(weight.usesKernel ? "" : " (not rounded for the kernel)") "
                            + "and \(bias.count) biases to \(rows) rounded rows of \(x.width)" + (sums.map { " with \($0.count) column sums" } ?? ""))
        }
        let sumsBase = sums?.baseAddress
        return try x.values.withUnsafeBufferPointer { a in
            try weight.packed.withUnsafeBufferPointer { w in
                guard let a = a.baseAddress, let w = w.baseAddress else {
                    throw QZooError(.invalidArgument, "cannot apply an empty weight to empty rounded rows")
                }
                var packed = [UInt16]()
                let kept = [UInt16](unsafeUninitializedCapacity: qzoo_bf16_rows_count(rows, outF)) { keptBuffer, initialized in
                    packed = [UInt16](unsafeUninitializedCapacity: sumsBase == nil ? 0 : qzoo_bf16_packed_count(rows, outF)) { packedBuffer, packedCount in
                        if let target = keptBuffer.baseAddress {
                            qzoo_bf16_product_rounded(a, rows, x.width, w, outF, bias, activate ? 1 : 0, target,
                                                      sumsBase == nil ? nil : packedBuffer.baseAddress, sumsBase)
                        }
                        packedCount = packedBuffer.count
                    }
                    initialized = keptBuffer.count
                }
                return (RoundedRows(rows: rows, width: outF, values: kept),
                        sumsBase == nil ? nil : Packed(rows: rows, width: outF, packed: packed, rounded: []))
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
