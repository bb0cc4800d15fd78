import Testing
import QZooCore
import QZooTestSupport
@testable import QZooQuant

/// Rounding inside randomized Hadamard incoherence: the rotation is stored first and undone by
/// dequantization, errors are reported against the unrotated weight, and the rotation is
/// orthogonal, so GPTQ's relative proxy loss, measured in the rotated basis, holds in the
/// original one (QuIP#'s is measured on its regularised Hessian, so only GPTQ's is checked).
@Suite struct HadamardIncoherenceTests {
    static func problem(rows: Int, columns: Int) throws -> (weight: Tensor, hessian: [Double]) {
        let values = TestMatrices.weights(rows: rows, columns: columns, seed: 21, outlier: 1)
        return (try TestMatrices.tensor(values, rows: rows, columns: columns),
                GPTQTestProblems.hessian(columns: columns, tokens: 400, seed: 77))
    }

    static func roundings() throws -> [(String, (String, Tensor, [Double]) throws -> QuantizedWeight, exactProxy: Bool)] {
        let lattice = try QuIPSharpQuantizer(parameters: QuIPSharpParameters(codebook: .e8p, tunePasses: 1))
        let grid = try GPTQQuantizer(parameters: GPTQParameters(bits: 3, groupSize: 16, actOrder: true))
        return [("e8p", { try lattice.quantizeWeight(name: $0, $1, hessian: $2) }, false),
                ("grid", { try grid.quantizeWeight(name: $0, $1, hessian: $2) }, true)]
    }

    @Test func theRotationIsStoredFirstAndUndoneAndTheLossIsBasisFree() throws {
        let (weight, hessian) = try Self.problem(rows: 24, columns: 48)
        for (label, round, exactProxy) in try Self.roundings() {
            var rotatedWeight: [Float] = []
            let result = try HadamardIncoherence(seed: 5).quantizeWeight(name: "layer", weight, hessian: hessian) { w, h in
                rotatedWeight = w.floats()
                return try round("layer", w, h)
            }
            guard case .randomizedHadamard(let signs) = result.tensor.transforms.first else {
                Issue.record("\(label): no rotation stored first"); continue
            }
            let rht = try RandomizedHadamard(signs: signs, rows: 24, columns: 48)
            #expect(rht == (try HadamardIncoherence(seed: 5).rotation(of: "layer", rows: 24, columns: 48)))
            #expect(rotatedWeight == rht.rotate(weight: weight.floats()), "\(label)")
            let dense = try result.tensor.dequantize().floats()
            var inner = result.tensor
            inner.transforms.removeFirst()
            let expected = rht.restore(weight: try inner.dequantize().floats())
            #expect(dense == expected, "\(label)")
            let error = ReconstructionError(original: weight.floats(), reconstructed: dense)
            #expect(abs(result.report.error.relativeRMS - error.relativeRMS) <= 1e-12, "\(label)")
            let proxy = GPTQTestProblems.proxyLoss(reference: weight.floats(), candidate: dense, hessian: hessian, rows: 24, columns: 48)
            let energy = GPTQTestProblems.proxyLoss(reference: weight.floats(), candidate: [Float](repeating: 0, count: 24 * 48),
                                                    hessian: hessian, rows: 24, columns: 48)
            let reported = try #require(result.report.calibrated?.relativeProxyLoss)
            if exactProxy { #expect(abs(proxy / energy - reported) <= 1e-3 * reported, "\(label): \(proxy / energy) vs \(reported)") }
        }
    }

    /// `takeDequantized()` hands over the reconstruction the attributed report was made from,
    /// once, and forgets it once the tensor changes.
    @Test func theReportsReconstructionIsHandedOverUntilTheTensorChanges() throws {
        let (weight, hessian) = try Self.problem(rows: 24, columns: 48)
        for (label, round, _) in try Self.roundings() {
            let quantize = { try HadamardIncoherence(seed: 5).quantizeWeight(name: "layer", weight, hessian: hessian) { try round("layer", $0, $1) } }
            var result = try quantize()
            #expect(try result.takeDequantized() == result.tensor.dequantize(), "\(label)")
            #expect(try result.takeDequantized() == result.tensor.dequantize(), "\(label): taken twice")
            var changed = try quantize()
            changed.tensor.transforms.removeFirst()
            let unrotated = try changed.takeDequantized()
            #expect(unrotated == (try changed.tensor.dequantize()), "\(label)")
            #expect(unrotated != (try result.tensor.dequantize()), "\(label): a stale reconstruction survived the change")
        }
    }

    @Test func sizesWithoutAHadamardTransformAreRejectedByName() throws {
        let (weight, hessian) = try Self.problem(rows: 44, columns: 16)
        do {
            _ = try HadamardIncoherence().quantizeWeight(name: "odd", weight, hessian: hessian) { _, _ in
                Issue.record("the rounding ran")
                throw QZooError(.invalidArgument, "unreachable")
            }
            Issue.record("44 rows were accepted")
        } catch let error as QZooError {
            #expect(error.message.contains("44") && error.tensor == "odd", "\(error)")
        }
    }

    @Test func aNonFiniteHessianIsRejectedBeforeTheRotation() throws {
        let (weight, hessian) = try Self.problem(rows: 24, columns: 48)
        for index in [0, 1000, 48 * 48 - 1] {
            var bad = hessian
            bad[index] = .infinity
            #expect(throws: QZooError.self) {
                try HadamardIncoherence().quantizeWeight(name: "w", weight, hessian: bad) { _, _ in
                    Issue.record("the rounding ran")
                    throw QZooError(.invalidArgument, "unreachable")
                }
            }
        }
    }
}
