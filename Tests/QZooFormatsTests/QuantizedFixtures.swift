import QZooCore
import QZooTestSupport
import QZooQuant

/// A naive round-to-nearest quantizer for tests, independent of QZooQuant's quantizers: it
/// exists so format tests can make real `QuantizedTensor`s of every width and layout.
enum TestQuantizer {
    /// Quantizes a row-major `[rows, columns]` matrix onto `grid`: symmetric scale
    /// `absmax / max(2^(b−1) − 1, 1)`, asymmetric range always including zero.
    static func quantize(_ values: [Float], rows: Int, columns: Int, grid: AffineGrid,
                         transforms: [WeightTransform] = [], sourceDType: DType = .f32) throws -> QuantizedTensor {
        let groupColumns: Int
        switch grid.granularity {
        case .perTensor, .perChannel: groupColumns = columns
        case .group(let size): groupColumns = size
        }
        let groupsPerRow = (columns + groupColumns - 1) / groupColumns
        let scaleCount = grid.granularity == .perTensor ? 1 : (grid.granularity == .perChannel ? rows : rows * groupsPerRow)
        var members = [[Int]](repeating: [], count: scaleCount)
        for r in 0..<rows {
            for c in 0..<columns {
                let slot: Int
                switch grid.granularity {
                case .perTensor: slot = 0
                case .perChannel: slot = r
                case .group: slot = r * groupsPerRow + c / groupColumns
                }
                members[slot].append(r * columns + c)
            }
        }
        var codes = [UInt8](repeating: 0, count: rows * columns)
        var scales = [Float](repeating: 1, count: scaleCount)
        var zeros = [UInt8](repeating: 0, count: scaleCount)
        for (slot, indices) in members.enumerated() {
            let group = indices.map { values[$0] }
            let (scale, zero) = parameters(group, grid)
            scales[slot] = scale
            zeros[slot] = UInt8(zero)
            for index in indices {
                let code = (values[index] / scale).rounded(.toNearestOrEven) + Float(zero)
                codes[index] = UInt8(min(max(code, 0), Float(grid.maxCode)))
            }
        }
        let packed = BitPacking.pack(codes, bits: grid.bits)
        return try QuantizedTensor(
            rows: rows, columns: columns, grid: grid, codes: try Tensor(dtype: .u8, shape: [packed.count], bytes: packed),
            scales: try Tensor(shape: grid.granularity.scaleShape(rows: rows, columns: columns), floats: scales),
            zeroPoints: grid.symmetric ? nil : try Tensor(dtype: .u8, shape: grid.granularity.scaleShape(rows: rows, columns: columns), bytes: zeros),
            transforms: transforms, sourceDType: sourceDType)
    }

    static func parameters(_ group: [Float], _ grid: AffineGrid) -> (scale: Float, zero: Int) {
        if grid.symmetric {
            let absmax = group.map(abs).max() ?? 0
            let scale = absmax / Float(max(grid.symmetricZero - 1, 1))
            return (scale > 0 ? scale : 1, grid.symmetricZero)
        }
        let low = min(group.min() ?? 0, 0), high = max(group.max() ?? 0, 0)
        let scale = (high - low) / Float(grid.maxCode)
        guard scale > 0 else { return (1, 0) }
        return (scale, Int(min(max((-low / scale).rounded(.toNearestOrEven), 0), Float(grid.maxCode))))
    }
}

/// Checkpoints that exercise every width, layout and transform.
enum Fixtures {
    static let granularities: [Granularity] = [.perTensor, .perChannel, .group(size: 4), .group(size: 3)]

    /// Gaussian-ish values in [-1, 1).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float(random.unit() * random.unit() * 2 - 0.5) }
    }

    static func weight(bits: Int, symmetric: Bool, granularity: Granularity, seed: UInt64,
                       rows: Int = 5, columns: Int = 11, transforms: [WeightTransform] = [], sourceDType: DType = .f32) throws -> QuantizedTensor {
        try TestQuantizer.quantize(values(rows * columns, seed: seed), rows: rows, columns: columns,
                                   grid: AffineGrid(bits: bits, symmetric: symmetric, granularity: granularity),
                                   transforms: transforms, sourceDType: sourceDType)
    }

    static func permutation(_ columns: Int, seed: UInt64) throws -> WeightTransform {
        var random = SplitMix64(seed: seed)
        var order = Array(0..<Int32(columns))
        for i in stride(from: columns - 1, to: 0, by: -1) { order.swapAt(i, Int(random.next() % UInt64(i + 1))) }
        return .columnPermutation(try Tensor(dtype: .i32, shape: [columns], bytes: order.map(\.littleEndian).withUnsafeBytes { Array($0) }))
    }

    static func inputScale(_ columns: Int, seed: UInt64) throws -> WeightTransform {
        var random = SplitMix64(seed: seed)
        return .inputScale(try Tensor(shape: [columns], floats: (0..<columns).map { _ in 0.25 + Float(random.unit()) * 3 }))
    }

    /// Every bit width 1…8 × every granularity × sym/asym, two transformed weights, dense
    /// tensors of several dtypes (including a scalar and an empty one), and metadata.
    static func checkpoint() throws -> Checkpoint {
        var checkpoint = Checkpoint(metadata: ["source": "fixtures", "qzoo.method": "rtn"])
        try checkpoint.add("embeddings.weight", try Tensor(shape: [4, 3], floats: values(12, seed: 1)))
        try checkpoint.add("norm.bias", try Tensor(shape: [3], floats: values(3, seed: 2)).converted(to: .f16))
        try checkpoint.add("position_ids", try Tensor(dtype: .i64, shape: [1, 2], bytes: [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]))
        try checkpoint.add("scalar", try Tensor(shape: [], floats: [0.5]))
        try checkpoint.add("empty", try Tensor(dtype: .bf16, shape: [0, 3], bytes: []))
        var seed: UInt64 = 10
        for bits in 1...8 {
            for symmetric in [true, false] {
                for granularity in granularities {
                    seed += 1
                    let name = "layer.b\(bits).\(symmetric ? "sym" : "asym").\(label(granularity)).weight"
                    try checkpoint.add(name, try weight(bits: bits, symmetric: symmetric, granularity: granularity, seed: seed))
                }
            }
        }
        try checkpoint.add("transformed.weight", try weight(
            bits: 4, symmetric: true, granularity: .group(size: 4), seed: 99,
            transforms: [try permutation(11, seed: 7), try inputScale(11, seed: 8)], sourceDType: .f16))
        try checkpoint.add("scaled.weight", try weight(bits: 3, symmetric: false, granularity: .perChannel, seed: 98,
                                                       transforms: [try inputScale(11, seed: 9)], sourceDType: .bf16))
        return checkpoint
    }

    static func label(_ granularity: Granularity) -> String {
        switch granularity {
        case .perTensor: return "tensor"
        case .perChannel: return "channel"
        case .group(let size): return "g\(size)"
        }
    }
}
