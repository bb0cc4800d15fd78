import QZooCore

extension QuantizedTensor {
    /// Checks the stored values that shape validation cannot see, so a file that passes is one
    /// every consumer dequantizes the same way: finite scales, finite non-zero input scales
    /// (dequantization divides by them) and, for affine grids, zero points inside the grid
    /// (`≤ 2^bits − 1`) and zero padding bits after the last code (every lattice code is valid).
    /// Readers call it on input; writers call it so they never produce a file their reader would
    /// reject.
    func validateStoredValues() throws {
        guard scales.floats().allSatisfy(\.isFinite) else { throw QZooError.malformed("scales contain NaN or infinity") }
        for case .inputScale(let scale) in transforms where !scale.floats().allSatisfy({ $0.isFinite && $0 != 0 }) {
            throw QZooError.malformed("input scale contains zero, NaN or infinity")
        }
        guard let grid else { return }
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
    }
}
