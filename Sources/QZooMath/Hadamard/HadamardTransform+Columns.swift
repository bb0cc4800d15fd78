extension HadamardTransform {
    /// Columns of a strip taken together: 64 floats per row (a strip of a 1536-row matrix is
    /// 384 KB, within a core's L2 cache for all the passes over it).
    static let stripWidth = 64

    /// Each column `x` of the row-major `size × columns` matrix becomes `𝓗x` (or `𝓗ᵀx`): the
    /// matrix multiplied on the left by `𝓗` (or `𝓗ᵀ`).
    ///
    /// Every element goes through the operations `apply` gives it in its vector, in the same
    /// order, so the result is bit for bit `apply` on the transpose, transposed back; but no
    /// transpose is taken. A butterfly pairs two whole rows, which are contiguous, so it runs on
    /// vectors along them, `stripWidth` columns at a time. Strips go in two parts side by side
    /// from `elementwiseRowsWorthSplitting` columns on.
    public func applyToColumns(_ data: UnsafeMutableBufferPointer<Float>, columns: Int, transposed: Bool = false) {
        guard let base = data.baseAddress, columns > 0, data.count >= size * columns else { return }
        nonisolated(unsafe) let matrix = base
        let strips = (columns + Self.stripWidth - 1) / Self.stripWidth
        forEachRowPart(count: strips, parts: columns >= elementwiseRowsWorthSplitting ? 2 : 1) { part in
            var scratch = [Float](repeating: 0, count: factor > 1 ? size * Self.stripWidth : 0)
            for strip in part {
                let first = strip * Self.stripWidth, width = Swift.min(Self.stripWidth, columns - first)
                if width % 8 == 0 {
                    transformStrip(matrix + first, stride: columns, width: width, scratch: &scratch, transposed: transposed)
                } else {
                    transformNarrowStrip(matrix + first, stride: columns, width: width, scratch: &scratch, transposed: transposed)
                }
            }
        }
    }

    /// A strip whose width is not a multiple of 8 (the last one), through a copy padded with
    /// zero columns: the padding is transformed too and dropped.
    private func transformNarrowStrip(_ strip: UnsafeMutablePointer<Float>, stride: Int, width: Int, scratch: inout [Float],
                                      transposed: Bool) {
        let paddedWidth = (width + 7) / 8 * 8
        var padded = [Float](repeating: 0, count: size * paddedWidth)
        padded.withUnsafeMutableBufferPointer { copy in
            guard let copy = copy.baseAddress else { return }
            for r in 0..<size { (copy + r * paddedWidth).update(from: strip + r * stride, count: width) }
            transformStrip(copy, stride: paddedWidth, width: paddedWidth, scratch: &scratch, transposed: transposed)
            for r in 0..<size { (strip + r * stride).update(from: copy + r * paddedWidth, count: width) }
        }
    }

    /// `size` rows of `width` floats (a multiple of 8), `stride` apart: each column transformed
    /// as `apply` transforms a vector (Walsh–Hadamard per block of rows, `H_K` mixing the
    /// blocks, then the norm).
    private func transformStrip(_ strip: UnsafeMutablePointer<Float>, stride: Int, width: Int, scratch: inout [Float],
                                transposed: Bool) {
        let length = size / factor
        let rows = RowVectors(base: strip, stride: stride, width: width)
        for block in 0..<factor { WalshHadamard.transformColumns(rows.offset(by: block * length), length: length) }
        if factor > 1 {
            scratch.withUnsafeMutableBufferPointer { scratch in
                guard let copy = scratch.baseAddress else { return }
                for r in 0..<size { (copy + r * width).update(from: strip + r * stride, count: width) }
                mixFactorColumns(rows, source: RowVectors(base: copy, stride: width, width: width), length: length,
                                 transposed: transposed)
            }
        }
        let norm = SIMD8<Float>(repeating: 1 / Float(size).squareRoot())
        for r in 0..<size { rows.update(r) { $0 * norm } }
    }

    /// Block `i` of rows (as `K × length` blocks) ← `Σ_j ±` block `j` of `source`, starting
    /// from 0 and in `j` order, as `apply`'s K-mixing step sums each element (and, as there, in
    /// a register per eight floats, stored once).
    private func mixFactorColumns(_ rows: RowVectors, source: RowVectors, length: Int, transposed: Bool) {
        withSigns(transposed: transposed) { sign in
            for i in 0..<factor {
                for t in 0..<length {
                    rows.update(i * length + t) { _, column in
                        var sum = SIMD8<Float>(repeating: 0)
                        for j in 0..<factor {
                            let entry = SIMD8<Float>(repeating: sign[i &* factor &+ j])
                            sum.addProduct(entry, source.load(j &* length &+ t, column))
                        }
                        return sum
                    }
                }
            }
        }
    }
}

/// Rows of a strip: `width` floats (a multiple of 8) each, `stride` floats apart, read and
/// written eight at a time.
struct RowVectors {
    let base: UnsafeMutablePointer<Float>
    let stride: Int
    let width: Int

    func offset(by rows: Int) -> RowVectors { RowVectors(base: base + rows * stride, stride: stride, width: width) }

    /// The eight floats of row `row` from column `column`.
    @inline(__always)
    func load(_ row: Int, _ column: Int) -> SIMD8<Float> {
        UnsafeRawPointer(base + row * stride + column).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    func store(_ value: SIMD8<Float>, _ row: Int, _ column: Int) {
        UnsafeMutableRawPointer(base + row * stride + column).storeBytes(of: value, as: SIMD8<Float>.self)
    }

    /// Row `row` ← `change(its eight floats, their column)`, eight columns at a time.
    @inline(__always)
    func update(_ row: Int, _ change: (SIMD8<Float>, Int) -> SIMD8<Float>) {
        for column in Swift.stride(from: 0, to: width, by: 8) { store(change(load(row, column), column), row, column) }
    }

    @inline(__always)
    func update(_ row: Int, _ change: (SIMD8<Float>) -> SIMD8<Float>) {
        update(row) { value, _ in change(value) }
    }
}
