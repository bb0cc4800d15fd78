import QZooCore

/// The hyper-parameters of a BERT encoder, from a Hugging Face `config.json`.
///
/// Only what the forward pass depends on is read; every field is range-checked here so that
/// later code can size buffers from it without further checks.
public struct BertConfig: Sendable, Equatable {
    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var intermediateSize: Int
    public var vocabSize: Int
    public var maxPositions: Int
    public var typeVocabSize: Int
    public var layerNormEpsilon: Double

    /// Dimensions beyond this are rejected: far above any BERT, and small enough that every
    /// product of two of them fits BLAS's 32-bit sizes.
    public static let dimensionLimit = 1 << 15

    public init(hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int, vocabSize: Int,
                maxPositions: Int, typeVocabSize: Int, layerNormEpsilon: Double) throws {
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.intermediateSize = intermediateSize
        self.vocabSize = vocabSize
        self.maxPositions = maxPositions
        self.typeVocabSize = typeVocabSize
        self.layerNormEpsilon = layerNormEpsilon
        try validate()
    }

    /// Reads `config.json` at `path`.
    public static func load(path: String) throws -> BertConfig {
        do {
            let storage = try ByteStorage.map(path: path)
            return try BertConfig(json: try JSONParser.parse(storage.buffer))
        } catch let error as QZooError {
            throw error.inFile(path)
        }
    }

    public init(json: JSONValue) throws {
        guard json.objectMembers != nil else { throw QZooError.malformed("config must be a JSON object") }
        if let type = json["model_type"]?.stringValue, type != "bert" {
            throw QZooError.unsupported("model_type '\(type)' is not supported; qzoo runs BERT encoders (model_type \"bert\")")
        }
        if let act = json["hidden_act"], act.stringValue != "gelu" {
            throw QZooError.unsupported("hidden_act \(JSONWriter.serialize(act)) is not supported; qzoo implements the exact erf GELU (\"gelu\")")
        }
        if let kind = json["position_embedding_type"], kind.stringValue != "absolute" {
            throw QZooError.unsupported("position_embedding_type \(JSONWriter.serialize(kind)) is not supported; only \"absolute\"")
        }
        try self.init(
            hiddenSize: try Self.integer(json, "hidden_size"),
            layerCount: try Self.integer(json, "num_hidden_layers"),
            headCount: try Self.integer(json, "num_attention_heads"),
            intermediateSize: try Self.integer(json, "intermediate_size"),
            vocabSize: try Self.integer(json, "vocab_size"),
            maxPositions: try Self.integer(json, "max_position_embeddings"),
            typeVocabSize: try Self.integer(json, "type_vocab_size", default: 2),
            layerNormEpsilon: try Self.number(json, "layer_norm_eps", default: 1e-12))
    }

    public var headSize: Int { hiddenSize / headCount }

    func validate() throws {
        let dimensions = [("hidden_size", hiddenSize), ("num_hidden_layers", layerCount), ("num_attention_heads", headCount),
                          ("intermediate_size", intermediateSize), ("max_position_embeddings", maxPositions),
                          ("type_vocab_size", typeVocabSize)]
        for (key, value) in dimensions where value < 1 || value > Self.dimensionLimit {
            throw QZooError.malformed("\(key) is \(value); expected 1...\(Self.dimensionLimit)")
        }
        guard vocabSize >= 1, vocabSize <= 1 << 22 else {
            throw QZooError.malformed("vocab_size is \(vocabSize); expected 1...\(1 << 22)")
        }
        guard hiddenSize % headCount == 0 else {
            throw QZooError.malformed("hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount)")
        }
        guard layerNormEpsilon.isFinite, layerNormEpsilon > 0 else {
            throw QZooError.malformed("layer_norm_eps is \(layerNormEpsilon); expected a positive number")
        }
    }

    static func integer(_ json: JSONValue, _ key: String, default fallback: Int? = nil) throws -> Int {
        guard let value = json[key] else {
            if let fallback { return fallback }
            throw QZooError.malformed("missing \"\(key)\"")
        }
        guard let number = value.intValue else {
            throw QZooError.malformed("\"\(key)\" must be an integer, found \(JSONWriter.serialize(value))")
        }
        return number
    }

    static func number(_ json: JSONValue, _ key: String, default fallback: Double) throws -> Double {
        guard let value = json[key] else { return fallback }
        guard let number = value.doubleValue else {
            throw QZooError.malformed("\"\(key)\" must be a number, found \(JSONWriter.serialize(value))")
        }
        return number
    }
}
