/// The unnormalised Sylvester-ordered Walsh–Hadamard transform `x ← H_L x` for `L = 2^k`, in place.
///
/// `log₂ L` butterfly stages `(a, b) → (a + b, a − b)` on elements `h` apart, `h = 1, 2, 4, …`:
/// O(L log L) adds instead of the O(L²) matrix product. Stages with `h ≥ 8` run on 8-lane SIMD
/// vectors; the first three stages work inside each group of eight.
enum WalshHadamard {
    /// Transforms `x[0 ..< length]`; `length` must be a power of two (callers check).
    static func transform(_ x: UnsafeMutablePointer<Float>, length: Int) {
        guard length > 1 else { return }
        if length < 8 {
            scalarStages(x, length: length, upTo: length)
            return
        }
        for group in stride(from: 0, to: length, by: 8) { eightPoint(x + group) }
        var h = 8
        while h < length {
            for start in stride(from: 0, to: length, by: 2 * h) {
                let raw = UnsafeMutableRawPointer(x + start)
                for offset in stride(from: 0, to: h * 4, by: 32) {
                    let a = raw.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                    let b = raw.loadUnaligned(fromByteOffset: offset + h * 4, as: SIMD8<Float>.self)
                    raw.storeBytes(of: a + b, toByteOffset: offset, as: SIMD8<Float>.self)
                    raw.storeBytes(of: a - b, toByteOffset: offset + h * 4, as: SIMD8<Float>.self)
                }
            }
            h *= 2
        }
    }

    /// The stages `h = 1, 2, 4` on eight consecutive elements (H_8 x).
    private static func eightPoint(_ x: UnsafeMutablePointer<Float>) {
        let a0 = x[0] + x[1], a1 = x[0] - x[1], a2 = x[2] + x[3], a3 = x[2] - x[3]
        let a4 = x[4] + x[5], a5 = x[4] - x[5], a6 = x[6] + x[7], a7 = x[6] - x[7]
        let b0 = a0 + a2, b1 = a1 + a3, b2 = a0 - a2, b3 = a1 - a3
        let b4 = a4 + a6, b5 = a5 + a7, b6 = a4 - a6, b7 = a5 - a7
        x[0] = b0 + b4; x[1] = b1 + b5; x[2] = b2 + b6; x[3] = b3 + b7
        x[4] = b0 - b4; x[5] = b1 - b5; x[6] = b2 - b6; x[7] = b3 - b7
    }

    private static func scalarStages(_ x: UnsafeMutablePointer<Float>, length: Int, upTo limit: Int) {
        var h = 1
        while h < limit {
            for start in stride(from: 0, to: length, by: 2 * h) {
                for j in start ..< start + h {
                    let a = x[j], b = x[j + h]
                    x[j] = a + b
                    x[j + h] = a - b
                }
            }
            h *= 2
        }
    }

    /// `transform` of every column of `length` rows at once (`HadamardTransform.applyToColumns`):
    /// the same butterflies on each element, in the same order, with rows for elements.
    static func transformColumns(_ rows: RowVectors, length: Int) {
        guard length > 1 else { return }
        if length < 8 {
            columnStages(rows, length: length, from: 1)
            return
        }
        for group in stride(from: 0, to: length, by: 8) { eightPointColumns(rows.offset(by: group)) }
        columnStages(rows, length: length, from: 8)
    }

    /// The butterfly stages `h = from, 2·from, …` below `length`, on pairs of rows.
    private static func columnStages(_ rows: RowVectors, length: Int, from first: Int) {
        var h = first
        while h < length {
            for start in stride(from: 0, to: length, by: 2 * h) {
                for j in start ..< start + h {
                    for column in stride(from: 0, to: rows.width, by: 8) {
                        let a = rows.load(j, column), b = rows.load(j + h, column)
                        rows.store(a + b, j, column)
                        rows.store(a - b, j + h, column)
                    }
                }
            }
            h *= 2
        }
    }

    /// `eightPoint` on eight consecutive rows.
    private static func eightPointColumns(_ rows: RowVectors) {
        for column in stride(from: 0, to: rows.width, by: 8) {
            let (x0, x1, x2, x3) = (rows.load(0, column), rows.load(1, column), rows.load(2, column), rows.load(3, column))
            let (x4, x5, x6, x7) = (rows.load(4, column), rows.load(5, column), rows.load(6, column), rows.load(7, column))
            let a0 = x0 + x1, a1 = x0 - x1, a2 = x2 + x3, a3 = x2 - x3
            let a4 = x4 + x5, a5 = x4 - x5, a6 = x6 + x7, a7 = x6 - x7
            let b0 = a0 + a2, b1 = a1 + a3, b2 = a0 - a2, b3 = a1 - a3
            let b4 = a4 + a6, b5 = a5 + a7, b6 = a4 - a6, b7 = a5 - a7
            rows.store(b0 + b4, 0, column); rows.store(b1 + b5, 1, column)
            rows.store(b2 + b6, 2, column); rows.store(b3 + b7, 3, column)
            rows.store(b0 - b4, 4, column); rows.store(b1 - b5, 5, column)
            rows.store(b2 - b6, 6, column); rows.store(b3 - b7, 7, column)
        }
    }
}
