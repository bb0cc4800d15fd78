import Testing
import QZooCore
import QZooTestSupport
@testable import QZooQuant

/// AWQ's searches against direct computations on explicit activations.
@Suite struct AWQSearchTests {
    /// `tokens × columns` activations whose first `outliers` channels are `boost` times larger.
    static func activations(tokens: Int, columns: Int, outliers: Int, boost: Float, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<tokens * columns).map { i in
            let value = Float(random.unit() * 2 - 1)
            return i % columns < outliers ? value * boost : value
        }
    }

    /// `XᵀX / tokens` in float64 and the per-channel mean |x|.
    static func statistics(_ x: [Float], tokens: Int, columns: Int) -> (hessian: [Double], absMean: [Float]) {
        var h = [Double](repeating: 0, count: columns * columns)
        var mean = [Double](repeating: 0, count: columns)
        for t in 0..<tokens {
            for i in 0..<columns {
                let xi = Double(x[t * columns + i])
                mean[i] += abs(xi)
                for j in 0..<columns { h[i * columns + j] += xi * Double(x[t * columns + j]) }
            }
        }
        return (h.map { $0 / Double(tokens) }, mean.map { Float($0 / Double(tokens)) })
    }

    /// Σ over tokens and rows of (x·Δᵀ)² / tokens, computed directly.
    static func tokenError(_ x: [Float], tokens: Int, _ delta: [Float], rows: Int, columns: Int) -> Double {
        var total = 0.0
        for t in 0..<tokens {
            for r in 0..<rows {
                var dot = 0.0
                for c in 0..<columns { dot += Double(x[t * columns + c]) * Double(delta[r * columns + c]) }
                total += dot * dot
            }
        }
        return total / Double(tokens)
    }

    @Test func hessianErrorEqualsTheOutputErrorOnTheTokens() throws {
        let (tokens, rows, columns) = (50, 7, 24)
        let x = Self.activations(tokens: tokens, columns: columns, outliers: 3, boost: 8, seed: 1)
        let delta = TestMatrices.weights(rows: rows, columns: columns, seed: 2)
        let (hessian, _) = Self.statistics(x, tokens: tokens, columns: columns)
        var error = OutputError(hessian: hessian, n: columns)
        let fast = try delta.withUnsafeBufferPointer { try error($0, rows: rows) }
        let direct = Self.tokenError(x, tokens: tokens, delta, rows: rows, columns: columns)
        #expect(abs(fast - direct) <= 1e-4 * direct)
    }

    @Test func outlierChannelsGetScaledAndTheLossDrops() throws {
        let (tokens, rows, columns) = (256, 16, 64)
        let x = Self.activations(tokens: tokens, columns: columns, outliers: 4, boost: 20, seed: 3)
        let (hessian, absMean) = Self.statistics(x, tokens: tokens, columns: columns)
        let weights = [TestMatrices.weights(rows: rows, columns: columns, seed: 4), TestMatrices.weights(rows: 8, columns: columns, seed: 5)]
        let search = try AWQScaleSearch(parameters: AWQParameters(bits: 3, groupSize: 32))
        let choice = try search.search(weights: weights, columns: columns, hessian: hessian, absMean: absMean)
        #expect(choice.ratio > 0)
        #expect(choice.loss < 0.9 * choice.unscaledLoss)
        #expect(choice.scales[0] > choice.scales[columns - 1])
        // The reported loss is the token-form error of the chosen rounding.
        var direct = 0.0
        for weight in weights {
            let rows = weight.count / columns
            var delta = [Float](repeating: 0, count: weight.count)
            try AWQScaleSearch.roundingError(weight, rows: rows, columns: columns, scales: choice.scales, grid: search.parameters.grid, into: &delta)
            direct += Self.tokenError(x, tokens: tokens, delta, rows: rows, columns: columns)
        }
        #expect(abs(direct - choice.loss) <= 1e-3 * direct)
    }

    @Test func uniformActivationsKeepRatioZero() throws {
        let columns = 32
        var hessian = [Double](repeating: 0, count: columns * columns)
        for i in 0..<columns { hessian[i * columns + i] = 1 }
        let search = try AWQScaleSearch(parameters: AWQParameters(bits: 4, groupSize: 16))
        let choice = try search.search(weights: [TestMatrices.weights(rows: 5, columns: columns, seed: 6)], columns: columns,
                                       hessian: hessian, absMean: [Float](repeating: 0.5, count: columns))
        #expect(choice.ratio == 0)
        #expect(choice.scales.allSatisfy { $0 == 1 })
    }

    @Test func duoScalingUsesTheRelativeWeightMagnitude() {
        let weight: [Float] = [1, -2, 4, 0.5, 0.25, -1]  // 2 rows × 3 columns, per-row runs
        let mean = AWQScaleSearch.relativeMagnitudeMean(weight, rows: 2, columns: 3, grid: AffineGrid(bits: 4, symmetric: false, granularity: .perChannel))
        let expected: [Float] = [(0.25 + 0.5) / 2, (0.5 + 0.25) / 2, (1 + 1) / 2]
        #expect(zip(mean, expected).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func clipSearchNeverRaisesAGroupsOutputErrorAndStaysInItsRange() throws {
        let (tokens, rows, columns) = (128, 12, 64)
        let x = Self.activations(tokens: tokens, columns: columns, outliers: 2, boost: 5, seed: 7)
        let (hessian, _) = Self.statistics(x, tokens: tokens, columns: columns)
        let original = TestMatrices.weights(rows: rows, columns: columns, seed: 8, outlier: 8)
        let parameters = AWQParameters(bits: 3, groupSize: 32)
        var clipped = original
        try AWQClipSearch(parameters: parameters).clip(&clipped, rows: rows, columns: columns, hessian: hessian)
        #expect(clipped != original)
        let grid = parameters.grid
        func error(_ weight: [Float]) throws -> Double {
            var rounded = weight
            try rounded.withUnsafeMutableBufferPointer { try AWQRounding.roundTrip($0, rows: rows, columns: columns, grid: grid) }
            let delta = zip(rounded, original).map { $0 - $1 }
            return Self.tokenError(x, tokens: tokens, delta, rows: rows, columns: columns)
        }
        #expect(try error(clipped) <= error(original) * (1 + 1e-6))
        for r in 0..<rows {
            for g in 0..<2 {
                let run = (0..<32).map { r * columns + g * 32 + $0 }
                let peak = run.map { abs(original[$0]) }.max() ?? 0
                let limit = run.map { abs(clipped[$0]) }.max() ?? 0
                #expect(limit >= 0.55 * peak - 1e-6 && limit <= peak)
            }
        }
    }

    @Test func rejectsMismatchedStatistics() throws {
        let search = try AWQScaleSearch(parameters: AWQParameters(bits: 4))
        #expect(throws: QZooError.self) { try search.search(weights: [[1, 2, 3, 4]], columns: 2, hessian: [1, 0, 0], absMean: [1, 1]) }
        #expect(throws: QZooError.self) { try search.search(weights: [[1, 2, 3, 4]], columns: 2, hessian: [1, 0, 0, 1], absMean: [-1, 1]) }
        #expect(throws: QZooError.self) { try AWQParameters(bits: 9).validate() }
    }
}
