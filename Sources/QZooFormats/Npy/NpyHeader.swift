import QZooCore

/// A validated `.npy` header: versions 1.0 and 2.0 (latin-1 text) and 3.0 (UTF-8 text).
///
/// `parse` is the single entry point for untrusted bytes (and the one a fuzz target calls): it
/// checks the magic, version and header length, parses the dict literal without evaluating it,
/// requires exactly the keys `descr`, `fortran_order` and `shape`, and computes the data size
/// with overflow checks. It does not look at the data that follows.
public struct NpyHeader: Sendable, Equatable {
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// The largest header text accepted. numpy refuses more than 10,000 characters by default
    /// because `ast.literal_eval` can be slow or crash on hostile input; qzoo's parser is linear
    /// and depth-capped, so a larger cap is safe, and 1 MiB is far above any header numpy writes
    /// for an array qzoo supports (even 64 dimensions need under 2 KiB) while bounding the work.
    public static let maxHeaderLength = 1 << 20

    public var majorVersion: UInt8
    public var descr: NpyDescr
    public var fortranOrder: Bool
    public var shape: [Int]
    /// Where the array data starts, from the beginning of the file.
    public var dataOffset: Int
    /// prod(shape) × element width.
    public var dataByteCount: Int

    static let requiredKeys = ["descr", "fortran_order", "shape"]

    /// Parses the header at the start of `bytes` (a whole file, or at least its header).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws -> NpyHeader {
        let (major, lengthField) = try preamble(bytes)
        guard lengthField <= bytes.count - (major == 1 ? 10 : 12) else {
            throw QZooError.malformed("header length \(lengthField) runs past the end of the \(bytes.count)-byte file")
        }
        let start = major == 1 ? 10 : 12
        let text = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + lengthField)])
        let literal = try headerLiteral(text, major: major)
        var header = try fromLiteral(literal, major: major)
        header.dataOffset = start + lengthField
        return header
    }

    /// Checks magic and version and returns the major version and the declared header length.
    static func preamble(_ bytes: UnsafeRawBufferPointer) throws -> (UInt8, Int) {
        guard bytes.count >= 8, bytes.prefix(6).elementsEqual(magic) else {
            if bytes.first == 0x80 {
                throw QZooError.unsupported("this is a Python pickle, not a .npy array; qzoo never unpickles data (CVE-2019-6446)")
            }
            throw QZooError.malformed("not a .npy file: it does not start with the \\x93NUMPY magic")
        }
        let (major, minor) = (bytes[6], bytes[7])
        guard (1...3).contains(major), minor == 0 else {
            throw QZooError.unsupported(".npy format version \(major).\(minor) is not supported (known: 1.0, 2.0, 3.0)")
        }
        let fieldSize = major == 1 ? 2 : 4
        guard bytes.count >= 8 + fieldSize else {
            throw QZooError.malformed("file is \(bytes.count) bytes, too short for a version \(major).0 header length")
        }
        let length = major == 1
            ? Int(bytes.loadUnaligned(fromByteOffset: 8, as: UInt16.self).littleEndian)
            : Int(bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian)
        guard length <= maxHeaderLength else {
            throw QZooError(.limitExceeded, "header length \(length) exceeds the \(maxHeaderLength)-byte limit")
        }
        return (major, length)
    }

    /// Decodes the header text (latin-1 for v1/v2, UTF-8 for v3) and parses it as a literal.
    static func headerLiteral(_ text: UnsafeRawBufferPointer, major: UInt8) throws -> PythonLiteral {
        if major == 3 {
            guard String(validating: text, as: UTF8.self) != nil else {
                throw QZooError.malformed("version 3.0 header is not valid UTF-8")
            }
            return try PythonLiteralParser.parse(text, encoding: .utf8, allowsLongSuffix: false)
        }
        return try PythonLiteralParser.parse(text, encoding: .latin1, allowsLongSuffix: true)
    }

    static func fromLiteral(_ literal: PythonLiteral, major: UInt8) throws -> NpyHeader {
        guard case .dict(let members) = literal else {
            throw QZooError.malformed("header must be a dict literal, found \(literal.kindName)")
        }
        var values: [String: PythonLiteral] = [:]
        for (key, value) in members {
            guard case .string(let name) = key, requiredKeys.contains(name) else {
                throw QZooError.malformed("header has the unexpected key \(key.kindName); expected exactly 'descr', 'fortran_order' and 'shape'")
            }
            values[name] = value
        }
        guard let descrValue = values["descr"], let orderValue = values["fortran_order"], let shapeValue = values["shape"] else {
            let missing = requiredKeys.filter { values[$0] == nil }.joined(separator: ", ")
            throw QZooError.malformed("header lacks the key(s) \(missing); expected exactly 'descr', 'fortran_order' and 'shape'")
        }
        guard case .bool(let fortranOrder) = orderValue else {
            throw QZooError.malformed("'fortran_order' must be True or False, found \(orderValue.kindName)")
        }
        let shape = try parseShape(shapeValue)
        let descr = try NpyDescr.parse(descrValue)
        guard let count = CheckedMath.product(shape), let bytes = CheckedMath.multiply(count, descr.width) else {
            throw QZooError.malformed("shape \(shape) with \(descr.width)-byte elements overflows the address space")
        }
        return NpyHeader(majorVersion: major, descr: descr, fortranOrder: fortranOrder, shape: shape, dataOffset: 0, dataByteCount: bytes)
    }

    static func parseShape(_ value: PythonLiteral) throws -> [Int] {
        guard case .tuple(let items) = value else {
            throw QZooError.malformed("'shape' must be a tuple of integers, found \(value.kindName)")
        }
        return try items.map { item in
            switch item {
            case .int(let size) where size >= 0: return size
            case .int(let size): throw QZooError.malformed("shape has the negative dimension \(size)")
            case .hugeInt(let digits): throw QZooError.malformed("shape dimension \(digits) is too large")
            default: throw QZooError.malformed("shape entries must be integers, found \(item.kindName)")
            }
        }
    }
}
