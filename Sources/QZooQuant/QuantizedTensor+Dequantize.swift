import QZooCore

extension QuantizedTensor {
    /// The integer codes of an affine weight, unpacked, row-major `[rows × columns]`; for a
    /// lattice weight (whose codes are per block, not per weight) the code bytes as stored.
    public func unpackedCodes() -> [UInt8] {
        guard let grid else { return codes.bytes }
        var out = [UInt8](repeating: 0, count: rows * columns)
        codes.withBytes { raw in
            out.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                BitPacking.unpack(raw, count: rows * columns, bits: grid.bits, into: base)
            }
        }
        return out
    }

    /// The coded values in the stored (transformed) space, without undoing any transform: for an
    /// affine grid `(q − z) · s` (what a QDQ runtime's DequantizeLinear produces), for a lattice
    /// the decoded blocks times the scale.
    public func gridValues() -> [Float] {
        switch scheme {
        case .affine(let grid): return affineValues(grid)
        case .lattice(let codebook): return latticeValues(codebook)
        }
    }

    private func affineValues(_ grid: AffineGrid) -> [Float] {
        let codes = unpackedCodes()
        var out = [Float](repeating: 0, count: codes.count)
        let runs = ScaleRuns(rows: rows, columns: columns, granularity: grid.granularity)
        let fixedZero = Float(grid.symmetricZero)
        scales.withBytes { scaleBytes in
            zeroPoints.withBytes { zeroBytes in
                codes.withUnsafeBufferPointer { q in
                    out.withUnsafeMutableBufferPointer { values in
                        runs.forEach { index, start, length in
                            let scale = scaleBytes.loadUnaligned(fromByteOffset: index * 4, as: Float.self)
                            let zero = zeroBytes.map { Float($0[index]) } ?? fixedZero
                            for i in start ..< start + length { values[i] = (Float(q[i]) - zero) * scale }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The effective dense weight `[rows, columns]` in the original column order and scale:
    /// grid values with every transform undone (input scales divided out, permutation inverted).
    public func dequantize() throws -> Tensor {
        try Tensor(shape: [rows, columns], floats: try undoing(transforms[...]))
    }

    /// The weight in the basis of its leading input scale `s` (`W · diag(s)`, every later
    /// transform undone) and `s`, when the first transform is an input scale; otherwise the
    /// effective weight and nil. This is what a runtime that multiplies the layer's input by
    /// `1/s` (before quantizing the activation) multiplies it with.
    public func dequantizeKeepingInputScale() throws -> (weight: Tensor, inputScale: Tensor?) {
        guard case .inputScale(let scale)? = transforms.first else { return (try dequantize(), nil) }
        return (try Tensor(shape: [rows, columns], floats: try undoing(transforms.dropFirst())), scale)
    }

    /// Grid values with `applied` undone in reverse order.
    private func undoing(_ applied: ArraySlice<WeightTransform>) throws -> [Float] {
        var values = gridValues()
        for transform in applied.reversed() {
            switch transform {
            case .inputScale(let scale): Self.divideColumns(&values, columns: columns, by: scale.floats())
            case .columnPermutation(let permutation): values = unpermuteColumns(values, permutation)
            case .randomizedHadamard(let signs):
                values = try RandomizedHadamard(signs: signs, rows: rows, columns: columns).restore(weight: values)
            }
        }
        return values
    }

    /// `values[r, c] /= scale[c]` (float32 division, as ONNX's `Div` post op) for a row-major
    /// matrix of `columns` columns.
    static func divideColumns(_ values: inout [Float], columns: Int, by scale: [Float]) {
        let rows = values.count / max(columns, 1)
        scale.withUnsafeBufferPointer { s in
            values.withUnsafeMutableBufferPointer { v in
                for row in 0..<rows {
                    let base = row * columns
                    for column in 0..<columns { v[base + column] /= s[column] }
                }
            }
        }
    }

    /// Stored column `j` holds original column `permutation[j]` (validated at construction).
    private func unpermuteColumns(_ values: [Float], _ permutation: Tensor) -> [Float] {
        let columns = columns
        let order = permutation.withBytes { raw in
            (0..<columns).map { Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) }
        }
        var restored = [Float](repeating: 0, count: values.count)
        order.withUnsafeBufferPointer { target in
            values.withUnsafeBufferPointer { source in
                restored.withUnsafeMutableBufferPointer { out in
                    for row in 0..<rows {
                        let base = row * columns
                        for column in 0..<columns { out[base + target[column]] = source[base + column] }
                    }
                }
            }
        }
        return restored
    }
}

extension Optional where Wrapped == Tensor {
    /// Calls `body` with the tensor's bytes, or with nil when there is no tensor.
    fileprivate func withBytes<R>(_ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        switch self {
        case .some(let tensor): return try tensor.withBytes { try body($0) }
        case .none: return try body(nil)
        }
    }
}

extension QuantizedTensor {
    /// Every block decoded and multiplied by the scale (`[rows × columns]`, stored space).
    fileprivate func latticeValues(_ codebook: LatticeCodebook) -> [Float] {
        let blocks = rows * columns / LatticeCodebook.blockWidth
        let scale = scales.floats().first ?? 1
        var out = [Float](repeating: 0, count: rows * columns)
        codes.withBytes { raw in
            out.withUnsafeMutableBufferPointer { values in
                guard let base = values.baseAddress else { return }
                let destination = UnsafeMutableRawPointer(base)
                for block in 0..<blocks {
                    let value = codebook.decode(codebook.code(in: raw, block: block)) * scale
                    destination.storeBytes(of: value, toByteOffset: block * 32, as: SIMD8<Float>.self)
                }
            }
        }
        return out
    }
}
