/// `sum[c] += x[r][c]` in float64 for every row `r` of the row-major `rows × columns` float32
/// `x`, rows in order (so each channel's sum is the same bits however it is computed): row after
/// row, eight channels per vector (the compiler cannot tell `sum` and `x` apart, so it would
/// not vectorise the plain loop). `qzoo_bf16_pack` takes the same sums, in the same order, while
/// it packs.
public func addColumnSums(_ x: UnsafeBufferPointer<Float>, rows: Int, columns: Int, into sum: UnsafeMutableBufferPointer<Double>) {
    guard let total = sum.baseAddress, let values = x.baseAddress, sum.count >= columns, x.count >= rows * columns else { return }
    let vectorEnd = columns / 8 * 8
    for r in 0..<rows {
        let row = values + r * columns
        for c in stride(from: 0, to: vectorEnd, by: 8) {
            let wide = SIMD8<Double>(UnsafeRawPointer(row + c).loadUnaligned(as: SIMD8<Float>.self))
            UnsafeMutableRawPointer(total + c).storeBytes(of: UnsafeRawPointer(total + c).loadUnaligned(as: SIMD8<Double>.self) + wide,
                                                          as: SIMD8<Double>.self)
        }
        for c in vectorEnd..<columns { total[c] += Double(row[c]) }
    }
}
