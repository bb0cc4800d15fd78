/// `scale · Σ parts` as a row-major `n × n` float64 matrix, each entry summed in float32 over the
/// parts in order, then widened and scaled: how the float32 moments that calibration lanes sum
/// become one statistic. Rows are filled on both cores (`squareMatrix`), so no summed float32
/// copy is made on one core first. With `mirroringUpper` the parts hold only their upper
/// triangles (`j ≥ i`), read for both halves, and the result is exactly symmetric.
public func widenedSum(_ parts: [[Float]], n: Int, scale: Double, mirroringUpper: Bool) -> [Double] {
    guard !parts.isEmpty, parts.allSatisfy({ $0.count >= n * n }) else { return [] }
    return squareMatrix(n) { r, row in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: n) { total in
            for (index, part) in parts.enumerated() {
                part.withUnsafeBufferPointer { values in
                    for c in 0..<n {
                        let value = values[mirroringUpper && c < r ? c &* n &+ r : r &* n &+ c]
                        total[c] = index == 0 ? value : total[c] + value
                    }
                }
            }
            for c in 0..<n { row[c] = Double(total[c]) * scale }
        }
    }
}
