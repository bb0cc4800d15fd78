import QZooCore

extension QuantizedTensor {
    /// The integer codes, unpacked, row-major `[rows × columns]`.
    public func unpackedCodes() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rows * columns)
        codes.withBytes { raw in
            out.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                BitPacking.unpack(raw, count: rows * columns, bits: grid.bits, into: base)
            }
        }
        return out
    }

    /// The grid values `(q − z) · s` in the stored (transformed) column order, without undoing
    /// any transform: what a QDQ runtime's DequantizeLinear produces.
    public func gridValues() -> [Float] {
        let q = unpackedCodes()
        let s = scales.floats()
        let z: [UInt8]? = zeroPoints.map { $0.bytes }
        let groupColumns: Int
        switch grid.granularity {
        case .perTensor: groupColumns = columns
        case .perChannel: groupColumns = columns
        case .group(let size): groupColumns = size
        }
        let groupsPerRow = (columns + groupColumns - 1) / groupColumns
        var out = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for c in 0..<columns {
                let index: Int
                switch grid.granularity {
                case .perTensor: index = 0
                case .perChannel: index = r
                case .group: index = r * groupsPerRow + c / groupColumns
                }
                let zero = z.map { Float($0[index]) } ?? Float(grid.symmetricZero)
                out[r * columns + c] = (Float(q[r * columns + c]) - zero) * s[index]
            }
        }
        return out
    }

    /// The effective dense weight `[rows, columns]` in the original column order and scale:
    /// grid values with every transform undone (input scales divided out, permutation inverted).
    public func dequantize() throws -> Tensor {
        var values = gridValues()
        for transform in transforms.reversed() {
            switch transform {
            case .inputScale(let scale):
                let s = scale.floats()
                for r in 0..<rows { for c in 0..<columns { values[r * columns + c] /= s[c] } }
            case .columnPermutation(let permutation):
                let order = permutation.withBytes { Array($0.bindMemory(to: Int32.self)) }.map { Int(Int32(littleEndian: $0)) }
                var restored = values
                for r in 0..<rows { for j in 0..<columns { restored[r * columns + order[j]] = values[r * columns + j] } }
                values = restored
            }
        }
        return try Tensor(shape: [rows, columns], floats: values)
    }
}
