import QZooCore

/// The interval a run of weights is fitted to, by the rules of the reference GPTQ quantizer
/// (`quant.py`, `find_params`).
///
/// The interval always contains 0, so 0 is exactly representable (padding, pruned weights and
/// dead columns stay 0). A symmetric interval is `[−m, m]` with `m = max(|min|, max)` — also when
/// every value is positive (the reference keeps `[0, max]` there, which with its fixed zero point
/// `2^(b−1)` clips the upper half of such a row; qzoo does not copy that quirk). An all-zero run
/// gets `[−1, 1]` so its scale is not 0.
public struct QuantizationRange: Sendable, Equatable {
    public var lower: Float
    public var upper: Float

    public init(lower: Float, upper: Float) {
        self.lower = lower
        self.upper = upper
    }

    /// The range for values whose smallest and largest elements are `minimum` and `maximum`.
    public init(minimum: Float, maximum: Float, symmetric: Bool) {
        var lower = Swift.min(minimum, 0)
        var upper = Swift.max(maximum, 0)
        if symmetric {
            upper = Swift.max(-lower, upper)
            lower = -upper
        }
        if lower == 0 && upper == 0 {
            lower = -1
            upper = 1
        }
        self.init(lower: lower, upper: upper)
    }

    /// The range of `values`, which the caller has checked to be finite and non-empty.
    public init(of values: UnsafeBufferPointer<Float>, symmetric: Bool) {
        let (minimum, maximum) = Self.extremes(values)
        self.init(minimum: minimum, maximum: maximum, symmetric: symmetric)
    }

    /// Both ends multiplied by `factor` (the clip search's shrink step).
    public func shrunk(by factor: Float) -> QuantizationRange {
        QuantizationRange(lower: lower * factor, upper: upper * factor)
    }

    /// The largest magnitude in the range, which the clip search normalises errors by.
    var magnitude: Float { Swift.max(-lower, upper) }

    /// Smallest and largest element, eight lanes at a time.
    static func extremes(_ values: UnsafeBufferPointer<Float>) -> (Float, Float) {
        guard let base = values.baseAddress, values.count > 0 else { return (0, 0) }
        var low = SIMD8<Float>(repeating: base[0]), high = low
        var i = 0
        while i + 8 <= values.count {
            let x = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<Float>.self)
            low = pointwiseMin(low, x)
            high = pointwiseMax(high, x)
            i += 8
        }
        var minimum = low.min(), maximum = high.max()
        while i < values.count {
            minimum = Swift.min(minimum, base[i])
            maximum = Swift.max(maximum, base[i])
            i += 1
        }
        return (minimum, maximum)
    }
}
