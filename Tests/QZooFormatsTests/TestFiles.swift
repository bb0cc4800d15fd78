import Testing
import QZooCore
import QZooFormats

/// Whole-file reads and writes for tests that corrupt files on purpose.
enum TestFiles {
    static func read(_ path: String) throws -> [UInt8] {
        try ByteStorage.map(path: path).withBuffer { Array($0) }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try AtomicFile.write(to: path, overwrite: true) { try $0.write(bytes) }
    }
}

/// One edit of a valid JSON document (a qpack index, a QDQ JSON file) and the error the reader
/// must answer it with: its code, a fragment of its message and the tensor it names.
struct JSONCorruption: Sendable, CustomTestStringConvertible {
    let name: String
    let code: QZooError.Code
    let fragment: String
    let tensor: String?
    let edit: @Sendable (JSONValue) -> JSONValue

    var testDescription: String { name }

    static func set(_ path: [JSONStep], _ key: String, _ value: JSONValue) -> @Sendable (JSONValue) -> JSONValue {
        { $0.setting(path, key, to: value) }
    }
}

/// One step into a JSON document.
enum JSONStep {
    case key(String)
    case index(Int)
}

extension JSONValue {
    /// The document with the value at `path` replaced by `transform(old)`; a nil result removes
    /// an object member. Paths that do not exist leave the document unchanged, which the
    /// calling test then notices because the file still reads.
    func editing(_ path: [JSONStep], _ transform: (JSONValue) -> JSONValue?) -> JSONValue {
        guard let step = path.first else { return transform(self) ?? .null }
        let rest = Array(path.dropFirst())
        switch (self, step) {
        case (.object(let members), .key(let key)):
            return .object(members.compactMap { member in
                guard member.key == key else { return member }
                if rest.isEmpty { return transform(member.value).map { (key: key, value: $0) } }
                return (key: key, value: member.value.editing(rest, transform))
            })
        case (.array(var items), .index(let index)) where items.indices.contains(index):
            items[index] = items[index].editing(rest, transform)
            return .array(items)
        default:
            return self
        }
    }

    /// Adds or replaces member `key` of the object at `path`.
    func setting(_ path: [JSONStep], _ key: String, to value: JSONValue) -> JSONValue {
        editing(path) { object in
            guard let members = object.objectMembers else { return object }
            return .object(members.filter { $0.key != key } + [(key: key, value: value)])
        }
    }
}
