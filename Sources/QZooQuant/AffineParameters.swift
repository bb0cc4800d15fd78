import QZooCore

/// The scale and zero point one run of weights shares on an `AffineGrid`, and rounding onto it.
///
/// Rounding is `q = clamp(round(x / scale) + zero, 0, maxCode)` with ties to even, as PyTorch's
/// `torch.round` does in the reference quantizers, and the value of a code is `(q − zero) · scale`.
/// Division (not multiplication by a reciprocal) keeps exact ties exact.
public struct AffineParameters: Sendable, Equatable {
    public var scale: Float
    public var zeroPoint: Int

    public init(scale: Float, zeroPoint: Int) {
        self.scale = scale
        self.zeroPoint = zeroPoint
    }

    /// Fits `range` on `grid`: `scale = (upper − lower) / maxCode`; the zero point is the grid's
    /// fixed `2^(b−1)` when symmetric, else `round(−lower / scale)` clamped to `[0, maxCode]`.
    ///
    /// A range narrower than `maxCode · 2^−126` gets the smallest normal scale, so `x / scale`
    /// stays finite for every finite weight. Throws when the range is too wide for an F32 scale.
    public init(fitting range: QuantizationRange, grid: AffineGrid) throws {
        let top = Float(grid.maxCode)
        let width = range.upper - range.lower
        guard width.isFinite else {
            throw QZooError.unsupported("value range [\(range.lower), \(range.upper)] is too wide for an F32 scale")
        }
        let scale = Swift.max(width / top, Float.leastNormalMagnitude)
        if grid.symmetric {
            self.init(scale: scale, zeroPoint: grid.symmetricZero)
        } else {
            let zero = Self.clamp((-range.lower / scale).rounded(.toNearestOrEven), top: top)
            self.init(scale: scale, zeroPoint: Int(zero))
        }
    }

    /// The code of `x` on a grid whose largest code is `maxCode`.
    @inline(__always)
    public func code(_ x: Float, maxCode: Int) -> UInt8 {
        UInt8(Self.clamp((x / scale).rounded(.toNearestOrEven) + Float(zeroPoint), top: Float(maxCode)))
    }

    /// The value a code stands for.
    public func value(_ code: UInt8) -> Float {
        (Float(code) - Float(zeroPoint)) * scale
    }

    /// Writes the codes of `values` to `codes[0 ..< values.count]`.
    func encode(_ values: UnsafeBufferPointer<Float>, maxCode: Int, into codes: UnsafeMutablePointer<UInt8>) {
        for i in 0..<values.count { codes[i] = code(values[i], maxCode: maxCode) }
    }

    /// `value` limited to `[0, top]`; NaN becomes 0, so the result always converts to an integer.
    @inline(__always)
    static func clamp(_ value: Float, top: Float) -> Float {
        value > top ? top : (value >= 0 ? value : 0)
    }
}
