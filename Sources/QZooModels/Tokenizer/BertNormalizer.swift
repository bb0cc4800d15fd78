import Foundation

/// Hugging Face's `BertNormalizer`: clean text, space out CJK ideographs, strip accents
/// (NFD, then drop non-spacing marks), lower-case, in that order.
public struct BertNormalizer: Sendable, Equatable {
    public var cleanText = true
    public var handleChineseCharacters = true
    public var stripAccents = true
    public var lowercase = true

    public init(cleanText: Bool = true, handleChineseCharacters: Bool = true, stripAccents: Bool = true, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseCharacters = handleChineseCharacters
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    public func normalize<S: Sequence>(_ text: S) -> [Unicode.Scalar] where S.Element == Unicode.Scalar {
        var scalars: [Unicode.Scalar] = []
        for scalar in text {
            if cleanText {
                if BertCharacterClasses.isRemovedControl(scalar) { continue }
                if BertCharacterClasses.isWhitespace(scalar) || scalar == "\t" || scalar == "\n" || scalar == "\r" {
                    scalars.append(" ")
                    continue
                }
            }
            if handleChineseCharacters && BertCharacterClasses.isChineseCharacter(scalar) {
                scalars += [" ", scalar, " "]
            } else {
                scalars.append(scalar)
            }
        }
        // ASCII text (most of it) is its own NFD, has no marks, and lower-cases A–Z alone.
        let ascii = scalars.allSatisfy(\.isASCII)
        if stripAccents && !ascii {
            let decomposed = String(String.UnicodeScalarView(scalars)).decomposedStringWithCanonicalMapping
            scalars = decomposed.unicodeScalars.filter { !BertCharacterClasses.isNonspacingMark($0) }
        }
        if lowercase {
            scalars = ascii ? scalars.map { ("A"..."Z").contains($0) ? Unicode.Scalar($0.value + 32) ?? $0 : $0 }
                : scalars.flatMap { $0.properties.lowercaseMapping.unicodeScalars }
        }
        return scalars
    }
}

/// Hugging Face's `BertPreTokenizer`: split on whitespace (dropped), then split off every
/// punctuation character as a word of its own.
public enum BertPreTokenizer {
    public static func words(_ scalars: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var words: [ArraySlice<Unicode.Scalar>] = []
        var start = scalars.startIndex
        for index in scalars.indices {
            let scalar = scalars[index]
            if BertCharacterClasses.isWhitespace(scalar) {
                if start < index { words.append(scalars[start..<index]) }
                start = index + 1
            } else if BertCharacterClasses.isPunctuation(scalar) {
                if start < index { words.append(scalars[start..<index]) }
                words.append(scalars[index...index])
                start = index + 1
            }
        }
        if start < scalars.endIndex { words.append(scalars[start...]) }
        return words
    }
}
