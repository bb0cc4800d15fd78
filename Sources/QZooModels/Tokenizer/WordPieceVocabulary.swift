import QZooCore

/// A WordPiece vocabulary: token text → id, keyed by UTF-8 bytes.
///
/// Bytes, not `String`, because Swift compares strings by canonical equivalence: "é" and
/// "e\u{301}" would be one key, while the reference tokenizer treats them as different tokens.
public struct WordPieceVocabulary: Sendable {
    private var ids: [TokenBytes: Int32] = [:]
    public private(set) var count = 0

    /// A token's UTF-8 bytes as a key hashed in one call (`[UInt8]` feeds the hasher one byte
    /// at a time, which made loading a 30k-token vocabulary and tokenizing a corpus slow).
    private struct TokenBytes: Hashable {
        let bytes: [UInt8]

        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    public init() {}

    /// Room for `count` tokens, so loading a vocabulary of known size never rehashes.
    public mutating func reserveCapacity(_ count: Int) {
        ids.reserveCapacity(count)
    }

    /// Adds `token` with `id`; a repeated token keeps the later id, as Hugging Face does.
    public mutating func insert(_ token: String, id: Int32) {
        ids[TokenBytes(bytes: Array(token.utf8))] = id
        count = ids.count
    }

    public func id(_ token: String) -> Int32? { ids[TokenBytes(bytes: Array(token.utf8))] }

    public func id(utf8 bytes: [UInt8]) -> Int32? { ids[TokenBytes(bytes: bytes)] }

    /// The largest id plus one (ids need not be dense).
    public var idLimit: Int { Int(ids.values.max() ?? -1) + 1 }

    /// Reads `vocab.txt`: one token per line, id = line number; trailing whitespace trimmed.
    public static func parseVocabText(_ bytes: UnsafeRawBufferPointer) throws -> WordPieceVocabulary {
        var vocabulary = WordPieceVocabulary()
        let lines = TextLines.splitLines(bytes)
        vocabulary.reserveCapacity(lines.count)
        guard lines.count <= Int(Int32.max) else {
            throw QZooError(.limitExceeded, "vocabulary has \(lines.count) lines; ids are limited to 32 bits")
        }
        for (index, line) in lines.enumerated() {
            let trimmed = String(String.UnicodeScalarView(line.unicodeScalars.reversed().drop { $0.properties.isWhitespace }.reversed()))
            vocabulary.insert(trimmed, id: Int32(clamping: index))
        }
        return vocabulary
    }

    /// Reads the `model.vocab` object of a `tokenizer.json` (token → non-negative 32-bit id).
    public static func parseJSON(_ vocab: JSONValue) throws -> WordPieceVocabulary {
        guard let members = vocab.objectMembers else {
            throw QZooError.malformed("model.vocab must be an object of token → id, found \(vocab.kindName)")
        }
        var vocabulary = WordPieceVocabulary()
        vocabulary.reserveCapacity(members.count)
        for (token, value) in members {
            guard let id = value.intValue, let narrow = Int32(exactly: id), narrow >= 0 else {
                throw QZooError.malformed("model.vocab[\(JSONWriter.serialize(.string(token)))] must be a non-negative 32-bit integer")
            }
            vocabulary.insert(token, id: narrow)
        }
        return vocabulary
    }
}
