import Testing
import QZooCore
@testable import QZooModels

@Suite struct ArchitectureTests {
    @Test func listsSixLinearsPerLayerWithPyTorchShapes() throws {
        let architecture = BertArchitecture(config: try SyntheticBert.config(layers: 3))
        let linears = architecture.linearLayers
        #expect(linears.count == 18)
        #expect(linears[0].name == "encoder.layer.0.attention.self.query.weight")
        #expect(linears[5] == LinearLayer(name: "encoder.layer.0.output.dense.weight", biasName: "encoder.layer.0.output.dense.bias",
                                         inFeatures: 32, outFeatures: 16))
        #expect(linears[10].name == "encoder.layer.1.intermediate.dense.weight" && linears[10].outFeatures == 32)
    }

    @Test func scaleGroupsCoverEveryLinearOnceAndOnlyValueFolds() throws {
        let architecture = BertArchitecture(config: try SyntheticBert.config())
        let groups = architecture.scaleGroups
        #expect(groups.flatMap(\.consumers).sorted() == architecture.linearLayers.map(\.name).sorted())
        #expect(groups.filter(\.foldable).map(\.producer) == [
            .linear("encoder.layer.0.attention.self.value.weight"), .linear("encoder.layer.1.attention.self.value.weight"),
        ])
        #expect(groups[0].producer == .layerNorm("embeddings.LayerNorm"))
        #expect(groups[4].producer == .layerNorm("encoder.layer.0.output.LayerNorm"))
        #expect(groups[3].producer == .activation("gelu", after: "encoder.layer.0.intermediate.dense.weight"))
    }

    @Test func detectsTheBertPrefix() throws {
        let plain = BertArchitecture(config: try SyntheticBert.config())
        let prefixed = BertArchitecture(config: plain.config, prefix: "bert.")
        let checkpoint = try SyntheticBert.checkpoint(prefixed)
        let detected = try BertArchitecture(config: plain.config, checkpoint: checkpoint)
        #expect(detected.prefix == "bert.")
        #expect(detected.linearLayers[0].name == "bert.encoder.layer.0.attention.self.query.weight")
        try detected.validate(checkpoint)
    }

    @Test func validationNamesTheTensorWithTheWrongShape() throws {
        let (architecture, good) = try SyntheticBert.model()
        var bad = good
        bad.tensors["encoder.layer.1.intermediate.dense.weight"] = try Tensor(shape: [16, 32], floats: .init(repeating: 0, count: 512))
        #expect(throws: QZooError.self) { try architecture.validate(bad) }
        do { try architecture.validate(bad) } catch let error as QZooError {
            #expect(error.tensor == "encoder.layer.1.intermediate.dense.weight")
            #expect(error.message.contains("[32, 16]"))
        }
        var missing = good
        missing.tensors["encoder.layer.0.output.LayerNorm.bias"] = nil
        #expect(throws: QZooError.self) { try architecture.validate(missing) }
    }

    @Test func configRejectsUnsupportedOrInconsistentFiles() throws {
        let parse = { (text: String) in try BertConfig(json: try JSONParser.parse(Array(text.utf8))) }
        let base = #""hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536, "vocab_size": 30522, "max_position_embeddings": 512"#
        #expect(try parse("{\(base)}").headSize == 32)
        #expect(throws: QZooError.self) { try parse(#"{"hidden_size": 100, "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536, "vocab_size": 30522, "max_position_embeddings": 512}"#) }
        #expect(throws: QZooError.self) { try parse("{\(base), \"hidden_act\": \"relu\"}") }
        #expect(throws: QZooError.self) { try parse("{\(base), \"model_type\": \"roberta\"}") }
        #expect(throws: QZooError.self) { try parse(#"{"hidden_size": 384}"#) }
    }
}
