import Testing
import QZooCore
@testable import QZooQuant

@Suite struct RTNQuantizerTests {
    static let granularities: [Granularity] = [.perTensor, .perChannel, .group(size: 8), .group(size: 64)]

    /// 13 × 37 weights: 37 columns leave a partial last group of 5 at group size 8, and group
    /// size 64 is wider than a row.
    static let rows = 13, columns = 37

    @Test(arguments: Array(1...8), granularities)
    func everyWeightIsWithinHalfAStepAndCodesAreOnTheGrid(bits: Int, granularity: Granularity) throws {
        for symmetric in [false, true] {
            let weights = TestMatrices.weights(rows: Self.rows, columns: Self.columns, seed: UInt64(bits * 31))
            let grid = AffineGrid(bits: bits, symmetric: symmetric, granularity: granularity)
            let quantized = try RTNQuantizer(grid: grid).quantize(try TestMatrices.tensor(weights, rows: Self.rows, columns: Self.columns))
            #expect(quantized.scales.shape == granularity.scaleShape(rows: Self.rows, columns: Self.columns))
            #expect((quantized.zeroPoints == nil) == symmetric)
            #expect(quantized.unpackedCodes().allSatisfy { Int($0) <= grid.maxCode })
            #expect(quantized.zeroPoints.map { $0.bytes.allSatisfy { Int($0) <= grid.maxCode } } ?? true)
            let scales = quantized.scales.floats()
            let values = quantized.gridValues()
            for (index, weight) in weights.enumerated() {
                let scale = scales[TestMatrices.scaleIndex(row: index / Self.columns, column: index % Self.columns,
                                                           columns: Self.columns, granularity: granularity)]
                // Half a step, plus float rounding of x / s and of (q − z) · s.
                #expect(Swift.abs(values[index] - weight) <= scale / 2 + 1e-6 * (Swift.abs(weight) + scale), "element \(index), \(grid)")
            }
        }
    }

    @Test(arguments: [2, 3, 4, 8], granularities)
    func codesAndScalesMatchTheReferenceRules(bits: Int, granularity: Granularity) throws {
        for symmetric in [false, true] {
            let weights = TestMatrices.weights(rows: Self.rows, columns: Self.columns, seed: UInt64(bits) &+ 977)
            let grid = AffineGrid(bits: bits, symmetric: symmetric, granularity: granularity)
            let quantized = try RTNQuantizer(grid: grid).quantize(try TestMatrices.tensor(weights, rows: Self.rows, columns: Self.columns))
            let rule = ReferenceRule(bits: bits, symmetric: symmetric)
            var expectedCodes = [UInt8](repeating: 0, count: weights.count)
            var expectedScales = [Float](repeating: 0, count: quantized.scales.elementCount)
            for (index, members) in TestMatrices.runs(rows: Self.rows, columns: Self.columns, granularity: granularity) {
                let (scale, zero) = rule.parameters(members.map { weights[$0] })
                expectedScales[index] = scale
                for member in members { expectedCodes[member] = UInt8(rule.code(weights[member], scale: scale, zero: zero)) }
            }
            #expect(quantized.scales.floats() == expectedScales)
            #expect(quantized.codes.bytes == BitPacking.pack(expectedCodes, bits: bits))
        }
    }

    @Test(arguments: [2, 3, 4, 8])
    func symmetricGridKeepsZerosExactAtTheImplicitZeroPoint(bits: Int) throws {
        var weights = TestMatrices.weights(rows: 4, columns: 16, seed: 5)
        for index in stride(from: 0, to: weights.count, by: 5) { weights[index] = 0 }
        let grid = AffineGrid(bits: bits, symmetric: true, granularity: .perChannel)
        let quantized = try RTNQuantizer(grid: grid).quantize(try TestMatrices.tensor(weights, rows: 4, columns: 16))
        let codes = quantized.unpackedCodes()
        let values = quantized.gridValues()
        for index in stride(from: 0, to: weights.count, by: 5) {
            #expect(Int(codes[index]) == 1 << (bits - 1))
            #expect(values[index] == 0)
        }
        for row in 0..<4 {
            let largest = weights[row * 16 ..< row * 16 + 16].map { Swift.abs($0) }.max() ?? 0
            #expect(quantized.scales.floats()[row] == 2 * largest / Float(grid.maxCode))
        }
    }

