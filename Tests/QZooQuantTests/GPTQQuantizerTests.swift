import Testing
import QZooCore
import QZooMath
@testable import QZooQuant

struct GPTQQuantizerTests {
    static let rows = 24, columns = 96

    static let settings: [GPTQParameters] = [
        GPTQParameters(bits: 4),
        GPTQParameters(bits: 3, groupSize: 32),
        GPTQParameters(bits: 4, groupSize: 32, symmetric: true, blockSize: 40),
        GPTQParameters(bits: 3, groupSize: 32, actOrder: true),
        GPTQParameters(bits: 3, groupSize: 32, actOrder: true, staticGroups: true),
        GPTQParameters(bits: 2, actOrder: true, blockSize: 16),
        GPTQParameters(bits: 3, groupSize: 32, actOrder: true, precision: .float64),
        GPTQParameters(bits: 4, groupSize: 32, blockSize: 40, precision: .float64),
    ]

    @Test(arguments: settings)
    func proxyLossBeatsRoundToNearestAndIsReportedExactly(_ parameters: GPTQParameters) throws {
        let values = TestMatrices.weights(rows: Self.rows, columns: Self.columns, seed: 11)
        let weight = try TestMatrices.tensor(values, rows: Self.rows, columns: Self.columns)
        let hessian = GPTQTestProblems.hessian(columns: Self.columns, tokens: 400, seed: 5)
        let result = try GPTQQuantizer(parameters: parameters).quantize(weight, hessian: hessian)
        let gptq = try result.quantized.dequantize().floats()
        let rtn = try RTNQuantizer(grid: parameters.grid).quantize(weight).dequantize().floats()
        let gptqLoss = GPTQTestProblems.proxyLoss(reference: values, candidate: gptq, hessian: hessian, rows: Self.rows, columns: Self.columns)
        let rtnLoss = GPTQTestProblems.proxyLoss(reference: values, candidate: rtn, hessian: hessian, rows: Self.rows, columns: Self.columns)
        #expect(gptqLoss < 0.8 * rtnLoss)
        #expect(abs(result.proxyLoss - gptqLoss) <= 1e-3 * gptqLoss)
        let meanDiagonal = (0..<Self.columns).reduce(0.0) { $0 + hessian[$1 * Self.columns + $1] } / Double(Self.columns)
        #expect(result.damping.map { abs($0 - parameters.damp * meanDiagonal) <= 1e-9 * meanDiagonal } == true)
    }

