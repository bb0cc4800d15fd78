import QZooCore
import QZooMath

extension GPTQProblem {
    /// The stored tensor: codes and scales in original column order, except under
    /// `storesPermutation`, where they stay in loop order and a `columnPermutation` records it.
    func assemble(codes loopCodes: [UInt8], loopGroups: [RowParameters], sourceDType: DType) throws -> QuantizedTensor {
        var codes = [UInt8](repeating: 0, count: rows * columns)
        for j in 0..<columns {
            let stored = storesPermutation ? j : order[j]
            for r in 0..<rows { codes[r * columns + stored] = loopCodes[j * rows + r] }
        }
        let groups: [RowParameters]
        if let channelParameters { groups = [channelParameters] } else { groups = parameters.staticGroups ? staticGroups : loopGroups }
        var scales = [Float](repeating: 0, count: rows * groups.count)
        var zeros = [UInt8](repeating: 0, count: rows * groups.count)
        for (g, group) in groups.enumerated() {
            for r in 0..<rows {
                scales[r * groups.count + g] = group.scales[r]
                zeros[r * groups.count + g] = UInt8(group.zeros[r])
            }
        }
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

    /// `tr(ΔW H ΔWᵀ)` for the undamped Hessian (see `ProxyTrace`).
    func proxyLoss(errorEnergy: Double, damping: Double?, quantized: QuantizedTensor) throws -> Double {
        let reconstructed = try quantized.dequantize().floats()
        let delta = zip(reconstructed, weight).map { $0 - $1 }
        return try ProxyTrace.undamped(errorEnergy: errorEnergy, damping: damping, delta: delta, hessian: hessian,
                                       rows: rows, columns: columns)
    }
}
