import QZooCore

/// The scales and zero points of one GPTQ result in their stored layout: `[rows × count]`
/// row-major, one column per group (a single one for per-channel grids).
struct GroupGrid {
    let rows: Int
    let count: Int
    var scales: [Float]
    var zeros: [UInt8]

    init(rows: Int, count: Int) {
        self.rows = rows
        self.count = count
        scales = [Float](repeating: 1, count: rows * count)
        zeros = [UInt8](repeating: 0, count: rows * count)
    }

    /// Stores `parameters` as group `group` of every row.
    mutating func set(_ group: Int, _ parameters: RowParameters) {
        for r in 0..<rows {
            scales[r * count + group] = parameters.scales[r]
            zeros[r * count + group] = UInt8(parameters.zeros[r])
        }
    }

    /// The reference quantizer's `find_params` for one row: `values` (non-empty, finite) rounded
    /// to float32 first, as the reference fits its float32 weights (rounding is monotonic, so
    /// the extremes may be taken first).
    static func fit<T: LDLQScalar>(_ values: UnsafeBufferPointer<T>, grid: AffineGrid) throws -> AffineParameters {
        let (low, high) = T.extremes(values)
        return try AffineParameters(fitting: QuantizationRange(minimum: Float(low), maximum: Float(high), symmetric: grid.symmetric),
                                    grid: grid)
    }
}
