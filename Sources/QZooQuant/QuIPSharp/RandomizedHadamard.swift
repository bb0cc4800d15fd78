import QZooCore
import QZooMath

/// QuIP#'s randomized Hadamard transform (RHT) of an `m × n` weight and its `n × n` Hessian:
/// `Wr = 𝓗_mᵀ S_V W S_U 𝓗_n` and `Hr = 𝓗_nᵀ S_U H S_U 𝓗_n`, with random sign diagonals `S_V`
/// (rows) and `S_U` (columns). Both factors are orthogonal, so the proxy loss `tr(ΔW H ΔWᵀ)` is
/// the same before and after, while the rotated weight and Hessian are incoherent (no large
/// entries, no dominant directions) — which is what makes a fixed lattice codebook fit them.
/// Stored as `WeightTransform.randomizedHadamard` with the signs, so dequantization needs no RNG.
public struct RandomizedHadamard: Sendable, Equatable {
    public let rowSigns: [Float]
    public let columnSigns: [Float]
    let rowTransform: HadamardTransform
    let columnTransform: HadamardTransform

    public var rows: Int { rowSigns.count }
    public var columns: Int { columnSigns.count }

    /// Signs drawn from SplitMix64 seeded with `seed`: one bit per sign (the lowest bit of each
    /// 64-bit output, 1 → −1), rows first, then columns. The same seed gives the same signs on
    /// every platform.
    public init(rows: Int, columns: Int, seed: UInt64) throws {
        var state = seed
        func nextSign() -> Float {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return (z ^ (z >> 31)) & 1 == 1 ? -1 : 1
        }
        let rowSigns = (0..<max(rows, 0)).map { _ in nextSign() }
        let columnSigns = (0..<max(columns, 0)).map { _ in nextSign() }
        try self.init(rowSigns: rowSigns, columnSigns: columnSigns)
    }

    public init(rowSigns: [Float], columnSigns: [Float]) throws {
        rowTransform = try HadamardTransform(size: rowSigns.count)
        columnTransform = try HadamardTransform(size: columnSigns.count)
        self.rowSigns = rowSigns
        self.columnSigns = columnSigns
    }

    /// From a stored `randomizedHadamard` tensor (I8 `[rows + columns]`, validated by `QuantizedTensor`).
    public init(signs: Tensor, rows: Int, columns: Int) throws {
        let values = signs.bytes.map { Float(Int8(bitPattern: $0)) }
        guard values.count == rows + columns else {
            throw QZooError.malformed("randomized Hadamard signs hold \(values.count) values for [\(rows), \(columns)]")
        }
        try self.init(rowSigns: Array(values[..<rows]), columnSigns: Array(values[rows...]))
    }

    /// The transform as stored: I8 ±1, row signs then column signs.
    public func transform() throws -> WeightTransform {
        let bytes = (rowSigns + columnSigns).map { UInt8(bitPattern: $0 < 0 ? -1 : 1) }
        return .randomizedHadamard(try Tensor(dtype: .i8, shape: [bytes.count], bytes: bytes))
    }

    /// `Wr = 𝓗_mᵀ S_V W S_U 𝓗_n` for a row-major `m × n` weight.
    public func rotate(weight: [Float]) -> [Float] {
        var w = weight
        scale(&w, rows: rows, columns: columns, rowFactors: rowSigns, columnFactors: columnSigns)
        applyToRows(&w, columnTransform, count: rows, transposed: true)
        applyToColumns(&w, rowTransform, columns: columns, transposed: true)
        return w
    }

    /// `W = S_V 𝓗_m Wr 𝓗_nᵀ S_U`: the inverse of `rotate(weight:)`.
    public func restore(weight rotated: [Float]) -> [Float] {
        var w = rotated
        applyToColumns(&w, rowTransform, columns: columns, transposed: false)
        applyToRows(&w, columnTransform, count: rows, transposed: false)
        scale(&w, rows: rows, columns: columns, rowFactors: rowSigns, columnFactors: columnSigns)
        return w
    }

