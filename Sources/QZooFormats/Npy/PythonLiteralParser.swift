import QZooCore

/// Parses the Python literal in a `.npy` header without evaluating anything.
///
/// The grammar is what numpy writers have ever produced plus what `ast.literal_eval` would need
/// to reject cleanly: strings in single or double quotes (escapes limited to `\\ \' \"`), signed
/// decimal integers (with Python 2's `L` suffix when `allowsLongSuffix`, as numpy accepts in v1
/// and v2 headers), `True`/`False`/`None`, tuples (`()`, `(5,)`, a parenthesised value), lists
/// and dicts. Nesting is capped so hostile input cannot exhaust the stack; the parser is linear
/// in the input size.
struct PythonLiteralParser {
    static let maxDepth = 32

    enum TextEncoding: Sendable { case latin1, utf8 }

    private let bytes: UnsafeRawBufferPointer
    private let encoding: TextEncoding
    private let allowsLongSuffix: Bool
    private var position = 0

    /// Parses one literal occupying all of `bytes` (surrounding whitespace allowed).
    static func parse(_ bytes: UnsafeRawBufferPointer, encoding: TextEncoding, allowsLongSuffix: Bool) throws -> PythonLiteral {
        var parser = PythonLiteralParser(bytes: bytes, encoding: encoding, allowsLongSuffix: allowsLongSuffix)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.failure("unexpected text after the literal") }
        return value
    }

    private init(bytes: UnsafeRawBufferPointer, encoding: TextEncoding, allowsLongSuffix: Bool) {
        self.bytes = bytes
        self.encoding = encoding
        self.allowsLongSuffix = allowsLongSuffix
    }

    private func failure(_ message: String) -> QZooError {
        QZooError.malformed("header is not a valid Python literal at byte \(position): \(message)")
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C {
            position += 1
        }
    }

    private mutating func parseValue(depth: Int) throws -> PythonLiteral {
        guard depth < Self.maxDepth else { throw failure("nesting deeper than \(Self.maxDepth) levels") }
        switch current {
        case UInt8(ascii: "{"): return try parseDict(depth: depth)
        case UInt8(ascii: "["): return .list(try parseSequence(close: UInt8(ascii: "]"), depth: depth).items)
        case UInt8(ascii: "("): return try parseParenthesised(depth: depth)
        case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "+"): return try parseInteger()
        case .some(let byte) where Self.isDigit(byte): return try parseInteger()
        case .some(let byte) where Self.isLetter(byte): return try parseKeyword()
        case .none: throw failure("unexpected end of header")
        default: throw failure("unexpected character")
        }
    }

    /// `(a, b)` and `(a,)` are tuples, `()` is the empty tuple, `(a)` is just `a` (as in Python).
    private mutating func parseParenthesised(depth: Int) throws -> PythonLiteral {
        let (items, sawComma) = try parseSequence(close: UInt8(ascii: ")"), depth: depth)
        if items.count == 1 && !sawComma { return items[0] }
        return .tuple(items)
    }

    /// Items between the opening bracket at `position` and `close`, and whether any comma appeared.
    private mutating func parseSequence(close: UInt8, depth: Int) throws -> (items: [PythonLiteral], sawComma: Bool) {
        position += 1
        var items: [PythonLiteral] = []
        var sawComma = false
        while true {
            skipWhitespace()
            if current == close { position += 1; return (items, sawComma) }
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                position += 1
                sawComma = true
            } else if current != close {
                throw failure("expected ',' or '\(Character(Unicode.Scalar(close)))'")
            }
        }
    }

    private mutating func parseDict(depth: Int) throws -> PythonLiteral {
        position += 1
        var members: [(key: PythonLiteral, value: PythonLiteral)] = []
        while true {
            skipWhitespace()
            if current == UInt8(ascii: "}") { position += 1; return .dict(members) }
            let key = try parseValue(depth: depth + 1)
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw failure("expected ':' after a dict key") }
            position += 1
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            guard !members.contains(where: { $0.key == key }) else { throw failure("duplicate dict key \(key.kindName)") }
            members.append((key, value))
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                position += 1
            } else if current != UInt8(ascii: "}") {
                throw failure("expected ',' or '}'")
            }
        }
    }

    private mutating func parseString() throws -> String {
        guard let quote = current else { throw failure("expected a string") }
        position += 1
        var content: [UInt8] = []
        while true {
            guard let byte = current, byte != 0x0A, byte != 0x0D else { throw failure("unterminated string") }
            position += 1
            if byte == quote { break }
            if byte == UInt8(ascii: "\\") {
                guard let escaped = current, escaped == UInt8(ascii: "\\") || escaped == UInt8(ascii: "'") || escaped == UInt8(ascii: "\"") else {
                    throw failure("unsupported escape sequence in a string")
                }
                position += 1
                content.append(escaped)
            } else {
                content.append(byte)
            }
        }
        switch encoding {
        case .latin1: return String(String.UnicodeScalarView(content.map { Unicode.Scalar($0) }))
        case .utf8: return String(decoding: content, as: UTF8.self)
        }
    }

    private mutating func parseInteger() throws -> PythonLiteral {
        let negative = current == UInt8(ascii: "-")
        if current == UInt8(ascii: "-") || current == UInt8(ascii: "+") { position += 1 }
        let start = position
        while let byte = current, Self.isDigit(byte) { position += 1 }
        let digits = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard !digits.isEmpty else { throw failure("expected digits") }
        guard digits == "0" || !digits.hasPrefix("0") else { throw failure("integer with a leading zero") }
        if let byte = current, byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            throw failure("only integer numbers are expected")
        }
        if allowsLongSuffix && current == UInt8(ascii: "L") { position += 1 }
        if let byte = current, Self.isLetter(byte) || byte == UInt8(ascii: "_") { throw failure("malformed integer") }
        let signed = (negative ? "-" : "") + digits
        if let value = Int(signed) { return .int(value) }
        return .hugeInt(signed.count > 40 ? String(signed.prefix(40)) + "…" : signed)
    }

    private mutating func parseKeyword() throws -> PythonLiteral {
        let start = position
        while let byte = current, Self.isLetter(byte) || Self.isDigit(byte) || byte == UInt8(ascii: "_") { position += 1 }
        let word = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        switch word {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "None": return .none
        default:
            position = start
            throw failure("names other than True, False and None are not literals")
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    private static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }
}
