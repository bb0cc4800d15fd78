import Foundation
import Testing
import QZooCore
@testable import QZooQuant

@Suite struct ClipSearchTests {
    static let rows = 6, columns = 45

    /// Σ |Q(x) − x|^norm of one run under given parameters, in float64 with exact powers.
    static func normError(_ xs: [Float], scale: Float, zero: Float, rule: ReferenceRule, norm: Double = 2.4) -> Double {
        xs.reduce(0) { total, x in
            let value = (rule.code(x, scale: scale, zero: zero) - zero) * scale
            return total + pow(Double(Swift.abs(value - x)), norm)
        }
    }

    @Test func defaultFactorsAreTheReferenceGrid() throws {
        let factors = ClipSearch().factors
        #expect(factors.count == 80)
        #expect(factors.first == 1)
        #expect(factors.last == Float(0.21))
        #expect(try ClipSearch(grid: 10, maxShrink: 0.05, norm: 2.4).factors == [1])
    }

    @Test(arguments: [2, 3, 4, 5, 8], [Granularity.perTensor, .perChannel, .group(size: 16)])
    func picksTheBestCandidateAndNeverDoesWorseThanNoClipping(bits: Int, granularity: Granularity) throws {
        for symmetric in [false, true] {
            let weights = TestMatrices.weights(rows: Self.rows, columns: Self.columns, seed: UInt64(bits) &* 7 &+ 1, outlier: 12)
            let grid = AffineGrid(bits: bits, symmetric: symmetric, granularity: granularity)
            let tensor = try TestMatrices.tensor(weights, rows: Self.rows, columns: Self.columns)
            let clipped = try RTNQuantizer(grid: grid, clipSearch: ClipSearch()).quantize(tensor)
            let scales = clipped.scales.floats()
            let zeros = clipped.zeroPoints.map { $0.bytes.map(Float.init) }
            let rule = ReferenceRule(bits: bits, symmetric: symmetric)
            for (index, members) in TestMatrices.runs(rows: Self.rows, columns: Self.columns, granularity: granularity) {
                let xs = members.map { weights[$0] }
                let chosen = Self.normError(xs, scale: scales[index], zero: zeros?[index] ?? rule.parameters(xs).zero, rule: rule)
                let candidates = ClipSearch().factors.map { factor in
                    let (scale, zero) = rule.parameters(xs, shrink: factor)
                    return Self.normError(xs, scale: scale, zero: zero, rule: rule)
                }
                let best = candidates.min() ?? .infinity
                #expect(chosen <= best * (1 + 1e-5), "run \(index) of \(grid)")
                #expect(chosen <= candidates[0] * (1 + 1e-5))
            }
        }
    }

    @Test func clipsAnOutlierWhenThatLowersTheError() throws {
        var weights = TestMatrices.weights(rows: 1, columns: 4000, seed: 9, outlier: 1)
        weights[17] = 25
        let tensor = try TestMatrices.tensor(weights, rows: 1, columns: 4000)
        let grid = AffineGrid(bits: 4, symmetric: false, granularity: .perChannel)
        let plain = try RTNQuantizer(grid: grid).quantize(tensor)
        let clipped = try RTNQuantizer(grid: grid, clipSearch: ClipSearch()).quantize(tensor)
        let rule = ReferenceRule(bits: 4, symmetric: false)
        func error(_ q: QuantizedTensor) -> Double {
            Self.normError(weights, scale: q.scales.floats()[0], zero: Float(q.zeroPoints?.bytes[0] ?? 0), rule: rule)
        }
        #expect(clipped.scales.floats()[0] < plain.scales.floats()[0])
        #expect(error(clipped) < error(plain))
        // The outlier is clipped to the top of the grid.
        #expect(clipped.unpackedCodes()[17] == 15)
    }

    @Test func otherNormsAreHonoured() throws {
        // With norm 2 the search minimises the squared error; check against brute force.
        let weights = TestMatrices.weights(rows: 1, columns: 300, seed: 4, outlier: 9)
        let search = try ClipSearch(grid: 50, maxShrink: 0.6, norm: 2)
        let grid = AffineGrid(bits: 3, symmetric: false, granularity: .perTensor)
        let quantized = try RTNQuantizer(grid: grid, clipSearch: search).quantize(try TestMatrices.tensor(weights, rows: 1, columns: 300))
        let rule = ReferenceRule(bits: 3, symmetric: false)
        let chosen = Self.normError(weights, scale: quantized.scales.floats()[0], zero: Float(quantized.zeroPoints?.bytes[0] ?? 0), rule: rule, norm: 2)
        let best = search.factors.map { factor in
            let (scale, zero) = rule.parameters(weights, shrink: factor)
            return Self.normError(weights, scale: scale, zero: zero, rule: rule, norm: 2)
        }.min() ?? .infinity
        #expect(search.factors.count == 30)
        #expect(chosen <= best * (1 + 1e-5))
    }

    @Test func rejectsNonsenseSettings() {
        let settings: [(Int, Double, Double)] = [(0, 0.8, 2.4), (20_000, 0.8, 2.4), (100, 1, 2.4), (100, -0.1, 2.4),
                                                 (100, .nan, 2.4), (100, 0.8, 0), (100, 0.8, .nan), (100, 0.8, 100)]
        for (grid, maxShrink, norm) in settings {
            #expect(throws: QZooError.self) { try ClipSearch(grid: grid, maxShrink: maxShrink, norm: norm) }
        }
    }

    @Test func tinyRangesStayFinite() throws {
        let weights: [Float] = [0x1p-140, -0x1p-145, 0, 0x1p-139]
        let quantized = try RTNQuantizer(grid: AffineGrid(bits: 4, symmetric: false, granularity: .perTensor), clipSearch: ClipSearch())
            .quantize(try TestMatrices.tensor(weights, rows: 1, columns: 4))
        #expect(quantized.scales.floats() == [Float.leastNormalMagnitude])
        #expect(quantized.gridValues().allSatisfy { $0.isFinite })
    }
}
