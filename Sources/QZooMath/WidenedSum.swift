import Dispatch

/// `scale · Σ parts` as a row-major `n × n` float64 matrix, each entry summed in float32 over the
/// parts in order, then widened and scaled: how the float32 moments that calibration lanes sum
/// become one statistic. Rows are filled on both cores (`squareMatrix`), so no summed float32
/// copy is made on one core first. With `mirroringUpper` the parts hold only their upper
/// triangles (`j ≥ i`), read for both halves, and the result is exactly symmetric.
public func widenedSum(_ parts: [[Float]], n: Int, scale: Double, mirroringUpper: Bool) -> [Double] {
    guard !parts.isEmpty, parts.allSatisfy({ $0.count >= n * n }) else { return [] }
    guard mirroringUpper else {
        return squareMatrix(n) { r, row in
            guard let row = row.baseAddress else { return }
            widenedRow(parts, r, from: 0, n: n, scale: scale, into: row)
        }
    }
    return mirroredWidenedSum(parts, n: n, scale: scale)
}

/// The mirrored sum in two passes: the upper triangle row by row, reading each part's rows
/// where they are stored, then each entry below the diagonal copied from its mirror image in
/// 8 × 8 tiles. Reading the parts' mirror image entry by entry instead went down a column of
/// every part (a cache line per value): FFN down's 1536-wide Gram matrices took 8 ms a merge.
/// Both passes split the rows where the triangle's entries halve, so each core has as many.
private func mirroredWidenedSum(_ parts: [[Float]], n: Int, scale: Double) -> [Double] {
    [Double](unsafeUninitializedCapacity: n * n) { out, initialized in
        guard let base = out.baseAddress else { return }
        nonisolated(unsafe) let matrix = base
        let split = n >= elementwiseRowsWorthSplitting
        let upperSplit = split ? n - Int((Double(n) * 0.5.squareRoot()).rounded()) : n
        inHalves(upperSplit, n) { rows in
            for r in rows { widenedRow(parts, r, from: r, n: n, scale: scale, into: matrix + r * n) }
        }
        let tile = 8, tileRows = (n + tile - 1) / tile
        let lowerSplit = split ? Int((Double(tileRows) * 0.5.squareRoot()).rounded()) : tileRows
        inHalves(lowerSplit, tileRows) { blocks in
            for block in blocks {
                let r0 = block * tile
                for c0 in stride(from: 0, through: r0, by: tile) {
                    for r in r0 ..< min(r0 + tile, n) {
                        for c in c0 ..< min(c0 + tile, r) { matrix[r &* n &+ c] = matrix[c &* n &+ r] }
                    }
                }
            }
        }
        initialized = n * n
    }
}

/// `body(0 ..< split)` and `body(split ..< count)` side by side (one call when either is empty).
private func inHalves(_ split: Int, _ count: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let halves = [0 ..< split, split ..< count].filter { !$0.isEmpty }
    DispatchQueue.concurrentPerform(iterations: halves.count) { body(halves[$0]) }
}

/// Entries `first ..< n` of row `r` of the widened sum into `row[first ..< n]`.
private func widenedRow(_ parts: [[Float]], _ r: Int, from first: Int, n: Int, scale: Double, into row: UnsafeMutablePointer<Double>) {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: n) { total in
        for (index, part) in parts.enumerated() {
            part.withUnsafeBufferPointer { values in
                for c in first ..< n {
                    let value = values[r &* n &+ c]
                    total[c] = index == 0 ? value : total[c] + value
                }
            }
        }
        for c in first ..< n { row[c] = Double(total[c]) * scale }
    }
}
