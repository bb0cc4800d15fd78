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

    /// `tr(ΔW H ΔWᵀ)` for the undamped Hessian. The loop's squared scaled errors sum to the
    /// damped trace exactly (`ΔW = E·U` and `U (H+λI) Uᵀ = I`), so subtracting `λ‖ΔW‖²` gives
    /// it without an `O(rows·columns²)` product; only the plain-rounding fallback pays for one.
    func proxyLoss(errorEnergy: Double, damping: Double?, quantized: QuantizedTensor) throws -> Double {
        let reconstructed = try quantized.dequantize().floats()
        var deltaEnergy = 0.0
        var delta = [Float](repeating: 0, count: rows * columns)
        for i in 0..<delta.count {
            delta[i] = reconstructed[i] - weight[i]
            deltaEnergy += Double(delta[i]) * Double(delta[i])
        }
        if let damping { return Swift.max(0, errorEnergy - damping * deltaEnergy) }
        var product = [Float](repeating: 0, count: rows * columns)
        try delta.withUnsafeBufferPointer { a in
            try hessian.withUnsafeBufferPointer { h in
                try product.withUnsafeMutableBufferPointer { c in
                    try BLAS.gemm(m: rows, n: columns, k: columns, a: a, lda: columns, b: h, ldb: columns, c: c, ldc: columns)
                }
            }
        }
        return zip(product, delta).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
}
