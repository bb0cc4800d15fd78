import QZooCore

/// Strict, typed access to the members of one JSON object from an untrusted file.
///
/// Every accessor marks its member as used and `finish()` rejects the members nobody asked for:
/// an unknown or misspelt field would otherwise be ignored without a word, and a reader of a
/// versioned format must not guess what a newer writer meant by it. Messages name `context`
/// (such as "tensor record") and the field.
struct JSONObjectReader {
    let context: String
    private let members: [(key: String, value: JSONValue)]
    private var used: Set<String> = []

    init(_ value: JSONValue, context: String) throws {
        guard let members = value.objectMembers else {
            throw QZooError.malformed("\(context) must be a JSON object, got a \(value.kindName)")
        }
        self.context = context
        self.members = members
    }

    mutating func optional(_ key: String) -> JSONValue? {
        used.insert(key)
        return members.first { $0.key == key }?.value
    }

    mutating func value(_ key: String) throws -> JSONValue {
        guard let value = optional(key) else { throw QZooError.malformed("\(context): missing field \"\(key)\"") }
        return value
    }

    func mismatch(_ key: String, _ expected: String, _ value: JSONValue) -> QZooError {
        QZooError.malformed("\(context): field \"\(key)\" must be \(expected), got a \(value.kindName)")
    }

    mutating func string(_ key: String) throws -> String {
        let value = try value(key)
        guard let text = value.stringValue else { throw mismatch(key, "a string", value) }
        return text
    }

    mutating func optionalString(_ key: String) throws -> String? {
        guard let value = optional(key) else { return nil }
        guard let text = value.stringValue else { throw mismatch(key, "a string", value) }
        return text
    }

    mutating func bool(_ key: String) throws -> Bool {
        let value = try value(key)
        guard let flag = value.boolValue else { throw mismatch(key, "true or false", value) }
        return flag
    }

    /// An integer in `range`; fractions, exponents and out-of-range values are errors.
    mutating func int(_ key: String, in range: ClosedRange<Int> = 0...Int.max) throws -> Int {
        try Self.integer(try value(key), in: range, "\(context): field \"\(key)\"")
    }

    mutating func optionalInt(_ key: String, in range: ClosedRange<Int> = 0...Int.max) throws -> Int? {
        guard let value = optional(key) else { return nil }
        return try Self.integer(value, in: range, "\(context): field \"\(key)\"")
    }

    mutating func array(_ key: String) throws -> [JSONValue] {
        let value = try value(key)
        guard let items = value.arrayValue else { throw mismatch(key, "an array", value) }
        return items
    }

    /// A shape: an array of non-negative integers.
    mutating func shape(_ key: String) throws -> [Int] {
        try array(key).map { try Self.integer($0, in: 0...Int.max, "\(context): \"\(key)\" entries") }
    }

    /// A string → string map.
    mutating func stringMap(_ key: String) throws -> [String: String] {
        let value = try value(key)
        guard let members = value.objectMembers else { throw mismatch(key, "an object", value) }
        var map: [String: String] = [:]
        for (name, item) in members {
            guard let text = item.stringValue else {
                throw QZooError.malformed("\(context): \"\(key)\" value for \"\(name)\" must be a string, got a \(item.kindName)")
            }
            map[name] = text
        }
        return map
    }

    /// Throws if the object has a member no accessor asked for.
    func finish() throws {
        if let extra = members.first(where: { !used.contains($0.key) }) {
            throw QZooError.malformed("\(context): unexpected field \"\(extra.key)\"")
        }
    }

    static func integer(_ value: JSONValue, in range: ClosedRange<Int>, _ what: String) throws -> Int {
        guard let number = value.intValue else {
            throw QZooError.malformed("\(what) must be an integer, got \(describe(value))")
        }
        guard range.contains(number) else {
            throw QZooError.malformed("\(what) is \(number), outside \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    static func describe(_ value: JSONValue) -> String {
        if case .number(let text) = value { return text }
        return "a \(value.kindName)"
    }
}
