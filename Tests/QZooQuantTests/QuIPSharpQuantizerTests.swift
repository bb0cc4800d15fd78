import Testing
import QZooCore
import QZooTestSupport
@testable import QZooQuant

/// QuIP#'s rounding on small problems with correlated Hessians: LDLQ against nearest-codeword
/// rounding, the tune passes, and the stored tensor against the rounding it came from.
@Suite struct QuIPSharpQuantizerTests {
    static func problem(rows: Int, columns: Int, seed: UInt64) throws -> (weight: Tensor, hessian: [Double]) {
        let values = TestMatrices.weights(rows: rows, columns: columns, seed: seed, outlier: 1)
        return (try TestMatrices.tensor(values, rows: rows, columns: columns),
                GPTQTestProblems.hessian(columns: columns, tokens: 400, seed: seed + 100))
    }

    @Test(arguments: LatticeCodebook.allCases)
    func blockLDLQIsNeverWorseThanNearestRounding(codebook: LatticeCodebook) throws {
        for seed in UInt64(0)..<6 {
            let (weight, hessian) = try Self.problem(rows: 32, columns: 64, seed: seed)
            let quantizer = try QuIPSharpQuantizer(parameters: QuIPSharpParameters(codebook: codebook, tunePasses: 0))
            let result = try quantizer.quantize(weight, hessian: hessian)
            let nearest = try result.nearestRelativeProxyLoss()
            #expect(result.relativeProxyLoss <= nearest, "seed \(seed): LDLQ \(result.relativeProxyLoss) vs nearest \(nearest)")
        }
    }

    /// The row parts rounded side by side cover every row once, in order, each starting on a
    /// whole octet; weights of fewer than two octets are one part.
    @Test(arguments: [1, 8, 9, 16, 24, 384, 1536, 1537])
    func rowPartsCoverEveryRowOnceOnOctetBoundaries(_ rows: Int) {
        let ranges = QuIPSharpQuantizer.rowRanges(rows: rows, parts: QuIPSharpQuantizer.rowParts)
        #expect(ranges.count == min(QuIPSharpQuantizer.rowParts, (rows + 7) / 8))
        #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == rows)
        #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound && $1.lowerBound % 8 == 0 })
        #expect(ranges.allSatisfy { !$0.isEmpty })
    }

    @Test func tunePassesNeverIncreaseTheProxyLoss() throws {
        let (weight, hessian) = try Self.problem(rows: 48, columns: 256, seed: 3)
        var previous = Double.infinity
        for passes in [0, 1, 3] {
            let quantizer = try QuIPSharpQuantizer(parameters: QuIPSharpParameters(codebook: .e8p, tunePasses: passes))
            let loss = try quantizer.quantize(weight, hessian: hessian).relativeProxyLoss
            #expect(loss <= previous, "\(passes) passes: \(loss) after \(previous)")
            previous = loss
        }
    }

    /// The codes decode to the rounding: the reconstruction the result carries (codewords times
    /// the scale, which the report and the weight handed on use instead of decoding again) is
    /// exactly what dequantizing the stored tensor gives.
    @Test(arguments: LatticeCodebook.allCases)
    func storedTensorDequantizesToTheRounding(codebook: LatticeCodebook) throws {
        let (weight, hessian) = try Self.problem(rows: 24, columns: 40, seed: 8)
        let quantizer = try QuIPSharpQuantizer(parameters: QuIPSharpParameters(codebook: codebook, tunePasses: 2))
        let result = try quantizer.quantize(weight, hessian: hessian)
        let tensor = result.quantized
        #expect(result.reconstruction == (try tensor.dequantize()))
        var handedOn = try quantizer.quantizeWeight(name: "w", weight, hessian: hessian)
        #expect(try handedOn.takeDequantized() == tensor.dequantize())
        #expect(tensor.codebook == codebook)
        #expect(tensor.codes.byteCount == 24 * 40 / 8 * codebook.bytesPerBlock)
        #expect(tensor.transforms.isEmpty)
        #expect(try tensor.dequantize().floats() == tensor.gridValues())
        let error = ReconstructionError(original: weight.floats(), reconstructed: tensor.gridValues())
        let bound: Double = [2: 0.45, 3: 0.3, 4: 0.2][codebook.bitsPerWeight] ?? 0
        #expect(error.relativeRMS < bound, "\(codebook): relative error \(error.relativeRMS)")
    }

    @Test func moreBitsGiveLowerLoss() throws {
        let (weight, hessian) = try Self.problem(rows: 32, columns: 128, seed: 12)
        let losses = try LatticeCodebook.allCases.map { codebook in
            try QuIPSharpQuantizer(parameters: QuIPSharpParameters(codebook: codebook, tunePasses: 1))
                .quantize(weight, hessian: hessian).relativeProxyLoss
        }
        #expect(losses[0] > losses[1] && losses[1] > losses[2], "\(losses)")
    }

    @Test func widthsThatAreNotBlocksOfEightAreRejected() throws {
        let quantizer = try QuIPSharpQuantizer(parameters: QuIPSharpParameters(codebook: .e8p))
        let odd = try Self.problem(rows: 8, columns: 12, seed: 1)
        do {
            _ = try quantizer.quantize(odd.weight, hessian: odd.hessian)
            Issue.record("12 columns were accepted")
        } catch let error as QZooError {
            #expect(error.message.contains("12"))
        }
    }

    /// A weight or Hessian holding NaN or infinity anywhere is refused before any rounding, the
    /// weight's bad entry named by position.
    @Test(arguments: [0, 777, 32 * 64 - 1])
    func nonFiniteInputsAreRejected(at index: Int) throws {
        let quantizer = try QuIPSharpQuantizer(parameters: QuIPSharpParameters(codebook: .e8p))
        let (weight, hessian) = try Self.problem(rows: 32, columns: 64, seed: 2)
        var values = weight.floats()
        values[index] = .nan
        do {
            _ = try quantizer.quantize(try TestMatrices.tensor(values, rows: 32, columns: 64), hessian: hessian)
            Issue.record("a NaN weight at \(index) was accepted")
        } catch let error as QZooError {
            #expect(error.message.contains("[\(index / 64), \(index % 64)]"), "\(error)")
        }
        var bad = hessian
        bad[index % bad.count] = -.infinity
        #expect(throws: QZooError.self) { try quantizer.quantize(weight, hessian: bad) }
    }
}
