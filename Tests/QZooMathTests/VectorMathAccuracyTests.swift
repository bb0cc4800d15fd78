import Foundation
import Testing
@testable import QZooMath

/// VectorMath's float32 exp and erf against the correctly rounded result (float64 libm rounded to
/// float), over a dense sweep of bit patterns: every 97th float in the range plus the edges.
/// Tens of millions of evaluations: run with `swift test -c release`.
struct VectorMathAccuracyTests {
    /// The largest error the doc comments of `VectorMath.exp`/`erf` promise, in ulps.
    static let promisedUlps = 1

    /// `erf`: every finite float matters (it saturates to ±1 smoothly).
    @Test func erfIsWithinOneUlpOfCorrectlyRounded() {
        let sweep = Sweep(from: -Float.greatestFiniteMagnitude, to: .greatestFiniteMagnitude, extra: Self.erfEdges)
        let worst = sweep.worstError(VectorMath.erf) { Foundation.erf($0) }
        print("VectorMath.erf: \(worst)")
        #expect(worst.ulps <= Self.promisedUlps, "erf: \(worst)")
    }

    /// `exp`: from −104 (the result rounds to 0 just above) to 88.7 (just below overflow), through
    /// the subnormal results below −87.3.
    @Test func expIsWithinOneUlpOfCorrectlyRounded() {
        let sweep = Sweep(from: -104, to: 88.7, extra: Self.expEdges)
        let worst = sweep.worstError(VectorMath.exp) { Foundation.exp($0) }
        print("VectorMath.exp: \(worst)")
        #expect(worst.ulps <= Self.promisedUlps, "exp: \(worst)")
    }

    /// Around 0, the subnormals, the switch between the two polynomials at 1, the saturation near
    /// 3.92 and the infinities.
    static let erfEdges: [Float] = [
        0, -0.0, .leastNonzeroMagnitude, .leastNormalMagnitude, Float(1).nextDown, 1, Float(1).nextUp,
        3.9192, 3.92, Float(4).nextDown, 4, Float(4).nextUp, 10, .infinity, -.infinity,
    ]

    /// The overflow threshold (88.72283), the last results that round to the least subnormal
    /// (about −103.97 to −103.28), the normal/subnormal boundary (−87.34) and the infinities.
    static let expEdges: [Float] = [
        0, -0.0, .leastNonzeroMagnitude, 88.72283, Float(88.72283).nextUp, 88.7228394, 88.73, 89, 100,
        -87.33654, -87.3366, -103.27893, -103.972, -103.97208, -103.9721, -104, -200,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .infinity, -.infinity,
    ]

    @Test func nanInGivesNaNOut() {
        for function in [VectorMath.exp, VectorMath.erf] as [(UnsafeMutableBufferPointer<Float>) -> Void] {
            var values: [Float] = [.nan, 1, -.nan, -1, .signalingNaN]
            values.withUnsafeMutableBufferPointer { function($0) }
            #expect(values[0].isNaN && values[2].isNaN && values[4].isNaN)
            #expect(!values[1].isNaN && !values[3].isNaN)
        }
    }

    @Test func limitsAreExact() {
        var exp: [Float] = [.infinity, -.infinity, 1000, -1000, 0]
        exp.withUnsafeMutableBufferPointer { VectorMath.exp($0) }
        #expect(exp == [.infinity, 0, .infinity, 0, 1])
        var erf: [Float] = [.infinity, -.infinity, 1e30, -1e30, 0, -0.0]
        erf.withUnsafeMutableBufferPointer { VectorMath.erf($0) }
        #expect(erf == [1, -1, 1, -1, 0, 0])
        #expect(erf[4].sign == .plus && erf[5].sign == .minus)
    }
}

/// Float inputs stepping through bit patterns, plus some chosen ones.
struct Sweep {
    let low: Float, high: Float
    let extra: [Float]
    static let stride: UInt32 = 97

    init(from low: Float, to high: Float, extra: [Float]) {
        (self.low, self.high, self.extra) = (low, high, extra)
    }

    /// Non-negative floats with bits from 0 up to `limit`'s (every `stride`-th), negated if asked.
    func halfLine(upTo limit: Float, negative: Bool) -> some Sequence<Float> {
        Swift.stride(from: UInt32(0), through: limit.bitPattern, by: Int(Self.stride)).lazy.map { bits in
            negative ? -Float(bitPattern: bits) : Float(bitPattern: bits)
        }
    }