    @Test func exactTiesRoundToEvenThroughTheWholePath() throws {
        // Symmetric 4 bits per row over [−7.5, 7.5]: scale 1, zero 8. 7.5 → 8 + 8 = 16 → clamped to 15.
        let row: [Float] = [7.5, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5]
        let grid = AffineGrid(bits: 4, symmetric: true, granularity: .perChannel)
        let quantized = try RTNQuantizer(grid: grid).quantize(try TestMatrices.tensor(row, rows: 1, columns: 8))
        #expect(quantized.scales.floats() == [1])
        #expect(quantized.unpackedCodes() == [15, 8, 10, 10, 8, 6, 6, 12])
    }

    @Test func keepsTheSourceDType() throws {
        let weights = TestMatrices.weights(rows: 3, columns: 8, seed: 11)
        let grid = AffineGrid(bits: 4, symmetric: false, granularity: .perChannel)
        for dtype in [DType.f16, .bf16, .f64] {
            let tensor = try TestMatrices.tensor(weights, rows: 3, columns: 8).converted(to: dtype)
            #expect(try RTNQuantizer(grid: grid).quantize(tensor).sourceDType == dtype)
        }
    }

    @Test func rejectsTensorsThatAreNotFloatMatrices() throws {
        let quantizer = try RTNQuantizer(grid: AffineGrid(bits: 4, symmetric: false, granularity: .perChannel))
        let vector = try Tensor(shape: [8], floats: Array(repeating: 1, count: 8))
        let cube = try Tensor(shape: [2, 2, 2], floats: Array(repeating: 1, count: 8))
        let empty = try Tensor(shape: [0, 4], floats: [])
        let integers = try Tensor(dtype: .i32, shape: [2, 2], bytes: Array(repeating: 0, count: 16))
        for tensor in [vector, cube, empty, integers] {
            #expect(throws: QZooError.self) { try quantizer.quantize(tensor) }
        }
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity])
    func rejectsNonFiniteWeightsNamingThePosition(bad: Float) throws {
        var weights = TestMatrices.weights(rows: 3, columns: 4, seed: 2)
        weights[6] = bad
        let quantizer = try RTNQuantizer(grid: AffineGrid(bits: 4, symmetric: false, granularity: .perChannel), clipSearch: ClipSearch())
        let error = #expect(throws: QZooError.self) { try quantizer.quantize(try TestMatrices.tensor(weights, rows: 3, columns: 4)) }
        #expect(error?.message.contains("[1, 2]") == true)
    }

    @Test func rejectsInvalidGrids() {
        for grid in [AffineGrid(bits: 0, symmetric: false, granularity: .perChannel),
                     AffineGrid(bits: 9, symmetric: false, granularity: .perChannel),
                     AffineGrid(bits: 4, symmetric: false, granularity: .group(size: 0))] {
            #expect(throws: QZooError.self) { try RTNQuantizer(grid: grid) }
        }
    }

    @Test func hugeGroupSizeIsOneGroupPerRow() throws {
        let weights = TestMatrices.weights(rows: 2, columns: 5, seed: 3)
        let grid = AffineGrid(bits: 4, symmetric: false, granularity: .group(size: Int.max))
        let grouped = try RTNQuantizer(grid: grid).quantize(try TestMatrices.tensor(weights, rows: 2, columns: 5))
        let channel = try RTNQuantizer(grid: AffineGrid(bits: 4, symmetric: false, granularity: .perChannel))
            .quantize(try TestMatrices.tensor(weights, rows: 2, columns: 5))
        #expect(grouped.scales.shape == [2, 1])
        #expect(grouped.gridValues() == channel.gridValues())
    }
}
