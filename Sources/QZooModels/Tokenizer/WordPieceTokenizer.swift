import QZooCore

/// The BERT tokenizer: special tokens matched in the raw text, `BertNormalizer`,
/// `BertPreTokenizer`, greedy longest-match WordPiece, then `[CLS] … [SEP]` with truncation.
///
/// Produces the ids of Hugging Face `tokenizers` for the same `tokenizer.json` (tested on
/// thousands of sentences by the interop suite).
public struct WordPieceTokenizer: Sendable {
    public var vocabulary: WordPieceVocabulary
    public var normalizer: BertNormalizer
    public var unknownID: Int32
    public var classifierID: Int32
    public var separatorID: Int32
    public var continuingPrefix: String
    public var maxInputCharactersPerWord: Int
    /// Tokens matched verbatim in the input before normalisation (`[CLS]`, `[MASK]`, ...).
    public var specialTokens: [(text: [Unicode.Scalar], id: Int32)]

    public init(vocabulary: WordPieceVocabulary, normalizer: BertNormalizer, unknownID: Int32, classifierID: Int32,
                separatorID: Int32, continuingPrefix: String = "##", maxInputCharactersPerWord: Int = 100,
                specialTokens: [(text: [Unicode.Scalar], id: Int32)]) {
        self.vocabulary = vocabulary
        self.normalizer = normalizer
        self.unknownID = unknownID
        self.classifierID = classifierID
        self.separatorID = separatorID
        self.continuingPrefix = continuingPrefix
        self.maxInputCharactersPerWord = maxInputCharactersPerWord
        self.specialTokens = specialTokens.sorted { $0.text.count > $1.text.count }
    }

    /// `[CLS] tokens [SEP]`, keeping the first `maxLength − 2` tokens of a longer text.
    public func encode(_ text: String, maxLength: Int) -> [Int32] {
        let body = tokenize(text)
        return [classifierID] + body.prefix(max(maxLength - 2, 0)) + [separatorID]
    }

    /// The ids of `text` without special tokens around it or truncation.
    public func tokenize(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        let scalars = Array(text.unicodeScalars)
        var segmentStart = 0
        var index = 0
        while index < scalars.count {
            if let special = specialTokens.first(where: { matches($0.text, in: scalars, at: index) }) {
                ids += tokenizeSegment(scalars[segmentStart..<index])
                ids.append(special.id)
                index += special.text.count
                segmentStart = index
            } else {
                index += 1
            }
        }
        return ids + tokenizeSegment(scalars[segmentStart...])
    }

    func matches(_ token: [Unicode.Scalar], in scalars: [Unicode.Scalar], at index: Int) -> Bool {
        !token.isEmpty && scalars.count - index >= token.count && scalars[index..<index + token.count].elementsEqual(token)
    }

    func tokenizeSegment(_ segment: ArraySlice<Unicode.Scalar>) -> [Int32] {
        guard !segment.isEmpty else { return [] }
        return BertPreTokenizer.words(normalizer.normalize(segment)).flatMap { wordPieces($0) }
    }

    /// Greedy longest-match-first WordPiece; a word with an unmatchable remainder, or longer
    /// than `maxInputCharactersPerWord`, becomes one unknown token.
    func wordPieces(_ word: ArraySlice<Unicode.Scalar>) -> [Int32] {
        guard word.count <= maxInputCharactersPerWord else { return [unknownID] }
        let characters = word.map { scalar in scalar.isASCII ? [UInt8(scalar.value)] : Array(String(scalar).utf8) }
        let prefix = Array(continuingPrefix.utf8)
        var pieces: [Int32] = []
        var start = 0
        while start < characters.count {
            var end = characters.count
            var found: Int32?
            while start < end {
                var key = start > 0 ? prefix : []
                for bytes in characters[start..<end] { key += bytes }
                if let id = vocabulary.id(utf8: key) {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else { return [unknownID] }
            pieces.append(id)
            start = end
        }
        return pieces
    }
}