    /// `Hr = 𝓗_nᵀ S_U H S_U 𝓗_n` for a row-major `n × n` Hessian (computed in float32, as the
    /// reference does, and made exactly symmetric).
    ///
    /// The rows are rotated, then the columns (`HadamardTransform.applyToColumns`, on vectors
    /// along the rows, with no transpose). That is the transpose of rotating the rows once more
    /// after transposing; symmetrizing reads the matrix both ways, so either gives the same bits.
    /// One float32 matrix besides the result, as every new megabyte is pages the kernel has to
    /// clear (MiniLM's FFN-down Hessian is 9.4 MB in float32).
    public func rotate(hessian: [Double]) -> [Double] {
        let n = columns
        var h = signed(hessian)
        applyToRows(&h, columnTransform, count: n, transposed: true)
        applyToColumns(&h, columnTransform, columns: n, transposed: true)
        return Self.symmetrized(h, n: n)
    }

    /// `S_U H S_U` in float32 (each entry rounded to float32, then times its two signs), rows in
    /// parts side by side (`squareMatrix`).
    private func signed(_ hessian: [Double]) -> [Float] {
        let n = columns
        guard hessian.count == n * n else { return hessian.map { Float($0) } }
        return hessian.withUnsafeBufferPointer { h in
            columnSigns.withUnsafeBufferPointer { signs in
                nonisolated(unsafe) let (h, signs) = (h, signs)
                return squareMatrix(n) { r, row in
                    for c in 0..<n { row[c] = Float(h[r &* n &+ c]) * (signs[r] * signs[c]) }
                }
            }
        }
    }

    /// `(M + Mᵀ)/2` of a square row-major `n × n` float32 matrix, in float64, tile by tile (8 × 8)
    /// so the transposed reads stay within a few cache lines; bands of 8 rows in parts side by side.
    static func symmetrized(_ m: [Float], n: Int) -> [Double] {
        let tile = 8
        guard m.count >= n * n else { return [] }
        return [Double](unsafeUninitializedCapacity: n * n) { out, initialized in
            m.withUnsafeBufferPointer { source in
                nonisolated(unsafe) let (source, target) = (source, out)
                let bands = (n + tile - 1) / tile
                forEachRowPart(count: bands, parts: n >= elementwiseRowsWorthSplitting ? 2 : 1) { part in
                    for r0 in stride(from: part.lowerBound * tile, to: min(part.upperBound * tile, n), by: tile) {
                        for c0 in stride(from: 0, to: n, by: tile) {
                            for r in r0 ..< min(r0 + tile, n) {
                                for c in c0 ..< min(c0 + tile, n) {
                                    target[r &* n &+ c] = 0.5 * (Double(source[r &* n &+ c]) + Double(source[c &* n &+ r]))
                                }
                            }
                        }
                    }
                }
            }
            initialized = n * n
        }
    }

    private func scale(_ values: inout [Float], rows: Int, columns: Int, rowFactors: [Float], columnFactors: [Float]) {
        for r in 0..<rows {
            let factor = rowFactors[r]
            for c in 0..<columns { values[r * columns + c] *= factor * columnFactors[c] }
        }
    }

    /// Each row `x` of the matrix becomes `𝓗x` (or `𝓗ᵀx`) — i.e. the matrix is multiplied on the
    /// right by `𝓗ᵀ` (or `𝓗`). Rows are independent, so two halves go side by side: rotating a
    /// large weight or Hessian otherwise leaves a core idle between the parallel steps around it.
    private func applyToRows(_ values: inout [Float], _ transform: HadamardTransform, count: Int, transposed: Bool) {
        let parts = count >= elementwiseRowsWorthSplitting ? 2 : 1
        values.withUnsafeMutableBufferPointer { buffer in
            guard buffer.count >= count * transform.size else { return }
            nonisolated(unsafe) let data = buffer
            forEachRowPart(count: count, parts: parts) { rows in
                let slice = UnsafeMutableBufferPointer(rebasing: data[rows.lowerBound * transform.size ..< rows.upperBound * transform.size])
                transform.apply(slice, count: rows.count, transposed: transposed)
            }
        }
    }

    /// The matrix is multiplied on the left by `𝓗` (or `𝓗ᵀ`): each column is transformed, on
    /// vectors along the rows (`HadamardTransform.applyToColumns`).
    private func applyToColumns(_ values: inout [Float], _ transform: HadamardTransform, columns: Int, transposed: Bool) {
        values.withUnsafeMutableBufferPointer { transform.applyToColumns($0, columns: columns, transposed: transposed) }
    }
}
