/// The character classes of Hugging Face's BERT normalizer and pre-tokenizer.
///
/// `tokenizers` takes control, punctuation and non-spacing-mark categories from the
/// `unicode_categories` 0.1.1 crate, whose tables are Unicode 8.0; whitespace and lower-casing
/// come from Rust's standard library (current Unicode). To produce the same ids, a category
/// test here counts only scalars that already existed in Unicode 8.0 (their categories in
/// these three classes changed since only for the few scalars listed in `unicode8Changes`), and
/// whitespace uses the current property. Checked against the crate's tables for every scalar.
enum BertCharacterClasses {
    /// Removed by text cleaning: NUL, U+FFFD, and Cc/Cf/Co except tab, newline, return.
    static func isRemovedControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        // ASCII (most text) answers without a property lookup: its Cc are 0–31 and 127.
        if scalar.isASCII { return scalar.value < 0x20 || scalar.value == 0x7F }
        if scalar.value == 0xFFFD { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .privateUse: return isInUnicode8(scalar)
        default: return false
        }
    }

    /// Whitespace (Unicode White_Space), which text cleaning turns into a space.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII ? scalar == " " || (0x09...0x0D).contains(scalar.value) : scalar.properties.isWhitespace
    }

    /// ASCII punctuation, or a Unicode punctuation category (Pc Pd Pe Pf Pi Po Ps).
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let v = scalar.value
            return (0x21...0x2F).contains(v) || (0x3A...0x40).contains(v) || (0x5B...0x60).contains(v) || (0x7B...0x7E).contains(v)
        }
        if let changed = unicode8Changes[scalar.value] { return changed == .punctuation }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .closePunctuation, .finalPunctuation,
             .initialPunctuation, .otherPunctuation, .openPunctuation:
            return isInUnicode8(scalar)
        default: return false
        }
    }

    /// A non-spacing mark (Mn), which accent stripping removes after NFD.
    static func isNonspacingMark(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return false }
        if let changed = unicode8Changes[scalar.value] { return changed == .nonspacingMark }
        return scalar.properties.generalCategory == .nonspacingMark && isInUnicode8(scalar)
    }

    /// The CJK ideograph blocks that the normalizer surrounds with spaces.
    static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }

    enum Unicode8Class { case punctuation, nonspacingMark, other }

    /// Scalars whose class in Unicode 8.0 differs from their current general category.
    static let unicode8Changes: [UInt32: Unicode8Class] = [
        0x166D: .punctuation, 0x111C9: .punctuation, 0x1734: .nonspacingMark, 0x1171E: .nonspacingMark,
        0x1885: .other, 0x1886: .other, 0xA9BD: .other,
    ]

    /// Whether the scalar was assigned in Unicode 8.0 or earlier (private-use code points
    /// count as assigned: they have been since Unicode 1.1/2.0).
    static func isInUnicode8(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.properties.generalCategory == .privateUse { return true }
        guard let age = scalar.properties.age else { return false }
        return age.major < 8 || (age.major == 8 && age.minor == 0)
    }
}
