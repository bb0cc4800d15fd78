/// Bit-exact conversion between `Float` and the narrow float formats (bf16, fp8 e4m3fn, e5m2).
///
/// One parameterised codec instead of three hand-written ones: the formats differ only in
/// exponent/mantissa widths, bias and how they spell overflow (Inf, or NaN for e4m3fn, which has
/// no infinities). Encoding rounds to nearest, ties to even, exactly as ml_dtypes does; the
/// saturating variant clamps to the largest finite value as ONNX `saturate=1` does.
public struct SmallFloatFormat: Sendable {
    public let mantissaBits: Int
    public let exponentBits: Int
    public let bias: Int
    /// Largest finite magnitude as a bit pattern (sign bit clear).
    public let maxFinitePattern: UInt32
    /// Positive infinity's pattern, or nil when the format has none.
    public let infinityPattern: UInt32?
    /// The canonical positive quiet-NaN pattern produced when encoding NaN.
    public let nanPattern: UInt32

    public static let bfloat16 = SmallFloatFormat(
        mantissaBits: 7, exponentBits: 8, bias: 127, maxFinitePattern: 0x7F7F,
        infinityPattern: 0x7F80, nanPattern: 0x7FC0)
    public static let float8E4M3FN = SmallFloatFormat(
        mantissaBits: 3, exponentBits: 4, bias: 7, maxFinitePattern: 0x7E,
        infinityPattern: nil, nanPattern: 0x7F)
    public static let float8E5M2 = SmallFloatFormat(
        mantissaBits: 2, exponentBits: 5, bias: 15, maxFinitePattern: 0x7B,
        infinityPattern: 0x7C, nanPattern: 0x7E)

    var signBit: UInt32 { 1 << UInt32(mantissaBits + exponentBits) }
    var exponentMask: UInt32 { (1 << UInt32(exponentBits)) - 1 }
    var mantissaMask: UInt32 { (1 << UInt32(mantissaBits)) - 1 }

    /// The value a bit pattern stands for (bits above the format's width are ignored).
    public func decode(_ pattern: UInt32) -> Float {
        let negative = pattern & signBit != 0
        let magnitude = pattern & (signBit - 1)
        let exponent = Int((magnitude >> UInt32(mantissaBits)) & exponentMask)
        let mantissa = magnitude & mantissaMask
        let value: Float
        if isNaN(magnitude) {
            value = .nan
        } else if let inf = infinityPattern, magnitude == inf {
            value = .infinity
        } else if exponent == 0 {
            value = Float(mantissa) * Float(sign: .plus, exponent: 1 - bias - mantissaBits, significand: 1)
        } else {
            let significand = 1 + Float(mantissa) / Float(1 << mantissaBits)
            value = Float(sign: .plus, exponent: exponent - bias, significand: significand)
        }
        return negative ? -value : value
    }

    func isNaN(_ magnitude: UInt32) -> Bool {
        if let inf = infinityPattern { return magnitude > inf }
        return magnitude > maxFinitePattern
    }

    /// The pattern nearest to `x` (ties to even). Overflow gives Inf, or NaN for formats without
    /// infinities, unless `saturating`, in which case it gives the largest finite value.
    public func encode(_ x: Float, saturating: Bool = false) -> UInt32 {
        let sign: UInt32 = x.sign == .minus ? signBit : 0
        if x.isNaN { return sign | nanPattern }
        let magnitude = x.magnitude
        if magnitude.isInfinite { return sign | overflowPattern(saturating: saturating) }
        let pattern = roundedMagnitude(magnitude)
        if pattern > maxFinitePattern { return sign | overflowPattern(saturating: saturating) }
        return sign | pattern
    }

    func overflowPattern(saturating: Bool) -> UInt32 {
        if saturating { return maxFinitePattern }
        return infinityPattern ?? nanPattern
    }

    /// Rounds a finite non-negative float to the format; may return a pattern above the largest
    /// finite one, which the caller treats as overflow.
    func roundedMagnitude(_ a: Float) -> UInt32 {
        if a == 0 { return 0 }
        let unbiased = Int(a.exponent)
        let minNormal = 1 - bias
        if unbiased < minNormal {
            // Subnormal in the target: count units of the smallest subnormal, ties to even. The
            // scaling is done in Double, where it is exact: the factor (2^133 for bf16) overflows Float.
            let scale = Double(sign: .plus, exponent: bias - 1 + mantissaBits, significand: 1)
            return UInt32((Double(a) * scale).rounded(.toNearestOrEven))
        }
        let biased = unbiased + bias
        if biased > Int(exponentMask) { return UInt32.max }
        let fraction = a.bitPattern & 0x7F_FFFF
        let shift = UInt32(23 - mantissaBits)
        var pattern = (UInt32(biased) << UInt32(mantissaBits)) | (fraction >> shift)
        let remainder = fraction & ((1 << shift) - 1)
        let half: UInt32 = 1 << (shift - 1)
        if remainder > half || (remainder == half && pattern & 1 == 1) { pattern += 1 }
        return pattern
    }
}
