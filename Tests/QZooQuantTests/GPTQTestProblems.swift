import QZooTestSupport
import QZooCore
import QZooMath
@testable import QZooQuant

/// Small GPTQ problems with correlated inputs (so error feedback matters) and a direct
/// `tr(ΔW H ΔWᵀ)` to check the quantizer's bookkeeping against.
enum GPTQTestProblems {
    /// `H = XᵀX / n` for `tokens` inputs whose channels mix a few shared factors, with
    /// channel scales spanning 1…10 (so act-order has something to sort) and `dead` silent channels.
    static func hessian(columns: Int, tokens: Int, seed: UInt64, dead: Set<Int> = []) -> [Double] {
        var generator = SplitMix64(seed: seed)
        let uniform = { () -> Double in Double(generator.next() >> 11) / Double(1 << 53) * 2 - 1 }
        let factors = 4
        let loadings = (0..<(factors * columns)).map { _ in uniform() }
        let channelScale = (0..<columns).map { 1 + 9 * Double(($0 * 7919) % columns) / Double(columns) }
        var h = [Double](repeating: 0, count: columns * columns)
        var x = [Double](repeating: 0, count: columns)
        for _ in 0..<tokens {
            let f = (0..<factors).map { _ in uniform() }
            for c in 0..<columns {
                var value = 0.3 * uniform()
                for k in 0..<factors { value += f[k] * loadings[k * columns + c] }
                x[c] = dead.contains(c) ? 0 : value * channelScale[c]
            }
            for i in 0..<columns { for j in 0..<columns { h[i * columns + j] += x[i] * x[j] / Double(tokens) } }
        }
        return h
    }

    /// `tr(ΔW H ΔWᵀ)` in float64, element by element.
    static func proxyLoss(reference: [Float], candidate: [Float], hessian: [Double], rows: Int, columns: Int) -> Double {
        var total = 0.0
        for r in 0..<rows {
            let delta = (0..<columns).map { Double(candidate[r * columns + $0]) - Double(reference[r * columns + $0]) }
            for i in 0..<columns where delta[i] != 0 {
                var row = 0.0
                for j in 0..<columns { row += hessian[i * columns + j] * delta[j] }
                total += delta[i] * row
            }
        }
        return total
    }
}
