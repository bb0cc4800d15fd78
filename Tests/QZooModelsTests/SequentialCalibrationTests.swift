import Testing
import QZooCore
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

    /// Layer-by-layer statistics (kept hidden states) must be exactly those of a full forward
    /// pass of the model with the earlier layers already replaced — what the reference measures.
    @Test func eachLayerSeesExactlyAFullForwardOfThePartlyQuantizedModel() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let model = RunnableBert(architecture: architecture, tokenizer: try tokenizer())
        let run = CalibrationRun(texts: ["a cab fed", "hide the jade bead", "be", "ache bid gag cede", "dig a deep hedge"],
                                 maxLength: 8, batchSize: 2)
        var current = checkpoint
        var seen: [Int] = []
        let targets = Set(architecture.linearLayers.map(\.name))
        try SequentialCalibration(model: model, run: run).run(checkpoint, targets: targets) { layer, count, names, statistics in
            seen.append(layer)
            #expect(count == architecture.config.layerCount)
            let reference = try model.calibrate(current, on: run)
            for name in names {
                #expect(statistics.layers[name]?.hessian == reference.layers[name]?.hessian, "\(name)")
                #expect(statistics.layers[name]?.tokens == reference.layers[name]?.tokens)
            }
            var replacements: [String: Tensor] = [:]
            for name in names {
                let coarse = (current.tensors[name]?.floats() ?? []).map { ($0 * 4).rounded() / 4 }
                replacements[name] = try Tensor(shape: current.tensors[name]?.shape ?? [], floats: coarse)
            }
            for (name, tensor) in replacements { current.tensors[name] = tensor }
            return replacements
        }
        #expect(seen == Array(0..<architecture.config.layerCount))
        let last = try model.calibrate(current, on: run)
        let first = try model.calibrate(checkpoint, on: run)
        let name = architecture.layerLinears(1)[0].name
        #expect(last.layers[name]?.hessian != first.layers[name]?.hessian, "replacing layer 0 changes what layer 1 sees")
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
