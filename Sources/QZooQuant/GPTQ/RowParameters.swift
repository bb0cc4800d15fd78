import QZooCore

/// One `AffineParameters` per output row: the grid a column (or a group of columns) is rounded
/// on, fitted by the reference quantizer's `find_params` over some columns of every row.
struct RowParameters {
    var scales: [Float]
    var zeros: [Int]

    /// Fits each row `r` to the min/max of `value(c, r)` over `columns` (a non-empty range).
    init(rows: Int, columns: Range<Int>, grid: AffineGrid, value: (Int, Int) -> Float) throws {
        var low = [Float](repeating: .infinity, count: rows)
        var high = [Float](repeating: -.infinity, count: rows)
        for c in columns {
            for r in 0..<rows {
                let x = value(c, r)
                low[r] = Swift.min(low[r], x)
                high[r] = Swift.max(high[r], x)
            }
        }
        scales = []
        zeros = []
        scales.reserveCapacity(rows)
        zeros.reserveCapacity(rows)
        for r in 0..<rows {
            let range = QuantizationRange(minimum: low[r], maximum: high[r], symmetric: grid.symmetric)
            let parameters = try AffineParameters(fitting: range, grid: grid)
            scales.append(parameters.scale)
            zeros.append(parameters.zeroPoint)
        }
    }

    func parameters(row: Int) -> AffineParameters {
        AffineParameters(scale: scales[row], zeroPoint: zeros[row])
    }
}
