import QZooCore
import QZooMath

extension GPTQProblem {
    /// The stored tensor: codes and scales in original column order, except under
    /// `storesPermutation`, where they stay in loop order and a `columnPermutation` records it.
    func assemble(codes: UnsafeBufferPointer<UInt8>, scales: [Float], zeros: [UInt8], sourceDType: DType) throws -> QuantizedTensor {
        let scaleShape = grid.granularity.scaleShape(rows: rows, columns: columns)
        let packed = BitPacking.pack(codes, bits: grid.bits)
        var transforms: [WeightTransform] = []
        if storesPermutation {
            transforms.append(.columnPermutation(try Tensor(dtype: .i32, shape: [columns], bytes: order.map { Int32($0).littleEndian }.withUnsafeBytes { Array($0) })))
        }
        return try QuantizedTensor(
            rows: rows, columns: columns, grid: grid,
            codes: Tensor(dtype: .u8, shape: [packed.count], bytes: packed),
            scales: Tensor(shape: scaleShape, floats: scales),
            zeroPoints: grid.symmetric ? nil : Tensor(dtype: .u8, shape: scaleShape, bytes: zeros),
            transforms: transforms, sourceDType: sourceDType)
    }
}
