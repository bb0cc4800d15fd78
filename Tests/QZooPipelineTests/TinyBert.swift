import QZooCore
import QZooFormats
import QZooModels
import QZooTestSupport

/// A runnable tiny BERT folder (config.json, a character-level vocab.txt, seeded weights plus a
/// pooler) and a few sentences of text, for stages that run the model.
enum TinyBert {
    static let symbols = Array("abcdefghijklmnopqrstuvwxyz0123456789.,'").map(String.init)
    static let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + symbols + symbols.map { "##" + $0 }

    static func model(in directory: String, seed: UInt64 = 5) throws -> String {
        let path = directory + "/bert"
        try Directories.make(path)
        let config = try BertConfig(hiddenSize: 16, layerCount: 2, headCount: 2, intermediateSize: 32,
                                    vocabSize: vocabulary.count, maxPositions: 64, typeVocabSize: 2, layerNormEpsilon: 1e-12)
        var random = SplitMix64(seed: seed)
        var checkpoint = Checkpoint()
        let shapes = BertArchitecture(config: config).requiredTensors + [("pooler.dense.weight", [16, 16]), ("pooler.dense.bias", [16])]
        for (name, shape) in shapes {
            let gamma = name.hasSuffix("LayerNorm.weight")
            let values = (0 ..< shape.reduce(1, *)).map { _ in Float(random.unit() - 0.5) * (gamma ? 0.2 : 1) + (gamma ? 1 : 0) }
            try checkpoint.add(name, try Tensor(shape: shape, floats: values))
        }
        try CheckpointIO.write(checkpoint, to: path + "/model.safetensors", format: .safetensors)
        try Fixtures.write("""
            {"model_type": "bert", "hidden_act": "gelu", "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
             "intermediate_size": 32, "vocab_size": \(vocabulary.count), "max_position_embeddings": 64, "type_vocab_size": 2}
            """, to: path + "/config.json")
        try Fixtures.write(vocabulary.joined(separator: "\n") + "\n", to: path + "/vocab.txt")
        return path
    }

    /// A sentence embedder of the model folder `model` running `checkpoint` (dense), with the
    /// calibrate stages' max length and batch size.
    static func embedder(_ checkpoint: Checkpoint, model: String) throws -> SentenceEmbedder {
        let config = try BertConfig.load(path: model + "/config.json")
        let encoder = try BertEncoder(architecture: try BertArchitecture(config: config, checkpoint: checkpoint), checkpoint: checkpoint)
        return try SentenceEmbedder(tokenizer: try WordPieceTokenizer.load(directory: model), encoder: encoder, maxLength: 16, batchSize: 8)
    }

    /// The lines of the text file `path`.
    static func lines(_ path: String) throws -> [String] {
        try ByteStorage.map(path: path).withBuffer { TextLines.parse($0) }
    }

    /// Twenty seeded lines of pseudo-words.
    static func text(in directory: String, seed: UInt64 = 9) throws -> String {
        var random = SplitMix64(seed: seed)
        let lines = (0..<20).map { _ in
            (0 ..< 3 + Int(random.next() % 6)).map { _ in
                String((0 ..< 2 + Int(random.next() % 6)).map { _ in Character(symbols[Int(random.next() % 26)]) })
            }.joined(separator: " ")
        }
        let path = directory + "/calibration.txt"
        try Fixtures.write(lines.joined(separator: "\n") + "\n", to: path)
        return path
    }
}
