import QZooCore
import QZooQuant

/// The mapping between qzoo's affine grid and ONNX DequantizeLinear (formats/qdq-json.md §3).
///
/// A symmetric b-bit grid (codes q, implicit zero 2^(b−1)) is a signed type with no zero point,
/// x = q − 2^(b−1); an asymmetric grid is an unsigned type with x = q and the zero points as
/// they are. Both give the same `(x − zp) · scale` as qzoo's `(q − z) · s`, bit for bit.
extension QDQWeightRecord {
    /// The record describing `weight` and x's raw data (ONNX packing), which goes to
    /// `location` at `offset`.
    static func make(name: String, weight: QuantizedTensor, location: String, offset: Int) throws -> (record: QDQWeightRecord, raw: [UInt8]) {
        guard let grid = weight.grid else { throw notRepresentable(weight) }
        let type = ONNXElementType.holding(gridBits: grid.bits, signed: grid.symmetric)
        let raw = rawData(weight, grid, type)
        let (scaleShape, axis, blockSize): ([Int], Int?, Int?)
        switch grid.granularity {
        case .perTensor: (scaleShape, axis, blockSize) = ([], nil, nil)
        case .perChannel: (scaleShape, axis, blockSize) = ([weight.rows], 0, nil)
        case .group(let size): (scaleShape, axis, blockSize) = ([weight.rows, (weight.columns + size - 1) / size], 1, size)
        }
        let zeroPoint = weight.zeroPoints.map { QDQZeroPoint(elementType: type, shape: scaleShape, values: $0.bytes.map(Int.init)) }
        let postOps = try weight.transforms.reversed().map { try postOp($0, weight) }
        let record = QDQWeightRecord(
            name: name, minimumOpset: requiredOpset(type, grid.granularity, postOps), elementType: type,
            shape: [weight.rows, weight.columns],
            external: QDQExternalData(location: location, offset: offset, length: raw.count, sha256: SHA256Digest.hex(raw)),
            axis: axis, blockSize: blockSize, scaleShape: scaleShape, scales: weight.scales.floats(), zeroPoint: zeroPoint,
            postOps: postOps, gridBits: grid.bits, sourceDType: weight.sourceDType)
        return (record, raw)
    }

    /// x's values in ONNX raw-data packing: `type.bits` bits each, element 0 in the lowest bits.
    static func rawData(_ weight: QuantizedTensor, _ grid: AffineGrid, _ type: ONNXElementType) -> [UInt8] {
        var values = weight.unpackedCodes()
        if type.isSigned {
            let offset = grid.symmetricZero
            let mask = (1 << type.bits) - 1
            for i in values.indices { values[i] = UInt8((Int(values[i]) - offset) & mask) }
        }
        return BitPacking.pack(values, bits: type.bits)
    }

    /// Lattice codes and Hadamard rotations have no DequantizeLinear form.
    static func notRepresentable(_ weight: QuantizedTensor) -> QZooError {
        let what = weight.codebook.map { "is coded with the \($0.rawValue) lattice codebook" } ?? "carries a randomized Hadamard transform"
        return QZooError(.unsupported, "\(what), which QDQ JSON (ONNX DequantizeLinear) cannot represent; "
                         + "write a .qpack, or convert to dense weights with --dequantize")
    }

    static func postOp(_ transform: WeightTransform, _ weight: QuantizedTensor) throws -> QDQPostOp {
        switch transform {
        case .randomizedHadamard: throw notRepresentable(weight)
        case .inputScale(let scale): return .divide(scale.floats())
        case .columnPermutation(let permutation):
            let order = permutation.withBytes { Array($0.bindMemory(to: Int32.self)) }.map { Int(Int32(littleEndian: $0)) }
            var indices = [Int](repeating: 0, count: order.count)
            for (stored, original) in order.enumerated() { indices[original] = stored }
            return .gather(indices)
        }
    }
}

extension QDQWeightRecord {
    /// The qzoo grid this record describes, after checking every rule that needs no raw data:
    /// ONNX layout, opset, element type, zero-point type and shape. Readers call it for every
    /// record before touching a sidecar.
    func grid() throws -> AffineGrid {
        let granularity = try granularity()
        let required = Self.requiredOpset(elementType, granularity, postOps)
        guard minimumOpset >= required else {
            throw QZooError.malformed("min_opset \(minimumOpset) is below the \(required) that \(elementType.rawValue) with this layout needs")
        }
        let bits = try gridWidth()
        if let zeroPoint {
            guard zeroPoint.elementType == elementType else {
                throw QZooError.malformed("x_zero_point elem_type \(zeroPoint.elementType.rawValue) differs from x's \(elementType.rawValue)")
            }
            guard zeroPoint.shape == scaleShape else {
                throw QZooError.malformed("x_zero_point shape \(zeroPoint.shape) differs from x_scale's \(scaleShape)")
            }
        }
        return AffineGrid(bits: bits, symmetric: elementType.isSigned && zeroPoint == nil, granularity: granularity)
    }

