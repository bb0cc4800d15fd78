import QZooCore

/// The rounded rotated weight of one QuIP# run: values (row-major, in units of the scale) and
/// each block's codes (row-major `[rows × columns/8]`).
struct LatticeRounding {
    let rows: Int
    let columns: Int
    let codebook: LatticeCodebook
    var values: [Float]
    var codes: [LatticeCode]

    init(rows: Int, columns: Int, codebook: LatticeCodebook) {
        self.rows = rows
        self.columns = columns
        self.codebook = codebook
        values = [Float](repeating: 0, count: rows * columns)
        codes = [LatticeCode](repeating: LatticeCode(first: 0), count: rows * columns / LatticeCodebook.blockWidth)
    }

    /// The roundings of consecutive row ranges of one weight, as one.
    init(stacking parts: [LatticeRounding], columns: Int, codebook: LatticeCodebook) {
        rows = parts.reduce(0) { $0 + $1.rows }
        self.columns = columns
        self.codebook = codebook
        values = parts.flatMap(\.values)
        codes = parts.flatMap(\.codes)
    }

    var blocksPerRow: Int { columns / LatticeCodebook.blockWidth }

    /// Rounds each row of block `block` from `BlockLDLQ`'s transposed targets (`8 × rows`),
    /// overwriting them with the codewords. The targets of eight consecutive rows are already
    /// an `Octet`, so rows go through the batch search eight at a time.
    mutating func roundTransposed(block: Int, _ targets: UnsafeMutableBufferPointer<Float>) {
        guard let base = targets.baseAddress, targets.count >= 8 * rows else { return }
        let batched = rows - rows % 8, codebook = codebook, columns = columns, blocksPerRow = blocksPerRow
        values.withUnsafeMutableBytes { values in
            codes.withUnsafeMutableBufferPointer { codes in
                for r in stride(from: 0, to: batched, by: 8) {
                    let rounded = codebook.quantize(Octet(coordinates: base + r, stride: rows))
                    rounded.values.store(coordinates: base + r, stride: rows)
                    for lane in 0..<8 {
                        values.storeBytes(of: rounded.values[vector: lane], toByteOffset: ((r + lane) * columns + block * 8) * 4, as: SIMD8<Float>.self)
                        codes[(r + lane) * blocksPerRow + block] = rounded.code(lane: lane)
                    }
                }
            }
        }
        for r in batched ..< rows {
            var x = SIMD8<Float>()
            for j in 0..<8 { x[j] = targets[j * rows + r] }
            let (value, code) = codebook.quantize(x)
            for j in 0..<8 {
                targets[j * rows + r] = value[j]
                values[r * columns + block * 8 + j] = value[j]
            }
            codes[r * blocksPerRow + block] = code
        }
    }

    /// Nearest-codeword rounding of every block of `weight` (no error feedback).
    static func nearest(_ weight: [Float], rows: Int, columns: Int, codebook: LatticeCodebook) -> LatticeRounding {
        var rounding = LatticeRounding(rows: rows, columns: columns, codebook: codebook)
        weight.withUnsafeBufferPointer { w in
            let raw = UnsafeRawBufferPointer(w)
            for block in 0 ..< rows * rounding.blocksPerRow {
                let (value, code) = codebook.quantize(raw.loadUnaligned(fromByteOffset: block * 32, as: SIMD8<Float>.self))
                for j in 0..<8 { rounding.values[block * 8 + j] = value[j] }
                rounding.codes[block] = code
            }
        }
        return rounding
    }

    /// The stored code bytes (`codebook.bytesPerBlock` per block, row-major).
    func codeBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(codes.count * codebook.bytesPerBlock)
        for code in codes { codebook.append(code, to: &bytes) }
        return bytes
    }
}
