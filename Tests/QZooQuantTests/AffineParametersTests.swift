import Testing
import QZooCore
@testable import QZooQuant

@Suite struct AffineParametersTests {
    func fit(_ values: [Float], bits: Int, symmetric: Bool) throws -> AffineParameters {
        let range = values.withUnsafeBufferPointer { QuantizationRange(of: $0, symmetric: symmetric) }
        return try AffineParameters(fitting: range, grid: AffineGrid(bits: bits, symmetric: symmetric, granularity: .perTensor))
    }

    @Test func asymmetricRangeContainsZero() throws {
        // [−1, 2] at 4 bits: scale 3/15, zero round(1 / 0.2) = 5.
        #expect(try fit([-1, 0.5, 2], bits: 4, symmetric: false) == AffineParameters(scale: Float(3) / 15, zeroPoint: 5))
        // All positive: the range is widened down to 0, so the zero point is 0.
        #expect(try fit([0.5, 3], bits: 4, symmetric: false) == AffineParameters(scale: Float(3) / 15, zeroPoint: 0))
        // All negative: widened up to 0, so the zero point is the top code.
        #expect(try fit([-3, -1], bits: 4, symmetric: false) == AffineParameters(scale: Float(3) / 15, zeroPoint: 15))
    }

    @Test func symmetricRangeIsPlusMinusLargestMagnitude() throws {
        #expect(try fit([-1, 0.5, 2], bits: 4, symmetric: true) == AffineParameters(scale: Float(4) / 15, zeroPoint: 8))
        // All positive values still get [−max, max], so nothing above max/2 is clipped.
        #expect(try fit([0.5, 3], bits: 4, symmetric: true) == AffineParameters(scale: Float(6) / 15, zeroPoint: 8))
        #expect(try fit([-3, 1], bits: 8, symmetric: true) == AffineParameters(scale: Float(6) / 255, zeroPoint: 128))
    }

    @Test func allZeroRunGetsUnitRange() throws {
        // [−1, 1] at 1 bit: scale 2, zero round(0.5) ties to the even 0.
        #expect(try fit([0, 0, 0], bits: 1, symmetric: false) == AffineParameters(scale: 2, zeroPoint: 0))
        // At 4 bits the F32 scale 2/15 rounds up, so 1 / scale is just below 7.5 and the zero is 7.
        #expect(try fit([0, 0, 0], bits: 4, symmetric: false) == AffineParameters(scale: Float(2) / 15, zeroPoint: 7))
        #expect(try fit([0], bits: 3, symmetric: true) == AffineParameters(scale: Float(2) / 7, zeroPoint: 4))
    }

    @Test func roundsExactTiesToEven() throws {
        // Symmetric 4 bits over [−7.5, 7.5]: scale exactly 1, zero 8.
        let parameters = try fit([-7.5, 7.5], bits: 4, symmetric: true)
        #expect(parameters == AffineParameters(scale: 1, zeroPoint: 8))
        let ties: [Float] = [0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, -3.5]
        // round-half-even: 0, 2, 2, 4, 0, −2, −2, −4; plus 8.
        #expect(ties.map { parameters.code($0, maxCode: 15) } == [8, 10, 10, 12, 8, 6, 6, 4])
    }

    @Test func zeroPointTiesRoundToEven() throws {
        // 2 bits over [−2.5, 0.5]: scale 1, zero round(2.5) = 2 (not 3).
        #expect(try fit([-2.5, 0.5], bits: 2, symmetric: false) == AffineParameters(scale: 1, zeroPoint: 2))
        // [−1.5, 1.5]: scale 1, zero round(1.5) = 2.
        #expect(try fit([-1.5, 1.5], bits: 2, symmetric: false) == AffineParameters(scale: 1, zeroPoint: 2))
    }

    @Test func codesClampToTheGrid() {
        let parameters = AffineParameters(scale: 0.5, zeroPoint: 3)
        #expect(parameters.code(100, maxCode: 7) == 7)
        #expect(parameters.code(-100, maxCode: 7) == 0)
        #expect(parameters.code(.greatestFiniteMagnitude, maxCode: 7) == 7)
        #expect(parameters.value(7) == 2)
        #expect(parameters.value(0) == -1.5)
    }

    @Test func tinyRangeGetsTheSmallestNormalScale() throws {
        let parameters = try fit([0x1p-146, -0x1p-148], bits: 8, symmetric: false)
        #expect(parameters.scale == Float.leastNormalMagnitude)
        #expect(parameters.value(parameters.code(0x1p-146, maxCode: 255)) == 0)
    }

    @Test func rangeWiderThanFloatIsAnError() {
        #expect(throws: QZooError.self) { try fit([-3e38, 3e38], bits: 4, symmetric: false) }
    }

    @Test func extremesMatchMinAndMaxForEveryLength() {
        for count in [1, 7, 8, 9, 16, 23] {
            let values = TestMatrices.weights(rows: 1, columns: count, seed: UInt64(count))
            let (low, high) = values.withUnsafeBufferPointer { QuantizationRange.extremes($0) }
            #expect(low == values.min())
            #expect(high == values.max())
        }
    }
}
