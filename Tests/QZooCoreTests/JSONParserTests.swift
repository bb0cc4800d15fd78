import Testing
@testable import QZooCore

@Suite struct JSONParserTests {
    func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test func parsesNestedDocumentsKeepingOrder() throws {
        let value = try parse(#"{"b": [1, -2.5e3, true, null], "a": {"x": "y\u00e9\n"}}"#)
        #expect(value.objectMembers?.map(\.key) == ["b", "a"])
        #expect(value["b"]?.arrayValue?.first?.intValue == 1)
        #expect(value["b"]?.arrayValue?[1].doubleValue == -2500)
        #expect(value["a"]?["x"]?.stringValue == "yé\n")
    }

    @Test(arguments: [
        #"{"a":1,"a":2}"#, "{", #"{"a":01}"#, "[1,]", #""\ud800""#, "{} x", "\"\u{01}\"", "nul", "-", "1.", "1e",
    ])
    func rejectsInvalidDocuments(_ text: String) {
        #expect(throws: QZooError.self) { try parse(text) }
    }

    /// Member names are equal when their code points are (RFC 8259 §8.3), not when Swift's
    /// strings are: canonically equivalent spellings are two members, one name spelled with and
    /// without an escape is a duplicate.
    @Test func duplicateKeysAreFoundByCodePoints() throws {
        let value = try parse(#"{"\u00e9": 1, "e\u0301": 2}"#)
        #expect(value.objectMembers?.map { Array($0.key.unicodeScalars) } == [["\u{e9}"], ["e", "\u{301}"]])
        #expect(throws: QZooError.self) { try parse(#"{"ab": 1, "a\u0062": 2}"#) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: QZooError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func limitsNestingDepth() throws {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: QZooError.self) { try parse(deep) }
        _ = try parse(String(repeating: "[", count: 10) + String(repeating: "]", count: 10))
    }

    @Test func serializesCanonicallyAndRoundTrips() throws {
        let value = try parse(#"{"b":"\"q\"\u0001","a":[1,{"d":null,"c":false}]}"#)
        let text = JSONWriter.serialize(value)
        #expect(text == #"{"a":[1,{"c":false,"d":null}],"b":"\"q\"\u0001"}"#)
        #expect(try parse(text) == (try parse(JSONWriter.serialize(value, keys: .preserve))).sortedForTest())
    }
}

extension JSONValue {
    /// The value with object members sorted by key, to compare documents independent of order.
    func sortedForTest() -> JSONValue {
        switch self {
        case .object(let members): return .object(members.sorted { $0.key < $1.key }.map { ($0.key, $0.value.sortedForTest()) })
        case .array(let items): return .array(items.map { $0.sortedForTest() })
        default: return self
        }
    }
}
