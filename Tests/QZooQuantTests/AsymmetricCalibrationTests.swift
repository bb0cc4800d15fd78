import Testing
import QZooCore
import QZooTestSupport
@testable import QZooQuant

@Suite struct AsymmetricCalibrationTests {
    /// Float-model inputs `x`, the quantized model's inputs on the same tokens (a linear
    /// distortion of `x` plus independent noise and a shifted mean), and a weight.
    static func problem(rows: Int = 6, columns: Int = 8, tokens: Int = 400)
        -> (x: [[Double]], y: [[Double]], w: [Float]) {
        var random = SplitMix64(seed: 29)
        let offsets = (0..<columns).map { _ in random.unit() * 2 - 1 }
        let x = (0..<tokens).map { _ in offsets.map { $0 + random.unit() - 0.5 } }
        let mix = (0..<columns * columns).map { i in (i / columns == i % columns ? 1 : 0) + 0.2 * (random.unit() - 0.5) }
        let y = x.map { token in
            (0..<columns).map { c in (0..<columns).reduce(0.0) { $0 + token[$1] * mix[$1 * columns + c] } + 0.05 * (random.unit() - 0.5) + 0.1 }
        }
        return (x, y, (0..<rows * columns).map { _ in Float(random.unit() - 0.5) })
    }

    /// `aᵀb / n` (row-major, a's channels as rows).
    static func moment(_ a: [[Double]], _ b: [[Double]]) -> [Double] {
        let n = a[0].count
        return (0..<n * n).map { i in zip(a, b).reduce(0) { $0 + $1.0[i / n] * $1.1[i % n] } / Double(a.count) }
    }

    /// `Σ_tokens ‖V·y − W·x‖²` over the problem's tokens.
    static func outputError(_ v: [Float], on y: [[Double]], against w: [Float], on x: [[Double]]) -> Double {
        let n = x[0].count, rows = w.count / n
        return zip(x, y).reduce(0.0) { sum, pair in
            sum + (0..<rows).reduce(0.0) { rowSum, r in
                let d = (0..<n).reduce(0.0) { $0 + Double(v[r * n + $1]) * pair.1[$1] - Double(w[r * n + $1]) * pair.0[$1] }
                return rowSum + d * d
            }
        }
    }

    /// When both models see the same input (`C = H`) the target is the weight itself.
    @Test func targetIsTheWeightWhenBothModelsAgree() throws {
        let (x, _, w) = Self.problem()
        let h = Self.moment(x, x)
        let target = try AsymmetricCalibration.target(weight: w, rows: 6, columns: 8, hessian: h, cross: h)
        #expect(zip(target, w).allSatisfy { abs($0 - $1) <= 1e-6 })
    }

    /// The target solves the damped normal equations `T (H + λI) = W C + λW` exactly, and fed the
    /// distorted input it reproduces the float output far better than the weight itself.
    @Test func targetReproducesTheFloatOutputFromTheDistortedInput() throws {
        let (x, y, w) = Self.problem()
        let (rows, n) = (6, 8)
        let h = Self.moment(y, y), c = Self.moment(x, y)
        let target = try AsymmetricCalibration.target(weight: w, rows: rows, columns: n, hessian: h, cross: c)
        let lambda = AsymmetricCalibration.damp * (0..<n).reduce(0.0) { $0 + h[$1 * n + $1] } / Double(n)
        for r in 0..<rows {
            for j in 0..<n {
                let left = (0..<n).reduce(lambda * Double(target[r * n + j])) { $0 + Double(target[r * n + $1]) * h[$1 * n + j] }
                let right = (0..<n).reduce(lambda * Double(w[r * n + j])) { $0 + Double(w[r * n + $1]) * c[$1 * n + j] }
                #expect(abs(left - right) < 1e-5, "row \(r), column \(j): \(left) vs \(right)")
            }
        }
        let plain = Self.outputError(w, on: y, against: w, on: x), fitted = Self.outputError(target, on: y, against: w, on: x)
        #expect(fitted < 0.2 * plain, "output error \(fitted) with the target, \(plain) with the weight")
    }

    /// The centred cross moment is the cross covariance of the two inputs.
    @Test func centredCrossIsTheCrossCovariance() {
        let (x, y, _) = Self.problem()
        let n = x[0].count
        let mx = (0..<n).map { c in x.reduce(0) { $0 + $1[c] } / Double(x.count) }
        let my = (0..<n).map { c in y.reduce(0) { $0 + $1[c] } / Double(y.count) }
        let centred = AsymmetricCalibration.centred(cross: Self.moment(x, y), referenceMean: mx, mean: my)
        for i in 0..<n * n {
            let direct = zip(x, y).reduce(0) { $0 + ($1.0[i / n] - mx[i / n]) * ($1.1[i % n] - my[i % n]) } / Double(x.count)
            #expect(abs(centred[i] - direct) < 1e-12)
        }
    }

    /// With the float model's mean, the corrected bias makes the quantized layer's mean output on
    /// the quantized model's input equal the float layer's on the float model's input.
    @Test func biasAgainstTheFloatMeanKeepsTheFloatMeanOutput() {
        let (x, y, w) = Self.problem()
        let n = x[0].count, rows = w.count / n
        let hat = w.map { ($0 * 2).rounded() / 2 }, bias = (0..<rows).map { Float($0) / 10 }
        let mx = (0..<n).map { c in x.reduce(0) { $0 + $1[c] } / Double(x.count) }
        let my = (0..<n).map { c in y.reduce(0) { $0 + $1[c] } / Double(y.count) }
        let corrected = BiasCorrection.corrected(bias: bias, weight: w, quantized: hat, mean: my, referenceMean: mx)
        for r in 0..<rows {
            let float = (0..<n).reduce(Double(bias[r])) { $0 + Double(w[r * n + $1]) * mx[$1] }
            let quantized = (0..<n).reduce(Double(corrected[r])) { $0 + Double(hat[r * n + $1]) * my[$1] }
            #expect(abs(float - quantized) < 1e-5)
        }
    }

    @Test func mismatchedSizesAreRefused() {
        #expect(throws: QZooError.self) {
            try AsymmetricCalibration.target(weight: [1, 2, 3], rows: 2, columns: 2, hessian: [1, 0, 0, 1], cross: [1, 0, 0, 1])
        }
    }
}