    /// The largest distance, in units in the last place, between `f` applied to a buffer of inputs
    /// and `reference` (in float64) rounded to float, checked a million inputs at a time.
    func worstError(_ f: (UnsafeMutableBufferPointer<Float>) -> Void, reference: (Double) -> Double) -> UlpError {
        var worst = UlpError()
        var batch: [Float] = []
        batch.reserveCapacity(1 << 20)
        func flush() {
            var results = batch
            results.withUnsafeMutableBufferPointer { f($0) }
            for (input, result) in zip(batch, results) {
                worst.record(input: input, result: result, exact: reference(Double(input)))
            }
            batch.removeAll(keepingCapacity: true)
        }
        func add(_ input: Float) {
            batch.append(input)
            // 1_000_003 is not a multiple of any SIMD width, so the partial last vector is exercised too.
            if batch.count == 1_000_003 { flush() }
        }
        halfLine(upTo: max(high, 0), negative: false).forEach(add)
        halfLine(upTo: -min(low, 0), negative: true).forEach(add)
        extra.forEach(add)
        flush()
        return worst
    }
}

/// The worst error seen: in whole ulps from the correctly rounded float (what the accuracy promise
/// is about) and in fractional ulps from the exact value, each with the input where it occurred.
struct UlpError: CustomStringConvertible {
    var ulps = 0, ulpsInput: Float = 0
    var fractional = 0.0, fractionalInput: Float = 0
    var count = 0

    mutating func record(input: Float, result: Float, exact: Double) {
        count += 1
        let rounded = Float(exact)
        let distance: Int
        if rounded.isNaN || result.isNaN {
            distance = rounded.isNaN == result.isNaN ? 0 : Int.max
        } else {
            distance = abs(Self.ordered(result) - Self.ordered(rounded))
        }
        if distance > ulps { (ulps, ulpsInput) = (distance, input) }
        guard result.isFinite, rounded.isFinite else { return }
        let off = abs(Double(result) - exact) / Double(max(rounded.magnitude.ulp, .leastNonzeroMagnitude))
        if off > fractional { (fractional, fractionalInput) = (off, input) }
    }

    /// Floats as integers that order like the floats (−0 and +0 both 0), so that the difference of
    /// two is how many floats apart they are.
    static func ordered(_ x: Float) -> Int {
        let bits = Int(Int32(bitPattern: x.bitPattern))
        return bits < 0 ? Int(Int32.min) - bits : bits
    }

    var description: String {
        "max \(ulps) ulp from the correctly rounded result (at \(ulpsInput)), "
            + "max \(String(format: "%.3f", fractional)) ulp from the exact value (at \(fractionalInput)), \(count) inputs"
    }
}

/// The reductions against float64 sums of the same floats, at every length around the vector width.
struct VectorMathReductionTests {
    static func values(_ count: Int) -> [Float] {
        (0..<count).map { Float(($0 * 37 + 11) % 29) / 7 - 2 }
    }

    @Test(arguments: [0, 1, 5, 15, 16, 17, 31, 32, 33, 100, 384])
    func reductionsMatchFloat64(count: Int) {
        let x = Self.values(count)
        x.withUnsafeBufferPointer { x in
            let sum = x.reduce(0.0) { $0 + Double($1) }
            let squares = x.reduce(0.0) { $0 + Double($1) * Double($1) }
            #expect(abs(Double(VectorMath.sum(x)) - sum) <= 1e-5 * max(1, abs(sum)), "sum of \(count)")
            #expect(abs(Double(VectorMath.sumOfSquares(x)) - squares) <= 1e-5 * max(1, squares), "squares of \(count)")
            #expect(VectorMath.maximum(x) == x.max() ?? -.infinity, "maximum of \(count)")
        }
    }

    /// The largest element found in every position: in a whole vector, in the tail, first, last.
    @Test func maximumIsFoundInEveryPosition() {
        for count in [1, 16, 17, 40] {
            for position in 0..<count {
                var x = [Float](repeating: -3, count: count)
                x[position] = 2.5
                #expect(x.withUnsafeBufferPointer(VectorMath.maximum) == 2.5, "count \(count), position \(position)")
            }
        }
    }
}
