/// `x^exponent` for non-negative floats, to 5e-7 relative error or better, in straight-line code.
///
/// The clip search evaluates `Σ |Q(x) − x|^2.4` for 80 candidate ranges of every run, about
/// 1.7 billion powers for a 22M-parameter model; `powf` per element would take tens of
/// seconds. This computes `2^(exponent · log2 x)` with bit manipulation and short polynomials
/// (atanh series for log2 on a mantissa centred on 1, Taylor series for 2^f on |f| ≤ ½). It has
/// no calls or branches, so the compiler vectorizes loops that use it. Values below the smallest
/// normal float count as 0, and results saturate at 2^±127 instead of overflowing.
struct PowerApproximation: Sendable {
    let exponent: Float

    @inline(__always)
    func callAsFunction(_ x: Float) -> Float {
        let bits = x.bitPattern
        var mantissa = Float(bitPattern: (bits & 0x007F_FFFF) | 0x3F80_0000)
        // 2^23 + biased exponent, read as a float, is exact: subtracting gives the exponent.
        var power = Float(bitPattern: (bits &>> 23) | 0x4B00_0000) - 8_388_735
        let high = mantissa > 1.414_213_6
        mantissa = high ? mantissa * 0.5 : mantissa
        power = high ? power + 1 : power
        // y = exponent · (power + log2 m), split so no rounding error grows with |y|: the
        // product with the integer part is kept exactly as whole + wholeError (via FMA).
        let whole = exponent * power
        let wholeError = (-whole).addingProduct(exponent, power)
        let fraction = exponent * Self.log2(mantissa)
        let y = whole + (wholeError + fraction)
        let clamped = y > 127 ? 127 : (y >= -126 ? y : -126)
        // Adding 2^23 + 127 rounds to the nearest integer k and leaves k + 127 in the mantissa.
        let shifted = clamped + 8_388_735
        let k = shifted - 8_388_735
        let f = (whole - k) + (wholeError + fraction)
        let twoToK = Float(bitPattern: (shifted.bitPattern & 0x007F_FFFF) &<< 23)
        let result = twoToK * Self.exp2(f > 0.5 ? 0.5 : (f >= -0.5 ? f : -0.5))
        return x < Float.leastNormalMagnitude ? 0 : result
    }

    /// log2 of m ∈ [√½, √2]: (2/ln 2)·atanh(t) with t = (m−1)/(m+1), |t| ≤ 0.172.
    @inline(__always)
    private static func log2(_ m: Float) -> Float {
        let t = (m - 1) / (m + 1)
        let t2 = t * t
        var sum: Float = 0.412_198_58
        sum = sum * t2 + 0.577_078_02
        sum = sum * t2 + 0.961_796_69
        sum = sum * t2 + 2.885_390_08
        return sum * t
    }

    /// 2^f for |f| ≤ ½: Taylor series of e^(f ln 2) to degree 6.
    @inline(__always)
    private static func exp2(_ f: Float) -> Float {
        var sum: Float = 1.540_353_0e-4
        sum = sum * f + 1.333_355_8e-3
        sum = sum * f + 9.618_129_1e-3
        sum = sum * f + 5.550_410_9e-2
        sum = sum * f + 0.240_226_51
        sum = sum * f + 0.693_147_18
        sum = sum * f + 1
        return sum
    }
}
