import Testing
import QZooCore
import QZooMath
import QZooTestSupport
@testable import QZooModels

@Suite struct SequentialCalibrationTests {
    /// The synthetic model's 50-token vocabulary: specials, then single letters and pieces.
    func tokenizer() throws -> WordPieceTokenizer {
        let letters = Array("abcdefghijklmnopqrstuvwxyz").map(String.init)
        let tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + letters + letters.prefix(19).map { "##" + $0 }
        let text = Array((tokens.joined(separator: "\n") + "\n").utf8)
        return try WordPieceTokenizer.fromVocabulary(try text.withUnsafeBytes { try WordPieceVocabulary.parseVocabText($0) }, lowercase: true)
    }

    /// Site by site, the statistics must be those of a full forward pass of the model with every
    /// earlier site's weights already replaced (the attention output sees the quantized q, k, v),
    /// up to the order of the float32 sums (two batch lanes, added at the end), with float32 or
    /// bfloat16 linears alike.
    @Test(arguments: [false, true])
    func eachSiteSeesAFullForwardOfThePartlyQuantizedModel(bfloat16Linears: Bool) throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let model = RunnableBert(architecture: architecture, tokenizer: try tokenizer())
        let run = CalibrationRun(texts: ["a cab fed", "hide the jade bead", "be", "ache bid gag cede", "dig a deep hedge"],
                                 maxLength: 8, batchSize: 2)
        var current = checkpoint
        var seen: [[String]] = []
        let targets = Set(architecture.linearLayers.map(\.name))
        let precision: BertEncoder.Precision = bfloat16Linears ? .bfloat16Linears : .float32
        try SequentialCalibration(model: model, run: run, bfloat16Linears: bfloat16Linears).run(checkpoint, targets: targets) { layer, count, names, statistics in
            seen.append(names)
            #expect(count == architecture.config.layerCount)
            let reference = try model.calibrate(current, on: run, precision: precision, bfloat16Gram: true)
            for name in names {
                let mine = try #require(statistics.layers[name]), theirs = try #require(reference.layers[name])
                #expect(mine.tokens == theirs.tokens)
                let scale = theirs.hessian.map(abs).max() ?? 0
                #expect(zip(mine.hessian, theirs.hessian).allSatisfy { abs($0 - $1) <= 1e-6 * scale }, "\(name)")
            }
            var replacements: [String: Tensor] = [:]
            for name in names {
                let coarse = (current.tensors[name]?.floats() ?? []).map { ($0 * 4).rounded() / 4 }
                replacements[name] = try Tensor(shape: current.tensors[name]?.shape ?? [], floats: coarse)
            }
            for (name, tensor) in replacements { current.tensors[name] = tensor }
            return replacements
        }
        #expect(seen == architecture.scaleGroups.map(\.consumers))
        let last = try model.calibrate(current, on: run)
        let first = try model.calibrate(checkpoint, on: run)
        for name in [architecture.layerLinears(0)[3].name, architecture.layerLinears(1)[0].name] {
            #expect(last.layers[name]?.hessian != first.layers[name]?.hessian, "replacing earlier sites changes what \(name) sees")
        }
    }

    /// Only the weights asked for are replaced, and layers after the last target are not run.
    @Test func untargetedSitesKeepTheirWeights() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let model = RunnableBert(architecture: architecture, tokenizer: try tokenizer())
        let run = CalibrationRun(texts: ["a cab fed", "hide the jade bead"], maxLength: 8, batchSize: 1)
        let target = architecture.layerLinears(0)[4].name
        var calls: [[String]] = []
        try SequentialCalibration(model: model, run: run).run(checkpoint, targets: [target]) { _, _, names, statistics in
            calls.append(names)
            #expect(statistics.layers.keys.sorted() == [target])
            return [:]
        }
        #expect(calls == [[target]])
    }

    /// Asymmetric: every site also carries the float model's input on the same tokens. Its mean is
    /// the float model's (whatever was replaced before), and until a weight is replaced the
    /// cross moment is the site's own Gram matrix; after coarse replacements it is not.
    @Test func asymmetricSitesCarryTheFloatModelsInput() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let model = RunnableBert(architecture: architecture, tokenizer: try tokenizer())
        let run = CalibrationRun(texts: ["a cab fed", "hide the jade bead", "be", "ache bid gag cede"], maxLength: 8, batchSize: 2)
        let float = try model.calibrate(checkpoint, on: run, precision: .bfloat16Linears)
        var sites = 0
        try SequentialCalibration(model: model, run: run, asymmetric: true, bfloat16Linears: true).run(checkpoint, targets: Set(architecture.linearLayers.map(\.name))) { _, _, names, statistics in
            for name in names {
                let layer = try #require(statistics.layers[name]), reference = try #require(layer.reference)
                let floatMean = try #require(float.layers[name]?.mean)
                #expect(zip(reference.mean, floatMean).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(name)")
                let scale = layer.hessian.map(abs).max() ?? 0
                let gap = zip(reference.cross, layer.hessian).map { abs($0 - $1) }.max() ?? 0
                #expect(sites == 0 ? gap <= 1e-6 * scale : gap > 1e-4 * scale, "\(name): cross moment vs Gram \(gap)")
            }
            sites += 1
            return try Dictionary(uniqueKeysWithValues: names.map { name in
                let tensor = try #require(checkpoint.tensors[name])
                return (name, try Tensor(shape: tensor.shape, floats: tensor.floats().map { ($0 * 4).rounded() / 4 }))
            })
        }
        #expect(sites == architecture.scaleGroups.count)
    }

    /// Batches summed in separate moments and merged give `X_floatᵀ X / n` of the bfloat16-rounded
    /// inputs, and the float mean; width 16 runs the kernel where the CPU has it, 3 the fallback.
    @Test(arguments: [3, 16])
    func crossMomentSumsTheProductOfBothInputs(_ width: Int) throws {
        var random = SplitMix64(seed: 5)
        let batches = [4, 2, 5].map { rows in
            ((0..<rows * width).map { _ in Float(random.unit() - 0.5) }, (0..<rows * width).map { _ in Float(random.unit() + 0.5) }, rows)
        }
        var (first, second) = (CrossMoment(width: width), CrossMoment(width: width))
        for (index, (reference, input, rows)) in batches.enumerated() {
            try reference.withUnsafeBufferPointer { r in
                let x = try input.withUnsafeBufferPointer { try BFloat16Product.pack($0, rows: rows, width: width) }
                if index == 1 { try second.add(reference: r, input: x) } else { try first.add(reference: r, input: x) }
            }
        }
        let (cross, mean) = CrossMoment.result(merging: [first, second])
        let references = batches.flatMap(\.0), inputs = batches.flatMap(\.1), tokens = 11
        for i in 0..<width * width {
            let direct = (0..<tokens).reduce(0.0) {
                $0 + Double(BFloat16Product.rounded(references[$1 * width + i / width])) * Double(BFloat16Product.rounded(inputs[$1 * width + i % width]))
            }
            #expect(abs(cross[i] - direct / Double(tokens)) < 1e-6)
        }
        for c in 0..<width {
            #expect(abs(mean[c] - (0..<tokens).reduce(0.0) { $0 + Double(references[$1 * width + c]) } / Double(tokens)) < 1e-12)
        }
        #expect(throws: QZooError.self) {
            try [Float](repeating: 0, count: 6).withUnsafeBufferPointer { try first.add(reference: $0, input: try BFloat16Product.pack($0, rows: 3, width: 2)) }
        }
    }

    /// Lanes take every batch once, in ascending order within a lane, and their token counts
    /// differ by at most one batch's (taking every other batch would give 17 tokens against 5
    /// here).
    /// FFN up's output kept only rounded to bfloat16 (measured as the kernel lands it) gives FFN
    /// down the same product: the same layer output, bit for bit; and its measurement the same
    /// statistics (Hessian, mean, tokens) as measuring the float32 activations.
    @Test func keepingTheFFNActivationsRoundedChangesNoBit() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let encoder = try BertEncoder(architecture: architecture, checkpoint: checkpoint, precision: .bfloat16Linears)
        #expect(encoder.keepsIntermediateRounded(layer: 0) == BFloat16Product.accelerated)
        guard BFloat16Product.accelerated else { return }
        let tokenizer = try tokenizer()
        let batch = TokenBatch(["hide the jade bead", "a cab fed", "be"].map { tokenizer.encode($0, maxLength: 8) })
        var (state, profile) = (LayerActivations(input: try encoder.embeddings(batch)), ForwardProfile())
        for site in [LayerSite.attentionInput, .attentionOutput] { try encoder.apply(site, layer: 0, &state, batch, profile: &profile) }
        var (plain, kept) = (state, state)
        try encoder.apply(.ffnInput, layer: 0, &plain, batch, profile: &profile)
        let group = LayerSite.ffnOutput.rawValue
        var fromFloats = CalibrationAccumulator(architecture: architecture, magnitudes: false, bfloat16Gram: true)
        var fromRounded = fromFloats
        try encoder.observe(.ffnOutput, layer: 0, plain, observer: &fromFloats)
        try encoder.applyIntermediateKeepingRounded(layer: 0, &kept, batch, profile: &profile) { rows, columns, product in
            #expect(rows == batch.tokenCount && columns == architecture.config.intermediateSize)
            try fromRounded.observeRounded(group: group, rows: rows, columns: columns, product)
        }
        #expect(kept.ffn.isEmpty && kept.ffnRounded?.rows == batch.tokenCount)
        let name = try #require(architecture.scaleGroups[group].consumers.first)
        let (expected, measured) = (try #require(fromFloats.result().layers[name]), try #require(fromRounded.result().layers[name]))
        #expect(measured.hessian.map(\.bitPattern) == expected.hessian.map(\.bitPattern))
        #expect(measured.mean?.map(\.bitPattern) == expected.mean?.map(\.bitPattern) && measured.tokens == expected.tokens)
        #expect(throws: QZooError.self) { var again = InputCapture(); try encoder.observe(.ffnOutput, layer: 0, kept, observer: &again) }
        try encoder.apply(.ffnOutput, layer: 0, &plain, batch, profile: &profile)
        try encoder.apply(.ffnOutput, layer: 0, &kept, batch, profile: &profile)
        #expect(kept.input.map(\.bitPattern) == plain.input.map(\.bitPattern))
        #expect(kept.ffnRounded == nil && !plain.input.isEmpty)
        var unmeasured = state
        #expect(throws: QZooError.self) { try encoder.applyIntermediateKeepingRounded(layer: 0, &unmeasured, batch, profile: &profile) { _, _, _ in } }
    }

    @Test func lanesBalanceTheirTokens() {
        let sizes = [7, 1, 5, 1, 3, 1, 2, 2]
        let batches = sizes.map { TokenBatch([[Int32]](repeating: [0], count: $0)) }
        let lanes = SequentialCalibration.lanes(balancing: batches)
        #expect(lanes.count == SequentialCalibration.laneCount)
        #expect(lanes.joined().sorted() == Array(sizes.indices))
        #expect(lanes.allSatisfy { $0 == $0.sorted() })
        let tokens = lanes.map { $0.reduce(0) { $0 + sizes[$1] } }
        #expect((tokens.max() ?? 0) - (tokens.min() ?? 0) <= sizes.max() ?? 0)
        #expect(tokens == [11, 11])
        #expect(SequentialCalibration.lanes(balancing: batches) == lanes)
    }

    @Test func targetsOutsideTheEncoderAreRefusedByName() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let driver = SequentialCalibration(model: RunnableBert(architecture: architecture, tokenizer: try tokenizer()),
                                           run: CalibrationRun(texts: ["a"], maxLength: 8, batchSize: 1))
        do {
            try driver.run(checkpoint, targets: ["pooler.dense.weight"]) { _, _, _, _ in [:] }
            Issue.record("the pooler was accepted")
        } catch let error as QZooError {
            #expect(error.tensor == "pooler.dense.weight")
        }
    }
}
