import Foundation
import Testing
import QZooCore
import QZooFormats
import QZooQuant
import QZooTestSupport
@testable import QZooModels

/// Function preservation of per-channel scaling: every group scaled (foldable ones folded into
/// the producer, the others carried as explicit input scales), no quantization, same outputs.
@Suite struct ScaleApplicationTests {
    /// Scales in [0.25, 4] from a seeded stream, one vector per scale group.
    static func randomScales(_ architecture: BertArchitecture, seed: UInt64) -> [[Float]] {
        var random = SplitMix64(seed: seed)
        return architecture.scaleGroups.map { group in (0..<group.inFeatures).map { _ in Float(pow(4, 2 * random.unit() - 1)) } }
    }

    static func scaledEverywhere(_ architecture: BertArchitecture, _ checkpoint: Checkpoint, seed: UInt64) throws -> Checkpoint {
        var scaled = checkpoint
        for (group, s) in zip(architecture.scaleGroups, randomScales(architecture, seed: seed)) {
            try ScaleApplication.apply(s, to: group, checkpoint: &scaled)
        }
        return scaled
    }

    @Test func scalingEveryGroupKeepsTheSyntheticModelsOutputs() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let scaled = try Self.scaledEverywhere(architecture, checkpoint, seed: 3)
        #expect(scaled.inputScales.count == 2 * 5)
        #expect(scaled.tensors["encoder.layer.0.attention.self.value.weight"] != checkpoint.tensors["encoder.layer.0.attention.self.value.weight"])
        let batch = SyntheticBert.batch(lengths: [5, 9, 3])
        let reference = try BertEncoder(architecture: architecture, checkpoint: checkpoint).hiddenStates(batch)
        let candidate = try BertEncoder(architecture: architecture, checkpoint: scaled).hiddenStates(batch)
        let width = architecture.config.hiddenSize
        for token in 0..<batch.tokenCount {
            #expect(cosine(row(reference, token, width: width), row(candidate, token, width: width)) > 0.99999)
        }
    }

    @Test func droppingTheExplicitScalesChangesTheOutputs() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        var scaled = try Self.scaledEverywhere(architecture, checkpoint, seed: 3)
        scaled.inputScales = [:]
        let batch = SyntheticBert.batch(lengths: [6])
        let reference = try BertEncoder(architecture: architecture, checkpoint: checkpoint).sentenceEmbeddings(batch)
        let candidate = try BertEncoder(architecture: architecture, checkpoint: scaled).sentenceEmbeddings(batch)
        #expect(cosine(reference[...], candidate[...]) < 0.999)
    }

    @Test func dequantizedFoldsTheScalesBackIntoTheOriginalWeights() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let folded = try Self.scaledEverywhere(architecture, checkpoint, seed: 4).dequantized()
        #expect(folded.inputScales.isEmpty)
        // A foldable group's producer (value) legitimately keeps 1/s in its rows.
        let producers = Set(architecture.scaleGroups.compactMap { group -> String? in
            if case .linear(let name) = group.producer { return name } else { return nil }
        })
        for group in architecture.scaleGroups where !group.foldable {
            for name in group.consumers where !producers.contains(name) {
                let original = try #require(checkpoint.tensors[name]).floats(), back = try #require(folded.tensors[name]).floats()
                #expect(zip(original, back).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($0)) }, "\(name)")
            }
        }
    }

    @Test func calibrationOfTheScaledModelMatchesTheTransformedStatistics() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let scales = Self.randomScales(architecture, seed: 5)
        var scaled = checkpoint
        var transformed = try Self.calibrate(architecture, checkpoint)
        for (group, s) in zip(architecture.scaleGroups, scales) {
            try ScaleApplication.apply(s, to: group, checkpoint: &scaled, calibration: &transformed)
        }
        let measured = try Self.calibrate(architecture, scaled)
        for name in measured.order {
            let a = try #require(measured.layers[name]), b = try #require(transformed.layers[name])
            let scale = a.hessian.map(abs).max() ?? 1
            #expect(zip(a.hessian, b.hessian).allSatisfy { abs($0 - $1) <= 1e-4 * scale }, "\(name) hessian")
            #expect(zip(a.absMax ?? [], b.absMax ?? []).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($0)) }, "\(name) absmax")
            #expect(zip(a.absMean ?? [], b.absMean ?? []).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($0)) }, "\(name) absmean")
        }
    }

    @Test func rejectsBadScalesAndQuantizedConsumers() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let group = architecture.scaleGroups[0]
        var copy = checkpoint
        #expect(throws: QZooError.self) { try ScaleApplication.apply([Float](repeating: 1, count: group.inFeatures - 1), to: group, checkpoint: &copy) }
        #expect(throws: QZooError.self) { try ScaleApplication.apply([Float](repeating: 0, count: group.inFeatures), to: group, checkpoint: &copy) }
        let quantized = try quantizeCheckpoint(checkpoint, with: try RTNQuantizer(grid: AffineGrid(bits: 8, symmetric: true, granularity: .perChannel))).checkpoint
        copy = quantized
        #expect(throws: QZooError.self) { try ScaleApplication.apply([Float](repeating: 2, count: group.inFeatures), to: group, checkpoint: &copy) }
    }

    static func calibrate(_ architecture: BertArchitecture, _ checkpoint: Checkpoint) throws -> CalibrationSet {
        var accumulator = CalibrationAccumulator(architecture: architecture)
        var profile = ForwardProfile()
        let encoder = try BertEncoder(architecture: architecture, checkpoint: checkpoint)
        _ = try encoder.hiddenStates(SyntheticBert.batch(lengths: [7, 12, 4]), observer: &accumulator, profile: &profile)
        return accumulator.result()
    }
}
