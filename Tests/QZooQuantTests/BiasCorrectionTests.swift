import Testing
import QZooTestSupport
@testable import QZooQuant

@Suite struct BiasCorrectionTests {
    /// Inputs with a clear mean (offset per channel), a weight and a coarse rounding of it.
    static func problem(rows: Int = 5, columns: Int = 7, tokens: Int = 40) -> (x: [[Double]], w: [Float], hat: [Float], bias: [Float]) {
        var random = SplitMix64(seed: 17)
        let offsets = (0..<columns).map { _ in random.unit() * 4 - 2 }
        let x = (0..<tokens).map { _ in offsets.map { $0 + random.unit() - 0.5 } }
        let w = (0..<rows * columns).map { _ in Float(random.unit() - 0.5) }
        return (x, w, w.map { ($0 * 2).rounded() / 2 }, (0..<rows).map { _ in Float(random.unit()) })
    }

    /// With the corrected bias the quantized layer's mean output over the inputs equals the
    /// original layer's (without correction it is off by ΔW·μ).
    @Test func correctedBiasKeepsTheMeanOutput() {
        let (x, w, hat, bias) = Self.problem()
        let (rows, columns) = (bias.count, x[0].count)
        let mean = (0..<columns).map { c in x.reduce(0) { $0 + $1[c] } / Double(x.count) }
        let corrected = BiasCorrection.corrected(bias: bias, weight: w, quantized: hat, mean: mean)
        func meanOutput(_ weight: [Float], _ b: [Float], row r: Int) -> Double {
            x.reduce(0.0) { sum, token in sum + (0..<columns).reduce(Double(b[r])) { $0 + Double(weight[r * columns + $1]) * token[$1] } } / Double(x.count)
        }
        for r in 0..<rows {
            let original = meanOutput(w, bias, row: r)
            #expect(abs(meanOutput(hat, corrected, row: r) - original) < 1e-5)
            #expect(abs(meanOutput(hat, bias, row: r) - original) > 1e-3, "the rounding shifts the mean output")
        }
    }

    /// `H − μμᵀ` is the covariance: the centred inputs' Gram matrix over n.
    @Test func covarianceIsTheCentredGram() {
        let (x, _, _, _) = Self.problem()
        let n = x[0].count
        let mean = (0..<n).map { c in x.reduce(0) { $0 + $1[c] } / Double(x.count) }
        let hessian = (0..<n * n).map { i in x.reduce(0) { $0 + $1[i / n] * $1[i % n] } / Double(x.count) }
        let covariance = BiasCorrection.covariance(hessian: hessian, mean: mean)
        for i in 0..<n * n {
            let centred = x.reduce(0) { $0 + ($1[i / n] - mean[i / n]) * ($1[i % n] - mean[i % n]) } / Double(x.count)
            #expect(abs(covariance[i] - centred) < 1e-12)
        }
    }

    /// Split over the cores (300 rows) or not, each entry is `H[r][c] − μ[r]·μ[c]` exactly; a
    /// Hessian of the wrong size comes back unchanged.
    @Test(arguments: [5, 300])
    func covarianceSubtractsTheMeanProductEntryByEntry(_ n: Int) {
        var random = SplitMix64(seed: UInt64(n))
        let mean = (0..<n).map { _ in random.unit() - 0.5 }
        let hessian = (0..<n * n).map { _ in random.unit() }
        let covariance = BiasCorrection.covariance(hessian: hessian, mean: mean)
        #expect(covariance == (0..<n * n).map { hessian[$0] - mean[$0 / n] * mean[$0 % n] })
        #expect(BiasCorrection.covariance(hessian: Array(hessian.dropLast()), mean: mean) == Array(hessian.dropLast()))
    }
}
