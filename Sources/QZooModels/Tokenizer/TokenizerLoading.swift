import Foundation
import QZooCore

extension WordPieceTokenizer {
    /// The tokenizer of the model directory `directory`: `tokenizer.json` when present (the
    /// exact configuration), otherwise `vocab.txt` with BERT's uncased defaults
    /// (`tokenizer_config.json`'s `do_lower_case: false` switches lower-casing and accent
    /// stripping off).
    public static func load(directory: String) throws -> WordPieceTokenizer {
        let json = directory + "/tokenizer.json"
        if let storage = try mapIfPresent(json) {
            do { return try fromTokenizerJSON(try JSONParser.parse(storage.buffer)) } catch let error as QZooError {
                throw error.inFile(json)
            }
        }
        let vocabPath = directory + "/vocab.txt"
        guard let vocabFile = try mapIfPresent(vocabPath) else {
            throw QZooError.io("no tokenizer.json or vocab.txt in the model directory", file: directory)
        }
        var lowercase = true
        let configPath = directory + "/tokenizer_config.json"
        if let configFile = try mapIfPresent(configPath) {
            do { lowercase = try JSONParser.parse(configFile.buffer)["do_lower_case"]?.boolValue ?? true } catch let error as QZooError {
                throw error.inFile(configPath)
            }
        }
        do { return try fromVocabulary(try WordPieceVocabulary.parseVocabText(vocabFile.buffer), lowercase: lowercase) } catch let error as QZooError {
            throw error.inFile(vocabPath)
        }
    }

    /// BERT defaults over a plain vocabulary: `[UNK]`, `[CLS]`, `[SEP]` must be in it.
    public static func fromVocabulary(_ vocabulary: WordPieceVocabulary, lowercase: Bool) throws -> WordPieceTokenizer {
        let names = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        let specials = names.compactMap { name in vocabulary.id(name).map { (text: Array(name.unicodeScalars), id: $0) } }
        return WordPieceTokenizer(
            vocabulary: vocabulary,
            normalizer: BertNormalizer(stripAccents: lowercase, lowercase: lowercase),
            unknownID: try required(vocabulary, "[UNK]"), classifierID: try required(vocabulary, "[CLS]"),
            separatorID: try required(vocabulary, "[SEP]"), specialTokens: specials)
    }

    /// A `tokenizer.json` with a BertNormalizer, BertPreTokenizer and WordPiece model.
    public static func fromTokenizerJSON(_ json: JSONValue) throws -> WordPieceTokenizer {
        guard let model = json["model"], model["type"]?.stringValue == "WordPiece", let vocabJSON = model["vocab"] else {
            throw QZooError.unsupported("model.type must be \"WordPiece\" with a vocab; qzoo runs BERT tokenizers only")
        }
        if let pre = json["pre_tokenizer"], pre != .null, pre["type"]?.stringValue != "BertPreTokenizer" {
            throw QZooError.unsupported("pre_tokenizer \(JSONWriter.serialize(pre["type"] ?? .null)) is not supported; expected BertPreTokenizer")
        }
        let vocabulary = try WordPieceVocabulary.parseJSON(vocabJSON)
        let unknown = model["unk_token"]?.stringValue ?? "[UNK]"
        let (cls, sep) = try specialPair(json["post_processor"])
        return WordPieceTokenizer(
            vocabulary: vocabulary, normalizer: try normalizer(json["normalizer"]),
            unknownID: try required(vocabulary, unknown), classifierID: try required(vocabulary, cls),
            separatorID: try required(vocabulary, sep),
            continuingPrefix: model["continuing_subword_prefix"]?.stringValue ?? "##",
            maxInputCharactersPerWord: model["max_input_chars_per_word"]?.intValue ?? 100,
            specialTokens: try addedTokens(json["added_tokens"]))
    }

    static func normalizer(_ json: JSONValue?) throws -> BertNormalizer {
        guard let json, json != .null else { return BertNormalizer(cleanText: false, handleChineseCharacters: false, stripAccents: false, lowercase: false) }
        guard json["type"]?.stringValue == "BertNormalizer" else {
            throw QZooError.unsupported("normalizer \(JSONWriter.serialize(json["type"] ?? .null)) is not supported; expected BertNormalizer")
        }
        let lowercase = json["lowercase"]?.boolValue ?? true
        return BertNormalizer(
            cleanText: json["clean_text"]?.boolValue ?? true,
            handleChineseCharacters: json["handle_chinese_chars"]?.boolValue ?? true,
            stripAccents: json["strip_accents"]?.boolValue ?? lowercase, lowercase: lowercase)
    }

    /// The classifier and separator tokens of a BertProcessing or single-sequence
    /// TemplateProcessing post-processor (`[CLS]`/`[SEP]` when there is none).
    static func specialPair(_ json: JSONValue?) throws -> (String, String) {
        guard let json, json != .null else { return ("[CLS]", "[SEP]") }
        switch json["type"]?.stringValue {
        case "BertProcessing":
            guard let cls = json["cls"]?.arrayValue?.first?.stringValue, let sep = json["sep"]?.arrayValue?.first?.stringValue else {
                throw QZooError.malformed("post_processor BertProcessing needs cls and sep")
            }
            return (cls, sep)
        case "TemplateProcessing":
            let single = json["single"]?.arrayValue ?? []
            let specials = single.compactMap { $0["SpecialToken"]?["id"]?.stringValue }
            guard single.count == 3, specials.count == 2, single[1]["Sequence"] != nil else {
                throw QZooError.unsupported("post_processor template must be [special] $A [special]")
            }
            return (specials[0], specials[1])
        default:
            throw QZooError.unsupported("post_processor \(JSONWriter.serialize(json["type"] ?? .null)) is not supported")
        }
    }

    static func addedTokens(_ json: JSONValue?) throws -> [(text: [Unicode.Scalar], id: Int32)] {
        guard let json, json != .null else { return [] }
        guard let items = json.arrayValue else { throw QZooError.malformed("added_tokens must be an array") }
        return try items.map { item in
            guard let content = item["content"]?.stringValue, let id = item["id"]?.intValue, let narrow = Int32(exactly: id), narrow >= 0 else {
                throw QZooError.malformed("every added token needs a string content and a non-negative 32-bit id")
            }
            guard item["normalized"]?.boolValue != true, item["single_word"]?.boolValue != true,
                  item["lstrip"]?.boolValue != true, item["rstrip"]?.boolValue != true else {
                throw QZooError.unsupported("added token \(JSONWriter.serialize(.string(content))) uses normalized/single_word/lstrip/rstrip matching, which qzoo does not implement")
            }
            return (Array(content.unicodeScalars), narrow)
        }
    }

    static func required(_ vocabulary: WordPieceVocabulary, _ token: String) throws -> Int32 {
        guard let id = vocabulary.id(token) else { throw QZooError.malformed("the vocabulary has no \(token) token") }
        return id
    }

    /// The file mapped, or nil when it does not exist (other failures are errors).
    static func mapIfPresent(_ path: String) throws -> ByteStorage? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try ByteStorage.map(path: path)
    }
}
