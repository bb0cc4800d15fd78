import Testing
import QZooCore
@testable import QZooModels

@Suite struct TokenizerTests {
    static let tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "hello", "world", "!", ",",
                         "cafe", "我", "是", "i", "##stanbul", "a", "##b", "."]

    func tokenizer(lowercase: Bool = true) throws -> WordPieceTokenizer {
        let text = Array((Self.tokens.joined(separator: "\r\n") + "\r\n").utf8)
        let vocabulary = try text.withUnsafeBytes { try WordPieceVocabulary.parseVocabText($0) }
        return try WordPieceTokenizer.fromVocabulary(vocabulary, lowercase: lowercase)
    }

    func ids(_ words: [String]) -> [Int32] { words.map { Int32(Self.tokens.firstIndex(of: $0) ?? -1) } }

    @Test func greedyLongestMatchWithContinuationPieces() throws {
        #expect(try tokenizer().tokenize("unaffable") == ids(["un", "##aff", "##able"]))
        #expect(try tokenizer().tokenize("unaffablex") == ids(["[UNK]"]))
    }

    @Test func normalizesCaseAccentsWhitespaceAndControls() throws {
        #expect(try tokenizer().tokenize("Hello,\tWORLD!") == ids(["hello", ",", "world", "!"]))
        #expect(try tokenizer().tokenize("Café\u{200B}\u{0}") == ids(["cafe"]))
        #expect(try tokenizer().tokenize("Cafe\u{0301}") == ids(["cafe"]))
        #expect(try tokenizer(lowercase: false).tokenize("Hello") == ids(["[UNK]"]))
    }

    @Test func splitsPunctuationAndCJKIdeographs() throws {
        #expect(try tokenizer().tokenize("hello.world") == ids(["hello", ".", "world"]))
        #expect(try tokenizer().tokenize("我是hello") == ids(["我", "是", "hello"]))
    }

    /// Accent stripping runs before lower-casing: İ decomposes to I + a combining dot, which is
    /// stripped. Without stripping, lower-casing İ gives "i" + the combining dot, which then
    /// matches nothing (Hugging Face gives the same).
    @Test func lowercasesAfterStrippingAccents() throws {
        #expect(try tokenizer().tokenize("İstanbul") == ids(["i", "##stanbul"]))
        var keepAccents = try tokenizer()
        keepAccents.normalizer = BertNormalizer(stripAccents: false, lowercase: true)
        #expect(keepAccents.tokenize("Istanbul") == ids(["i", "##stanbul"]))
        #expect(keepAccents.tokenize("İstanbul") == ids(["[UNK]"]))
    }

    @Test func matchesSpecialTokensInRawText() throws {
        #expect(try tokenizer().tokenize("hello [MASK]world") == ids(["hello", "[MASK]", "world"]))
        #expect(try tokenizer().tokenize("[mask]") == ids(["[UNK]", "[UNK]", "[UNK]"]))
    }

    @Test func longWordsAreUnknownAndTruncationKeepsSpecialTokens() throws {
        let word100 = "a" + String(repeating: "b", count: 99), word101 = word100 + "b"
        #expect(try tokenizer().tokenize(word100).count == 100)
        #expect(try tokenizer().tokenize(word101) == ids(["[UNK]"]))
        #expect(try tokenizer().encode("hello world hello world", maxLength: 4) == ids(["[CLS]", "hello", "world", "[SEP]"]))
        #expect(try tokenizer().encode("", maxLength: 8) == ids(["[CLS]", "[SEP]"]))
    }
}
