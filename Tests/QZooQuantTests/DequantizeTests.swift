import Testing
import QZooTestSupport
import QZooCore
@testable import QZooQuant

@Suite struct DequantizeTests {
    /// A quantized tensor with random codes, scales and zero points, built by hand.
    static func random(rows: Int, columns: Int, bits: Int, symmetric: Bool, granularity: Granularity,
                       transforms: [WeightTransform] = []) throws -> (QuantizedTensor, codes: [UInt8], scales: [Float], zeros: [UInt8]) {
        var generator = SplitMix64(seed: UInt64(rows * 1000 + columns * 10 + bits))
        let mask = UInt8((1 << bits) - 1)
        let codes = (0..<(rows * columns)).map { _ in UInt8(truncatingIfNeeded: generator.next()) & mask }
        let shape = granularity.scaleShape(rows: rows, columns: columns)
        let count = shape.reduce(1, *)
        let scales = (0..<count).map { _ in Float(generator.next() % 1000 + 1) / 256 }
        let zeros = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) & mask }
        let packed = BitPacking.pack(codes, bits: bits)
        let tensor = try QuantizedTensor(
            rows: rows, columns: columns, grid: AffineGrid(bits: bits, symmetric: symmetric, granularity: granularity),
            codes: Tensor(dtype: .u8, shape: [packed.count], bytes: packed), scales: Tensor(shape: shape, floats: scales),
            zeroPoints: symmetric ? nil : Tensor(dtype: .u8, shape: shape, bytes: zeros), transforms: transforms)
        return (tensor, codes, scales, zeros)
    }

    @Test(arguments: [1, 2, 3, 4, 8], [Granularity.perTensor, .perChannel, .group(size: 4), .group(size: 7)])
    func gridValuesFollowTheDefinition(bits: Int, granularity: Granularity) throws {
        for symmetric in [false, true] {
            let (tensor, codes, scales, zeros) = try Self.random(rows: 5, columns: 18, bits: bits, symmetric: symmetric, granularity: granularity)
            let values = tensor.gridValues()
            for row in 0..<5 {
                for column in 0..<18 {
                    let index = TestMatrices.scaleIndex(row: row, column: column, columns: 18, granularity: granularity)
                    let zero = symmetric ? Float(1 << (bits - 1)) : Float(zeros[index])
                    #expect(values[row * 18 + column] == (Float(codes[row * 18 + column]) - zero) * scales[index])
                }
            }
        }
    }

    static func int32Tensor(_ values: [Int32]) throws -> Tensor {
        try Tensor(dtype: .i32, shape: [values.count], bytes: values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } })
    }

    @Test func undoesAnInputScale() throws {
        let scale: [Float] = [2, 0.5, 4, 1]
        let (tensor, _, _, _) = try Self.random(rows: 3, columns: 4, bits: 8, symmetric: true, granularity: .perChannel,
                                                transforms: [.inputScale(Tensor(shape: [4], floats: scale))])
        let grid = tensor.gridValues()
        let dense = try tensor.dequantize().floats()
        for index in 0..<12 { #expect(dense[index] == grid[index] / scale[index % 4]) }
    }

    @Test func undoesAColumnPermutation() throws {
        let permutation: [Int32] = [2, 0, 3, 1]
        let (tensor, _, _, _) = try Self.random(rows: 3, columns: 4, bits: 4, symmetric: false, granularity: .group(size: 2),
                                                transforms: [.columnPermutation(Self.int32Tensor(permutation))])
        let grid = tensor.gridValues()
        let dense = try tensor.dequantize().floats()
        // Stored column j holds original column permutation[j].
        for row in 0..<3 {
            for stored in 0..<4 { #expect(dense[row * 4 + Int(permutation[stored])] == grid[row * 4 + stored]) }
        }
    }

    @Test func undoesTransformsInReverseOrder() throws {
        // Applied: permute first, then scale the (permuted) stored columns. Undo: divide by the
        // scale in stored order, then un-permute.
        let permutation: [Int32] = [1, 2, 0]
        let scale: [Float] = [4, 0.25, 2]
        let (tensor, _, _, _) = try Self.random(
            rows: 2, columns: 3, bits: 3, symmetric: false, granularity: .perTensor,
            transforms: [.columnPermutation(Self.int32Tensor(permutation)), .inputScale(Tensor(shape: [3], floats: scale))])
        let grid = tensor.gridValues()
        let dense = try tensor.dequantize().floats()
        for row in 0..<2 {
            for stored in 0..<3 {
                #expect(dense[row * 3 + Int(permutation[stored])] == grid[row * 3 + stored] / scale[stored])
            }
        }
    }

    @Test func roundTripsAQuantizedWeightThroughTheTransforms() throws {
        // Quantize W' = W[:, perm] · diag(s) at 8 bits; dequantize must give back ≈ W.
        let weights = TestMatrices.weights(rows: 4, columns: 6, seed: 21, outlier: 1)
        let permutation: [Int32] = [5, 3, 1, 0, 2, 4]
        let scale: [Float] = [2, 1, 0.5, 4, 1, 0.25]
        var stored = [Float](repeating: 0, count: 24)
        for row in 0..<4 {
            for column in 0..<6 { stored[row * 6 + column] = weights[row * 6 + Int(permutation[column])] * scale[column] }
        }
        var quantized = try RTNQuantizer(grid: AffineGrid(bits: 8, symmetric: false, granularity: .perChannel))
            .quantize(try TestMatrices.tensor(stored, rows: 4, columns: 6))
        quantized = try QuantizedTensor(
            rows: 4, columns: 6, grid: try #require(quantized.grid), codes: quantized.codes, scales: quantized.scales,
            zeroPoints: quantized.zeroPoints,
            transforms: [.columnPermutation(Self.int32Tensor(permutation)), .inputScale(Tensor(shape: [6], floats: scale))])
        let dense = try quantized.dequantize().floats()
        let scales = quantized.scales.floats()
        for index in 0..<24 {
            let row = index / 6, column = index % 6
            let storedColumn = permutation.firstIndex(of: Int32(column)) ?? -1
            #expect(Swift.abs(dense[index] - weights[index]) <= (scales[row] / 2) / scale[storedColumn] * 1.0001)
        }
    }
}