    /// The qzoo weight this record and x's raw bytes (exactly `external.length` of them)
    /// describe; values outside the declared grid are errors.
    func quantizedTensor(raw: UnsafeRawBufferPointer) throws -> QuantizedTensor {
        let grid = try grid()
        let scaleShape = grid.granularity.scaleShape(rows: rows, columns: columns)
        return try QuantizedTensor(
            rows: rows, columns: columns, grid: grid, codes: try codes(raw, grid), scales: try Tensor(shape: scaleShape, floats: scales),
            zeroPoints: try zeroPointTensor(grid, shape: scaleShape), transforms: try transforms(), sourceDType: sourceDType ?? .f32)
    }

    /// The grid width: `qzoo.bits`, else the element type's width.
    func gridWidth() throws -> Int {
        guard elementType.isInteger, elementType.bits <= 8 else {
            throw QZooError.unsupported("x elem_type \(elementType.rawValue) has no qzoo grid (qzoo weights are integer grids of 1 to 8 bits)")
        }
        let bits = gridBits ?? elementType.bits
        guard bits <= elementType.bits else {
            throw QZooError.malformed("qzoo.bits \(bits) is wider than x's \(elementType.rawValue)")
        }
        return bits
    }

    /// What is added to a stored value to get a qzoo code: 2^(b−1) for signed types, else 0.
    func codeOffset(_ grid: AffineGrid) -> Int { elementType.isSigned ? grid.symmetricZero : 0 }

    func codes(_ raw: UnsafeRawBufferPointer, _ grid: AffineGrid) throws -> Tensor {
        let count = rows * columns
        var values = [UInt8](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { out in
            guard let base = out.baseAddress else { return }
            BitPacking.unpack(raw, count: count, bits: elementType.bits, into: base)
        }
        let width = elementType.bits
        let offset = codeOffset(grid)
        for i in 0..<count {
            let stored = Int(values[i])
            let value = elementType.isSigned && stored >= 1 << (width - 1) ? stored - (1 << width) : stored
            let code = value + offset
            guard (0...grid.maxCode).contains(code) else {
                throw QZooError.malformed("x element \(i) is \(value), outside the \(grid.bits)-bit grid this record declares")
            }
            values[i] = UInt8(code)
        }
        let packed = BitPacking.pack(values, bits: grid.bits)
        return try Tensor(dtype: .u8, shape: [packed.count], bytes: packed)
    }

    /// qzoo zero points: x_zero_point shifted like the codes; an unsigned type without one has
    /// ONNX's default zero point 0; a symmetric grid has none.
    func zeroPointTensor(_ grid: AffineGrid, shape: [Int]) throws -> Tensor? {
        guard !grid.symmetric else { return nil }
        let offset = codeOffset(grid)
        let stored = zeroPoint?.values ?? [Int](repeating: 0, count: scales.count)
        let zeros = try stored.map { value -> UInt8 in
            guard (0...grid.maxCode).contains(value + offset) else {
                throw QZooError.malformed("zero point \(value) is outside the \(grid.bits)-bit grid this record declares")
            }
            return UInt8(value + offset)
        }
        return try Tensor(dtype: .u8, shape: shape, bytes: zeros)
    }

    /// The qzoo transforms, in the order they were applied (the reverse of the post ops).
    func transforms() throws -> [WeightTransform] {
        try postOps.reversed().map { op in
            switch op {
            case .divide(let values): return .inputScale(try Tensor(shape: [columns], floats: values))
            case .gather(let indices):
                var order = [Int32](repeating: 0, count: indices.count)
                for (restored, stored) in indices.enumerated() {
                    guard let value = Int32(exactly: restored) else { throw QZooError.unsupported("\(columns) columns exceed a column permutation's I32 range") }
                    order[stored] = value.littleEndian
                }
                return .columnPermutation(try Tensor(dtype: .i32, shape: [columns], bytes: order.withUnsafeBytes { Array($0) }))
            }
        }
    }
}
