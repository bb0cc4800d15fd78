import QZooCore

/// One tensor's entry in a safetensors header.
struct SafetensorsEntry {
    var name: String
    var dtype: DType
    var shape: [Int]
    var begin: Int
    var end: Int
}

/// A validated safetensors header: entries sorted by offset, metadata, and the data start.
struct SafetensorsHeader {
    /// The reference reader's limit on the header length; qzoo keeps it so files it accepts
    /// load everywhere.
    static let maxHeaderLength = 100_000_000

    var entries: [SafetensorsEntry]
    var metadata: [String: String]
    var dataStart: Int

    /// Validates the whole file layout in one pass before anything is exposed: header length,
    /// UTF-8 JSON object starting with `{`, space-only padding, dtypes, shapes, offsets contiguous
    /// from 0 with no holes or overlap, sizes matching shapes, data exactly filling the file.
    static func parse(_ file: UnsafeRawBufferPointer) throws -> SafetensorsHeader {
        guard file.count >= 8 else {
            throw QZooError.malformed("file is \(file.count) bytes, shorter than the 8-byte header length")
        }
        let declared = file.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        guard declared <= UInt64(maxHeaderLength) else {
            throw QZooError(.limitExceeded, "header length \(declared) exceeds the \(maxHeaderLength)-byte limit")
        }
        let length = Int(declared)
        guard 8 + length <= file.count else {
            throw QZooError.malformed("header length \(length) runs past the end of the \(file.count)-byte file")
        }
        let json = try headerJSON(UnsafeRawBufferPointer(rebasing: file[8..<(8 + length)]))
        var header = try fromJSON(json)
        header.dataStart = 8 + length
        try header.validateLayout(dataLength: file.count - header.dataStart)
        return header
    }

    /// Checks the header bytes' framing and parses them as JSON.
    static func headerJSON(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue {
        guard bytes.first == UInt8(ascii: "{") else {
            throw QZooError.malformed("header does not start with '{'")
        }
        var end = bytes.count
        while end > 0 && bytes[end - 1] == 0x20 { end -= 1 }
        guard end > 0, bytes[end - 1] == UInt8(ascii: "}") else {
            throw QZooError.malformed("header JSON must end with '}' followed only by space padding")
        }
        do {
            return try JSONParser.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<end]))
        } catch let error as QZooError {
            throw QZooError.malformed("header: \(error.message)")
        }
    }

    static func fromJSON(_ json: JSONValue) throws -> SafetensorsHeader {
        guard let members = json.objectMembers else { throw QZooError.malformed("header is not a JSON object") }
        var header = SafetensorsHeader(entries: [], metadata: [:], dataStart: 0)
        for (key, value) in members {
            if key == "__metadata__" {
                header.metadata = try parseMetadata(value)
            } else {
                do {
                    header.entries.append(try parseEntry(name: key, value))
                } catch let error as QZooError {
                    throw error.inTensor(key)
                }
            }
        }
        return header
    }

    static func parseMetadata(_ value: JSONValue) throws -> [String: String] {
        guard let members = value.objectMembers else {
            throw QZooError.malformed("__metadata__ must be an object of strings")
        }
        var metadata: [String: String] = [:]
        for (key, item) in members {
            guard let text = item.stringValue else {
                throw QZooError.malformed("__metadata__ value for \"\(key)\" is a \(item.kindName), expected a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    static func parseEntry(name: String, _ value: JSONValue) throws -> SafetensorsEntry {
        guard let members = value.objectMembers else { throw QZooError.malformed("entry is not an object") }
        let allowed: Set<String> = ["dtype", "shape", "data_offsets"]
        if let extra = members.first(where: { !allowed.contains($0.key) }) {
            throw QZooError.malformed("unexpected field \"\(extra.key)\"")
        }
        guard let dtypeName = value["dtype"]?.stringValue else { throw QZooError.malformed("missing string field \"dtype\"") }
        let dtype = try SafetensorsDType.parse(dtypeName)
        guard let dims = value["shape"]?.arrayValue else { throw QZooError.malformed("missing array field \"shape\"") }
        let shape = try dims.map { dim -> Int in
            guard let size = dim.intValue, size >= 0 else { throw QZooError.malformed("shape entries must be non-negative integers") }
            return size
        }
        guard let offsets = value["data_offsets"]?.arrayValue, offsets.count == 2,
              let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, end >= begin
        else { throw QZooError.malformed("data_offsets must be two integers [begin, end] with 0 <= begin <= end") }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// Sorts entries by offset and checks contiguity, sizes and exact coverage of the data.
    mutating func validateLayout(dataLength: Int) throws {
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var expected = 0
        for entry in entries {
            guard let bytes = CheckedMath.byteCount(shape: entry.shape, dtype: entry.dtype) else {
                throw QZooError.malformed("shape \(entry.shape) × \(entry.dtype.rawValue) overflows", tensor: entry.name)
            }
            guard entry.begin == expected else {
                let problem = entry.begin > expected ? "a hole" : "an overlap"
                throw QZooError.malformed("data_offsets begin at \(entry.begin) but the previous tensor ends at \(expected) (\(problem))", tensor: entry.name)
            }
            guard entry.end - entry.begin == bytes else {
                throw QZooError.malformed("span of \(entry.end - entry.begin) bytes does not match shape \(entry.shape) of \(entry.dtype.rawValue) (\(bytes) bytes)", tensor: entry.name)
            }
            guard entry.end <= dataLength else {
                throw QZooError.malformed("data_offsets end \(entry.end) is past the end of the \(dataLength) bytes of data (truncated file?)", tensor: entry.name)
            }
            expected = entry.end
        }
        guard expected == dataLength else {
            throw QZooError.malformed("\(dataLength - expected) trailing bytes after the tensor data (which covers \(expected) of the \(dataLength) bytes after the header)")
        }
    }
}
