/// The 256-point E81B grid QuIP#'s 3-bit codebook puts on the residual
/// (`latticee8_padded12_rvq3bit.py`, `get_e81bgrid`): the E8 points of squared norm ≤ 2 — the
/// zero vector, the 112 integer roots and the 128 half-integer points ±½⁸ with an even sum —
/// in the reference's `cartesian_prod` order (integers first, each set lexicographic), then
/// `2e₁ … 2e₈, −2e₁ … −2e₇` (the reference drops `−2e₈` to keep 256). 8 bits per 8 weights;
/// small enough that the nearest point is found by scanning.
public enum E81BGrid {
    public static let points: [SIMD8<Float>] = integerPoints() + halfIntegerPoints() + axisPoints()

    static func integerPoints() -> [SIMD8<Float>] {
        lexicographic(values: [-1, 0, 1]).filter { point in
            (point * point).sum() <= 2 && Int(point.sum()) % 2 == 0
        }
    }

    static func halfIntegerPoints() -> [SIMD8<Float>] {
        lexicographic(values: [-0.5, 0.5]).filter { Int(($0.sum()).rounded()) % 2 == 0 }
    }

    static func axisPoints() -> [SIMD8<Float>] {
        var out: [SIMD8<Float>] = []
        for sign: Float in [2, -2] {
            for axis in 0..<8 where !(sign < 0 && axis == 7) {
                var point = SIMD8<Float>()
                point[axis] = sign
                out.append(point)
            }
        }
        return out
    }

    /// All of `values⁸`, first coordinate most significant, values ascending.
    static func lexicographic(values: [Float]) -> [SIMD8<Float>] {
        var out: [SIMD8<Float>] = []
        var digits = [Int](repeating: 0, count: 8)
        while true {
            out.append(SIMD8(digits.map { values[$0] }))
            var position = 7
            while position >= 0 && digits[position] == values.count - 1 {
                digits[position] = 0
                position -= 1
            }
            guard position >= 0 else { return out }
            digits[position] += 1
        }
    }

    /// Squared norms, for the scan's `2x·g − ‖g‖²`.
    static let norms: [Float] = points.map { ($0 * $0).sum() }

    /// The nearest grid point to `x` and its index (first on ties).
    public static func nearest(_ x: SIMD8<Float>) -> (value: SIMD8<Float>, code: UInt8) {
        var best = 0, bestScore = -Float.infinity
        for index in 0..<points.count {
            let score = 2 * (x * points[index]).sum() - norms[index]
            if score > bestScore { (best, bestScore) = (index, score) }
        }
        return (points[best], UInt8(best))
    }
}
