import QZooCore

/// The runs of a row-major `[rows, columns]` weight that share one scale and zero point.
///
/// Every granularity splits the weight into contiguous spans of row-major memory (the whole
/// tensor, one row, or `size` consecutive columns of one row with a shorter last group), and run
/// `i` uses scale `i` of the row-major scale tensor. Quantizing and dequantizing both walk this
/// one layout, so they cannot disagree about which scale a weight belongs to.
struct ScaleRuns {
    let rows: Int
    let columns: Int
    let granularity: Granularity

    /// Runs per row (1 unless group-wise); callers guarantee `columns > 0` and a positive group.
    var runsPerRow: Int {
        switch granularity {
        case .perTensor, .perChannel: return 1
        case .group(let size): return (columns - 1) / size + 1
        }
    }

    var count: Int {
        if case .perTensor = granularity { return 1 }
        return rows * runsPerRow
    }

    /// Calls `body(index, start, length)` for every run in scale order.
    func forEach(_ body: (_ index: Int, _ start: Int, _ length: Int) throws -> Void) rethrows {
        switch granularity {
        case .perTensor:
            try body(0, 0, rows * columns)
        case .perChannel:
            for row in 0..<rows { try body(row, row * columns, columns) }
        case .group(let size):
            let perRow = runsPerRow
            for row in 0..<rows {
                for group in 0..<perRow {
                    let first = group * size
                    try body(row * perRow + group, row * columns + first, Swift.min(size, columns - first))
                }
            }
        }
    }
}
