import QZooCore
import QZooFormats

/// Takes qpack files apart and puts them back together with a valid preamble, so tests can
/// corrupt one thing (an index field, a data byte) without tripping an earlier check.
enum QPackSurgery {
    static func split(_ file: [UInt8]) throws -> (index: JSONValue, data: [UInt8]) {
        let length = file[8..<16].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let index = try JSONParser.parse(Array(file[48..<(48 + length)]))
        let dataStart = (48 + length + 63) / 64 * 64
        return (index, Array(file[dataStart...]))
    }

    static func build(index: JSONValue, data: [UInt8]) -> [UInt8] {
        let indexBytes = Array(JSONWriter.serialize(index).utf8)
        var file: [UInt8] = Array("QZPK".utf8)
        file += [1, 0, 0, 0]
        file += (0..<8).map { UInt8(truncatingIfNeeded: indexBytes.count >> (8 * $0)) }
        file += indexBytes.withUnsafeBytes { SHA256Digest.raw($0) }
        file += indexBytes
        while file.count % 64 != 0 { file.append(0) }
        return file + data
    }

    /// Rewrites the index with `edit` applied.
    static func editIndex(_ file: [UInt8], _ edit: (JSONValue) -> JSONValue) throws -> [UInt8] {
        let (index, data) = try split(file)
        return build(index: edit(index), data: data)
    }

    /// Rewrites data bytes with `edit` and recomputes every section checksum, so only the
    /// value checks can catch the change.
    static func editData(_ file: [UInt8], _ edit: (inout [UInt8]) -> Void) throws -> [UInt8] {
        var (index, data) = try split(file)
        edit(&data)
        index = rehash(index, data)
        return build(index: index, data: data)
    }

    static func rehash(_ value: JSONValue, _ data: [UInt8]) -> JSONValue {
        switch value {
        case .object(let members):
            if let offset = value["offset"]?.intValue, let length = value["length"]?.intValue, value["sha256"] != nil,
               offset >= 0, length >= 0, offset + length <= data.count {
                let digest = SHA256Digest.hex(Array(data[offset..<(offset + length)]))
                return .object(members.map { $0.key == "sha256" ? (key: $0.key, value: .string(digest)) : $0 })
            }
            return .object(members.map { (key: $0.key, value: rehash($0.value, data)) })
        case .array(let items): return .array(items.map { rehash($0, data) })
        default: return value
        }
    }
}
