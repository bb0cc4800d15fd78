import Testing
import QZooCore
@testable import QZooModels

/// Records every observed input, for checking calibration against an independent computation.
struct CapturingObserver: LinearInputObserver {
    var inputs: [Int: [[Float]]] = [:]

    mutating func observe(group: Int, input: UnsafeBufferPointer<Float>, rows: Int, columns: Int) {
        for r in 0..<rows { inputs[group, default: []].append(Array(input[r * columns..<(r + 1) * columns])) }
    }
}

@Suite struct CalibrationTests {
    func calibrate(_ architecture: BertArchitecture, _ checkpoint: Checkpoint, _ batches: [TokenBatch]) throws -> (CalibrationSet, CapturingObserver) {
        let encoder = try BertEncoder(architecture: architecture, checkpoint: checkpoint)
        var accumulator = CalibrationAccumulator(architecture: architecture)
        var capture = CapturingObserver()
        var profile = ForwardProfile()
        for batch in batches {
            _ = try encoder.sentenceEmbeddings(batch, observer: &accumulator, profile: &profile)
            _ = try encoder.sentenceEmbeddings(batch, observer: &capture, profile: &profile)
        }
        return (accumulator.result(), capture)
    }

    /// H must be XᵀX/n over exactly the real tokens the layer saw, across batches (each batch's
    /// Gram in float32: within 1e-6 of Σ|xᵢxⱼ|/n, float32's rounding over a batch's tokens).
    @Test func hessianEqualsGramOfHookedInputsOverTokens() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let batches = [SyntheticBert.batch(lengths: [4, 9, 2]), SyntheticBert.batch(lengths: [13], seed: 3)]
        let (set, capture) = try calibrate(architecture, checkpoint, batches)
        for (group, scale) in architecture.scaleGroups.enumerated() {
            let rows = capture.inputs[group] ?? []
            #expect(rows.count == 28)
            let n = scale.inFeatures
            for consumer in scale.consumers {
                let layer = try #require(set.layers[consumer])
                #expect(layer.tokens == 28)
                for i in 0..<n {
                    for j in 0..<n {
                        let expected = rows.reduce(0.0) { $0 + Double($1[i]) * Double($1[j]) } / Double(rows.count)
                        let magnitude = rows.reduce(0.0) { $0 + abs(Double($1[i]) * Double($1[j])) } / Double(rows.count)
                        #expect(abs(layer.hessian[i * n + j] - expected) <= 1e-6 * magnitude)
                    }
                    let magnitudes = rows.map { abs(Double($0[i])) }
                    #expect(layer.absMax?[i] == Float(magnitudes.max() ?? 0))
                    #expect(abs(Double(layer.absMean?[i] ?? 0) - magnitudes.reduce(0, +) / Double(rows.count)) < 1e-6)
                    let mean = rows.reduce(0.0) { $0 + Double($1[i]) } / Double(rows.count)
                    #expect(abs((layer.mean?[i] ?? .nan) - mean) < 1e-12 * max(1, abs(mean)))
                }
            }
        }
    }

    /// Accumulators that saw different batches, merged, give the statistics of one that saw them
    /// all (float32 sums in another order: within 1e-6 of Σ|xᵢxⱼ|/n), an exactly symmetric H, the
    /// largest magnitude of either and the tokens of both.
    @Test func mergedAccumulatorsGiveTheStatisticsOfAllBatches() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let batches = [SyntheticBert.batch(lengths: [4, 9, 2]), SyntheticBert.batch(lengths: [13], seed: 3), SyntheticBert.batch(lengths: [6], seed: 8)]
        let (whole, capture) = try calibrate(architecture, checkpoint, batches)
        let parts = try [[batches[0], batches[2]], [batches[1]]].map { part in
            let encoder = try BertEncoder(architecture: architecture, checkpoint: checkpoint)
            var (accumulator, profile) = (CalibrationAccumulator(architecture: architecture), ForwardProfile())
            for batch in part { _ = try encoder.sentenceEmbeddings(batch, observer: &accumulator, profile: &profile) }
            return accumulator
        }
        let merged = CalibrationAccumulator.result(merging: parts)
        #expect(merged.order == whole.order)
        for (group, scale) in architecture.scaleGroups.enumerated() {
            let rows = capture.inputs[group] ?? [], n = scale.inFeatures
            for consumer in scale.consumers {
                let (mine, theirs) = (try #require(merged.layers[consumer]), try #require(whole.layers[consumer]))
                #expect(mine.tokens == 34 && theirs.tokens == 34)
                #expect(mine.absMax == theirs.absMax)
                for i in 0..<n {
                    for j in 0..<n {
                        let magnitude = rows.reduce(0.0) { $0 + abs(Double($1[i]) * Double($1[j])) } / Double(rows.count)
                        #expect(abs(mine.hessian[i * n + j] - theirs.hessian[i * n + j]) <= 1e-6 * magnitude)
                        #expect(mine.hessian[i * n + j] == mine.hessian[j * n + i])
                    }
                    #expect(abs((mine.mean?[i] ?? .nan) - (theirs.mean?[i] ?? .nan)) < 1e-12)
                    #expect(abs((mine.absMean?[i] ?? .nan) - (theirs.absMean?[i] ?? .nan)) < 1e-6)
                }
            }
        }
    }

    @Test func fileRoundTripAndValidation() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let (set, _) = try calibrate(architecture, checkpoint, [SyntheticBert.batch(lengths: [5, 6])])
        var file = try set.checkpoint()
        #expect(file.tensors.count == 5 * architecture.linearLayers.count, "hessian, tokens, act_absmax, act_absmean, act_mean")
        #expect(file.tensors["encoder.layer.0.output.dense.weight.act_mean"]?.dtype == .f64)
        #expect(file.tensors["encoder.layer.0.output.dense.weight.hessian"]?.shape == [32, 32])
        #expect(file.tensors["encoder.layer.0.output.dense.weight.tokens"]?.dtype == .i64)
        let read = try CalibrationSet(checkpoint: file, layers: architecture.linearLayers)
        #expect(read.order == architecture.linearLayers.map(\.name))
        #expect(read.layers == set.layers)

        file.tensors["encoder.layer.0.attention.self.key.weight.hessian"] = try Tensor(shape: [8, 8], floats: .init(repeating: 0, count: 64))
        #expect(throws: QZooError.self) { try CalibrationSet(checkpoint: file, layers: architecture.linearLayers) }
        var unknown = try set.checkpoint()
        try unknown.add("encoder.layer.9.output.dense.weight.tokens", try Tensor(dtype: .i64, shape: [], bytes: [1, 0, 0, 0, 0, 0, 0, 0]))
        #expect(throws: QZooError.self) { try CalibrationSet(checkpoint: unknown, layers: architecture.linearLayers) }
    }

    @Test func proxyLossIsZeroForIdenticalWeightsAndMatchesADirectComputation() throws {
        let w: [Float] = [1, 2, 0, -1, 3, 1]
        let q: [Float] = [1, 2.5, 0, -1, 3, 0]
        let h: [Double] = [2, 1, 0, 1, 2, 0, 0, 0, 1]
        #expect(try ProxyLoss.relative(reference: w, candidate: w, hessian: h, outFeatures: 2, inFeatures: 3) == 0)
        // tr(ΔW H ΔWᵀ) sums wᵢ H wᵢᵀ over rows: ΔW rows [0, .5, 0] and [0, 0, −1] give .5 + 1;
        // W rows [1, 2, 0] and [−1, 3, 1] give (2 + 4 + 8) + (2 − 6 + 18 + 1) = 29.
        #expect(abs(try ProxyLoss.relative(reference: w, candidate: q, hessian: h, outFeatures: 2, inFeatures: 3) - 1.5 / 29) < 1e-15)
    }
}
