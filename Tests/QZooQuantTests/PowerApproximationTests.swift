import Foundation
import Testing
@testable import QZooQuant

@Suite struct PowerApproximationTests {
    @Test(arguments: [1.0, 2.0, 2.4, 3.7, 0.5] as [Float])
    func relativeErrorIsBelowHalfAMillionth(exponent: Float) {
        let power = PowerApproximation(exponent: exponent)
        var x: Float = 1e-12
        while x < 1e4 {
            for factor: Float in [1, 1.1, 1.23, 1.41, 1.42, 1.5, 1.77, 1.99] {
                let exact = Foundation.pow(Double(x * factor), Double(exponent))
                if exact < 0x1p-126 {
                    // Below the normal range the result saturates at about 2^−126.
                    #expect(power(x * factor) <= 0x1p-125)
                } else {
                    #expect(Swift.abs(Double(power(x * factor)) - exact) <= 5e-7 * exact, "x = \(x * factor)")
                }
            }
            x *= 3.3
        }
    }

    @Test func zeroAndSubnormalsCountAsZero() {
        let power = PowerApproximation(exponent: 2.4)
        #expect(power(0) == 0)
        #expect(power(Float.leastNormalMagnitude / 4) == 0)
        #expect(power(Float.leastNonzeroMagnitude) == 0)
        #expect(power(1) == 1)
    }

    @Test func saturatesInsteadOfOverflowing() {
        let power = PowerApproximation(exponent: 64)
        #expect(power(1e30).isFinite)
        #expect(power(1e30) >= 0x1p126)
    }
}
