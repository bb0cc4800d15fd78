/// The 256 source vectors of the E8P12 codebook (QuIP#, `lib/codebook/latticee8_padded12.py`),
/// as absolute values doubled (odd integers 1, 3, 5), in the reference's index order.
///
/// Index 0…226: every vector of `{½, 3/2, 5/2}⁸` with squared norm ≤ 10 — the absolute values of
/// the points of D̂8 = {x ∈ (Z + ½)⁸ : Σx even} inside the ball of radius √10 — in ascending
/// lexicographic order (what the reference's `torch.unique(…, dim=0)` returns). Index 227…255: the
/// 29 hand-picked norm² = 12 patterns (five 3/2, three 1/2) of the reference's `get_norm12`,
/// transcribed as data in its order.
enum E8PSourcePatterns {
    /// `[256][8]`, doubled absolute values.
    static let doubled: [[Int]] = derived() + listedNorm12

    /// The 29 patterns of `get_norm12()` (quip-sharp 1d8f873), doubled.
    static let listedNorm12: [[Int]] = [
        [3, 1, 1, 1, 3, 3, 3, 3], [1, 3, 1, 1, 3, 3, 3, 3], [1, 1, 3, 1, 3, 3, 3, 3], [1, 1, 1, 3, 3, 3, 3, 3],
        [3, 3, 3, 1, 3, 3, 1, 1], [3, 3, 3, 1, 3, 1, 3, 1], [3, 3, 3, 1, 1, 3, 3, 1], [3, 3, 3, 1, 3, 1, 1, 3],
        [3, 3, 3, 1, 1, 3, 1, 3], [3, 3, 3, 1, 1, 1, 3, 3], [3, 3, 1, 3, 3, 3, 1, 1], [3, 3, 1, 3, 3, 1, 3, 1],
        [3, 3, 1, 3, 1, 3, 3, 1], [3, 3, 1, 3, 3, 1, 1, 3], [3, 3, 1, 3, 1, 3, 1, 3], [3, 3, 1, 3, 1, 1, 3, 3],
        [3, 1, 3, 3, 3, 3, 1, 1], [3, 1, 3, 3, 3, 1, 3, 1], [3, 1, 3, 3, 1, 3, 3, 1], [3, 1, 3, 3, 3, 1, 1, 3],
        [3, 1, 3, 3, 1, 3, 1, 3], [1, 3, 3, 3, 1, 1, 3, 3], [1, 3, 3, 3, 3, 3, 1, 1], [1, 3, 3, 3, 3, 1, 3, 1],
        [1, 3, 3, 3, 1, 3, 3, 1], [1, 3, 3, 3, 3, 1, 1, 3], [1, 3, 3, 3, 1, 3, 1, 3], [1, 1, 3, 3, 1, 3, 3, 3],
        [3, 3, 1, 1, 3, 3, 3, 1],
    ]

    /// `{1, 3, 5}⁸` with `Σ v² ≤ 40` (norm² ≤ 10 undoubled), lexicographically ascending.
    static func derived() -> [[Int]] {
        var out: [[Int]] = []
        for index in 0 ..< 6561 {
            var digits = [Int](repeating: 0, count: 8)
            var rest = index
            for position in (0..<8).reversed() {
                digits[position] = 2 * (rest % 3) + 1
                rest /= 3
            }
            if digits.reduce(0, { $0 + $1 * $1 }) <= 40 { out.append(digits) }
        }
        return out
    }
}