    @Test func actOrderWithLoopGroupsStoresThePermutationAndStaticGroupsDoNot() throws {
        let values = TestMatrices.weights(rows: Self.rows, columns: Self.columns, seed: 3)
        let weight = try TestMatrices.tensor(values, rows: Self.rows, columns: Self.columns)
        let hessian = GPTQTestProblems.hessian(columns: Self.columns, tokens: 300, seed: 8)
        let loop = try GPTQQuantizer(parameters: GPTQParameters(bits: 4, groupSize: 32, actOrder: true)).quantize(weight, hessian: hessian)
        guard case .columnPermutation(let permutation)? = loop.quantized.transforms.first else {
            Issue.record("act-order with loop-fitted groups must store a column permutation")
            return
        }
        let order = permutation.withBytes { Array($0.bindMemory(to: Int32.self)).map { Int($0) } }
        let diagonal = (0..<Self.columns).map { hessian[$0 * Self.columns + $0] }
        #expect(zip(order, order.dropFirst()).allSatisfy { diagonal[$0] >= diagonal[$1] })
        let stored = loop.quantized.gridValues()
        let dense = try loop.quantized.dequantize().floats()
        for r in 0..<Self.rows {
            for j in 0..<Self.columns { #expect(dense[r * Self.columns + order[j]] == stored[r * Self.columns + j]) }
        }
        let fixed = try GPTQQuantizer(parameters: GPTQParameters(bits: 4, groupSize: 32, actOrder: true, staticGroups: true))
            .quantize(weight, hessian: hessian)
        #expect(fixed.quantized.transforms.isEmpty)
        #expect(fixed.quantized.gridValues() == (try fixed.quantized.dequantize().floats()))
    }

    @Test func deadColumnsQuantizeToZero() throws {
        let values = TestMatrices.weights(rows: Self.rows, columns: Self.columns, seed: 4)
        let weight = try TestMatrices.tensor(values, rows: Self.rows, columns: Self.columns)
        let dead: Set<Int> = [0, 17, 95]
        let hessian = GPTQTestProblems.hessian(columns: Self.columns, tokens: 300, seed: 9, dead: dead)
        let result = try GPTQQuantizer(parameters: GPTQParameters(bits: 4, groupSize: 32, actOrder: true)).quantize(weight, hessian: hessian)
        let dense = try result.quantized.dequantize().floats()
        for r in 0..<Self.rows { for c in dead { #expect(dense[r * Self.columns + c] == 0) } }
        #expect(result.damping != nil)
    }

    @Test func unfactorableHessianFallsBackToRoundingToNearest() throws {
        let values = TestMatrices.weights(rows: Self.rows, columns: Self.columns, seed: 6)
        let weight = try TestMatrices.tensor(values, rows: Self.rows, columns: Self.columns)
        var hessian = [Double](repeating: 0, count: Self.columns * Self.columns)
        for i in 0..<Self.columns { hessian[i * Self.columns + i] = i == 5 ? -1e6 : 1 }
        let parameters = GPTQParameters(bits: 4, groupSize: 32)
        let result = try GPTQQuantizer(parameters: parameters).quantize(weight, hessian: hessian)
        #expect(result.damping == nil)
        let rtn = try RTNQuantizer(grid: parameters.grid).quantize(weight)
        #expect(try result.quantized.dequantize().floats() == (try rtn.dequantize().floats()))
        let direct = GPTQTestProblems.proxyLoss(reference: values, candidate: try rtn.dequantize().floats(), hessian: hessian,
                                                rows: Self.rows, columns: Self.columns)
        #expect(abs(result.proxyLoss - direct) <= 1e-4 * abs(direct))
    }

    @Test func rejectsHessiansOfTheWrongSizeOrWithNonFiniteValues() throws {
        let weight = try TestMatrices.tensor([Float](repeating: 1, count: 8), rows: 2, columns: 4)
        let quantizer = try GPTQQuantizer(parameters: GPTQParameters(bits: 4))
        #expect(throws: QZooError.self) { try quantizer.quantize(weight, hessian: [Double](repeating: 1, count: 15)) }
        var hessian = [Double](repeating: 0, count: 16)
        hessian[5] = .nan
        #expect(throws: QZooError.self) { try quantizer.quantize(weight, hessian: hessian) }
    }

    /// `V` upper with a positive diagonal and `V·Vᵀ = H + λI`; `inverseBlock` is `U = V⁻¹` on a
    /// diagonal block, the reference's factor there (`U·(H + λI)·Uᵀ = I`), including blocks that
    /// do not start at 0.
    @Test func factorIsTheReversedCholeskyAndItsBlocksInvertIt() throws {
        let n = 40
        let hessian = GPTQTestProblems.hessian(columns: n, tokens: 200, seed: 2)
        let factor = try LDLQFactor<Double>(hessian: hessian, n: n, order: nil, dead: [Bool](repeating: false, count: n), damp: 0.01)
        let lambda = try #require(factor.damping)
        let v = { (i: Int, j: Int) in factor.cholesky[i + j * n] }
        for i in 0..<n {
            for j in 0..<i { #expect(v(i, j) == 0) }
            #expect(v(i, i) > 0 && factor.diagonal[i] == 1 / v(i, i))
            for j in 0..<n {
                let product = (0..<n).reduce(0.0) { $0 + v(i, $1) * v(j, $1) }
                #expect(abs(product - hessian[i * n + j] - (i == j ? lambda : 0)) < 1e-9 * lambda / 0.01)
            }
        }
        let full = try factor.inverseBlock(0 ..< n)
        let u = { (i: Int, j: Int) in full[i + j * n] }
        for i in 0..<n {
            for j in 0..<n {
                var sum = 0.0
                for a in 0..<n {
                    for b in 0..<n { sum += u(i, a) * (hessian[a * n + b] + (a == b ? lambda : 0)) * u(j, b) }
                }
                #expect(abs(sum - (i == j ? 1 : 0)) < 1e-8)
            }
        }
        let block = try factor.inverseBlock(13 ..< 29)
        for i in 0..<16 {
            for j in 0..<16 { #expect(abs(block[i + j * 16] - u(13 + i, 13 + j)) <= 1e-10 * max(1, abs(u(13 + i, 13 + j)))) }
        }
    }
}
