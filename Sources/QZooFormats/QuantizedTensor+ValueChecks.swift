import QZooCore

extension QuantizedTensor {
    /// Checks the stored values that shape validation cannot see, so a file that passes is one
    /// every consumer dequantizes the same way: finite scales, zero points inside the grid
    /// (`≤ 2^bits − 1`), zero padding bits after the last code, and finite non-zero input
    /// scales (dequantization divides by them). Readers call it on input; writers call it so
    /// they never produce a file their reader would reject.
    func validateStoredValues() throws {
        guard scales.floats().allSatisfy(\.isFinite) else { throw QZooError.malformed("scales contain NaN or infinity") }
        if let zeroPoints {
            let limit = UInt8(grid.maxCode)
            if let bad = zeroPoints.bytes.first(where: { $0 > limit }) {
                throw QZooError.malformed("zero point \(bad) is outside the \(grid.bits)-bit grid 0...\(limit)")
            }
        }
        let usedBits = (rows * columns * grid.bits) % 8
        if usedBits != 0, let last = codes.bytes.last, last >> UInt8(usedBits) != 0 {
            throw QZooError.malformed("padding bits after the last code are not zero")
        }
        for case .inputScale(let scale) in transforms where !scale.floats().allSatisfy({ $0.isFinite && $0 != 0 }) {
            throw QZooError.malformed("input scale contains zero, NaN or infinity")
        }
    }
}
