import Testing
import QZooCore
@testable import QZooQuant

struct BlockLDLQTests {
    static let rows = 16, columns = 96

    /// Rounds each row of a block onto that row's per-channel grid (what scalar GPTQ without
    /// groups uses), so `b = 1` must reproduce scalar GPTQ bit for bit.
    static func channelRounder(_ parameters: RowParameters, grid: AffineGrid) -> (Int, UnsafeMutableBufferPointer<Float>) -> Void {
        { _, block in
            for i in 0..<block.count {
                let row = parameters.parameters(row: i % rows)
                block[i] = row.value(row.code(block[i], maxCode: grid.maxCode))
            }
        }
    }

    @Test(arguments: [false, true])
    func widthOneIsScalarGPTQ(symmetric: Bool) throws {
        let values = TestMatrices.weights(rows: Self.rows, columns: Self.columns, seed: 21)
        let hessian = GPTQTestProblems.hessian(columns: Self.columns, tokens: 300, seed: 22, dead: [7])
        let parameters = GPTQParameters(bits: 3, symmetric: symmetric, blockSize: 32)
        let scalar = try GPTQQuantizer(parameters: parameters)
            .quantize(try TestMatrices.tensor(values, rows: Self.rows, columns: Self.columns), hessian: hessian)
        let channel = try RowParameters(rows: Self.rows, columns: 0..<Self.columns, grid: parameters.grid) { c, r in values[r * Self.columns + c] }
        let block = try BlockLDLQ.quantize(weight: values, rows: Self.rows, columns: Self.columns, hessian: hessian, blockWidth: 1,
                                           lazyBlock: 32, round: Self.channelRounder(channel, grid: parameters.grid))
        #expect(block.weight == (try scalar.quantized.dequantize().floats()))
        // Same terms, summed in a different order (and ΔW rounded to float32 here).
        #expect(abs(block.proxyLoss - scalar.proxyLoss) <= 1e-8 * scalar.proxyLoss)
        #expect(block.damping == scalar.damping)
    }

    @Test(arguments: [2, 8])
    func wideBlocksBeatRoundingToNearestAndReportTheirProxyLoss(width: Int) throws {
        let values = TestMatrices.weights(rows: Self.rows, columns: Self.columns, seed: 23)
        let hessian = GPTQTestProblems.hessian(columns: Self.columns, tokens: 300, seed: 24)
        let grid = AffineGrid(bits: 3, symmetric: false, granularity: .perChannel)
        let channel = try RowParameters(rows: Self.rows, columns: 0..<Self.columns, grid: grid) { c, r in values[r * Self.columns + c] }
        var blocksSeen: [Int] = []
        let rounder = Self.channelRounder(channel, grid: grid)
        let result = try BlockLDLQ.quantize(weight: values, rows: Self.rows, columns: Self.columns, hessian: hessian,
                                            blockWidth: width, lazyBlock: 40) { index, block in
            blocksSeen.append(index)
            #expect(block.count == width * Self.rows)
            rounder(index, block)
        }
        #expect(blocksSeen == Array(0..<(Self.columns / width)))
        let rtn = try RTNQuantizer(grid: grid).quantize(try TestMatrices.tensor(values, rows: Self.rows, columns: Self.columns))
        let rtnLoss = GPTQTestProblems.proxyLoss(reference: values, candidate: try rtn.dequantize().floats(), hessian: hessian,
                                                 rows: Self.rows, columns: Self.columns)
        let direct = GPTQTestProblems.proxyLoss(reference: values, candidate: result.weight, hessian: hessian,
                                                rows: Self.rows, columns: Self.columns)
        #expect(direct < 0.8 * rtnLoss)
        #expect(abs(result.proxyLoss - direct) <= 1e-3 * direct)
    }

    @Test func rejectsWidthsThatDoNotDivideTheColumns() throws {
        let values = [Float](repeating: 1, count: 2 * 12)
        var hessian = [Double](repeating: 0, count: 144)
        for i in 0..<12 { hessian[i * 12 + i] = 1 }
        #expect(throws: QZooError.self) {
            try BlockLDLQ.quantize(weight: values, rows: 2, columns: 12, hessian: hessian, blockWidth: 8) { _, _ in }
        }
    }

    /// A float32 Hessian factors exactly as the same values held in float64 (QuIP# hands over
    /// its float32 Hessian without widening it first), and rounds the same.
    @Test func aFloat32HessianFactorsAsTheSameValuesInFloat64() throws {
        let values = TestMatrices.weights(rows: Self.rows, columns: Self.columns, seed: 31)
        let narrow = GPTQTestProblems.hessian(columns: Self.columns, tokens: 300, seed: 32).map { Float($0) }
        let single = try BlockLDLQ.Factorization(hessian: narrow, columns: Self.columns, damp: 0.01)
        let double = try BlockLDLQ.Factorization(hessian: narrow.map { Double($0) }, columns: Self.columns, damp: 0.01)
        #expect(single.factor.cholesky == double.factor.cholesky && single.factor.damping == double.factor.damping)
        #expect(single.dead == double.dead)
        let grid = AffineGrid(bits: 3, symmetric: false, granularity: .perChannel)
        let channel = try RowParameters(rows: Self.rows, columns: 0..<Self.columns, grid: grid) { c, r in values[r * Self.columns + c] }
        func round<H>(_ factorization: BlockLDLQ.Factorization<H>) throws -> BlockLDLQ.Result {
            try BlockLDLQ.quantize(weight: values, rows: Self.rows, factorization: factorization, blockWidth: 8,
                                   round: Self.channelRounder(channel, grid: grid))
        }
        let (a, b) = (try round(single), try round(double))
        #expect(a.weight == b.weight && a.proxyLoss == b.proxyLoss)
        #expect(throws: QZooError.self) { try BlockLDLQ.Factorization(hessian: [Float](repeating: .nan, count: 4), columns: 2) }
    }
}
