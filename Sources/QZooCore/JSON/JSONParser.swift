/// A strict RFC 8259 JSON parser over bytes.
///
/// Rejects what lenient parsers let through and what matters for untrusted headers: duplicate
/// object keys, invalid UTF-8 (including lone surrogate escapes), nesting deeper than
/// `maxDepth`, leading zeros, and trailing garbage. Errors carry the byte offset.
public struct JSONParser {
    public static let defaultMaxDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private let maxDepth: Int

    /// Parses one JSON document occupying all of `bytes` (surrounding whitespace allowed).
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.failure("unexpected data after the JSON value") }
        return value
    }

    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws -> JSONValue {
        try bytes.withUnsafeBytes { try parse($0, maxDepth: maxDepth) }
    }

    private init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    private func failure(_ message: String) -> QZooError {
        QZooError.malformed("invalid JSON at byte \(position): \(message)")
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws {
        guard current == byte else { throw failure("expected \(what)") }
        position += 1
    }

    private mutating func parseValue(depth: Int) throws -> JSONValue {
        guard depth < maxDepth else { throw failure("nesting deeper than \(maxDepth) levels") }
        switch current {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseLiteral("null"); return .null
        case .some(let byte) where byte == UInt8(ascii: "-") || (byte >= 0x30 && byte <= 0x39):
            return .number(try parseNumber())
        case .none: throw failure("unexpected end of input")
        default: throw failure("unexpected character")
        }
    }

    private mutating func parseLiteral(_ word: String) throws {
        for byte in word.utf8 {
            guard current == byte else { throw failure("invalid literal, expected '\(word)'") }
            position += 1
        }
    }

    private mutating func parseObject(depth: Int) throws -> JSONValue {
        position += 1
        var members: [(key: String, value: JSONValue)] = []
        var seen = Set<KeyBytes>()
        skipWhitespace()
        if current == UInt8(ascii: "}") { position += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw failure("expected a string key") }
            let keyStart = position
            let key = try parseString()
            guard seen.insert(KeyBytes(key)).inserted else {
                position = keyStart
                throw failure("duplicate key \"\(key)\"")
            }
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':'")
            skipWhitespace()
            members.append((key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            if current == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: "}"), "',' or '}'")
            return .object(members)
        }
    }

    /// An object key compared and hashed by its UTF-8 bytes, as JSON (RFC 8259 §8.3) compares
    /// member names: code unit by code unit. Swift's `String` would take the canonically
    /// equivalent "é" and "e\u{301}" for one key, which are two tokens of a vocabulary; and
    /// hashing the bytes in one call is much cheaper than `String`'s hash, which matters for a
    /// tokenizer's 30k-member vocabulary object.
    private struct KeyBytes: Hashable {
        let text: String

        init(_ text: String) {
            var text = text
            text.makeContiguousUTF8()
            self.text = text
        }

        func hash(into hasher: inout Hasher) {
            var text = text
            text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }

        static func == (a: KeyBytes, b: KeyBytes) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }
    }

    private mutating func parseArray(depth: Int) throws -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { position += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            if current == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: "]"), "',' or ']'")
            return .array(items)
        }
    }

    private mutating func parseNumber() throws -> String {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        guard let first = current, isDigit(first) else { throw failure("invalid number") }
        position += 1
        if first == UInt8(ascii: "0"), let next = current, isDigit(next) { throw failure("leading zero in number") }
        skipDigits()
        if current == UInt8(ascii: ".") {
            position += 1
            guard let digit = current, isDigit(digit) else { throw failure("invalid number fraction") }
            skipDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard let digit = current, isDigit(digit) else { throw failure("invalid number exponent") }
            skipDigits()
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private mutating func skipDigits() {
        while let byte = current, isDigit(byte) { position += 1 }
    }

    private mutating func parseString() throws -> String {
        position += 1
        var text = ""
        var runStart = position
        while true {
            guard let byte = current else { throw failure("unterminated string") }
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                text += try run(from: runStart, to: position)
                position += 1
                if byte == UInt8(ascii: "\"") { return text }
                text.unicodeScalars.append(try parseEscape())
                runStart = position
            } else if byte < 0x20 {
                throw failure("control character in string")
            } else {
                position += 1
            }
        }
    }

    /// The raw bytes `start..<end`, which must be valid UTF-8, as a string (appended whole: a
    /// string without escapes, such as each of a tokenizer's 30k vocabulary keys, is this one run).
    private func run(from start: Int, to end: Int) throws -> String {
        guard start < end else { return "" }
        guard let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) else {
            throw QZooError.malformed("invalid JSON at byte \(start): string is not valid UTF-8")
        }
        return text
    }

    private mutating func parseEscape() throws -> Unicode.Scalar {
        guard let byte = current else { throw failure("unterminated escape") }
        position += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"): return try parseUnicodeEscape()
        default: throw failure("invalid escape")
        }
    }

    private mutating func parseUnicodeEscape() throws -> Unicode.Scalar {
        let high = try parseHex4()
        if (0xDC00...0xDFFF).contains(high) { throw failure("lone low surrogate") }
        guard (0xD800...0xDBFF).contains(high) else {
            guard let scalar = Unicode.Scalar(high) else { throw failure("invalid code point") }
            return scalar
        }
        guard current == UInt8(ascii: "\\") else { throw failure("lone high surrogate") }
        position += 1
        guard current == UInt8(ascii: "u") else { throw failure("lone high surrogate") }
        position += 1
        let low = try parseHex4()
        guard (0xDC00...0xDFFF).contains(low) else { throw failure("invalid surrogate pair") }
        let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        guard let scalar = Unicode.Scalar(value) else { throw failure("invalid code point") }
        return scalar
    }

    private mutating func parseHex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = hexDigit(byte) else { throw failure("invalid \\u escape") }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    private func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case 0x30...0x39: return UInt32(byte - 0x30)
        case 0x41...0x46: return UInt32(byte - 0x41 + 10)
        case 0x61...0x66: return UInt32(byte - 0x61 + 10)
        default: return nil
        }
    }
}
