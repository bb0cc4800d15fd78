/// QuIP#'s E8P12 codebook: 2¹⁶ points of E8 + ¼ (a subset of the shifted half-integer lattice
/// D̂8 ± ¼), one 16-bit code per 8 weights — 2 bits per weight.
///
/// A code is `(source << 8) | signs`, in exactly the reference's layout (`get_full_grid`), so
/// codes are interchangeable with QuIP#'s: `source` picks one of the 256 absolute patterns `a`
/// (`E8PSourcePatterns`); `signs` holds 8 sign bits, and its popcount parity `π` selects the
/// shift (`+¼` when even, `−¼` when odd). The point is `σ ⊙ ã + shift`, where `ã` is `a` with its
/// last entry negated when `Σa` is odd (so `ã ∈ D̂8`), and `σ_i = −1` when bit `shuffle[i]` of
/// `signs ⊕ π` is set (`⊕ π` flips bit 0 only, making the flip count even so the point stays
/// in D̂8). The shuffle comes from the reference packing its nibbles in the column order
/// `[0, 2, 4, 6, 1, 3, 5, 7]`.
public enum E8PCodebook {
    /// Sign bit of coordinate `i`.
    static let shuffle = [0, 4, 1, 5, 2, 6, 3, 7]

    /// `ã` for each source (doubled, last entry negated for odd sums), as floats ×½.
    static let signedSources: [SIMD8<Float>] = E8PSourcePatterns.doubled.map { pattern in
        var v = SIMD8<Float>(pattern.map { Float($0) * 0.5 })
        if (pattern.reduce(0, +) / 2) % 2 != 0 { v[7] = -v[7] }
        return v
    }

    /// The codeword of `code` (the reference's `get_full_grid` row `code`).
    @inline(__always)
    public static func decode(_ code: UInt16) -> SIMD8<Float> {
        let signs = Int(code & 255)
        let parity = signs.nonzeroBitCount & 1
        let flips = signs ^ parity
        var value = signedSources[Int(code >> 8)]
        for i in 0..<8 where (flips >> shuffle[i]) & 1 == 1 { value[i] = -value[i] }
        return value + SIMD8(repeating: parity == 1 ? -0.25 : 0.25)
    }

    /// Every codeword, indexed by code (for brute-force checks).
    public static func allCodewords() -> [SIMD8<Float>] {
        (0 ..< 65536).map { decode(UInt16($0)) }
    }
}
