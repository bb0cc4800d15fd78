/// Compact JSON serialisation with a choice of key order.
///
/// Canonical output (sorted keys, no whitespace, minimal escapes) is what makes qzoo's headers
/// and manifests byte-reproducible; `preserveOrder` serves formats whose reference writers fix
/// a member order (safetensors writes `__metadata__` first, then tensors in data order).
public enum JSONWriter {
    public enum KeyOrder: Sendable { case sorted, preserve }

    public static func serialize(_ value: JSONValue, keys: KeyOrder = .sorted) -> String {
        var out = ""
        write(value, keys: keys, into: &out)
        return out
    }

    private static func write(_ value: JSONValue, keys: KeyOrder, into out: inout String) {
        switch value {
        case .object(let members):
            let ordered = keys == .sorted ? members.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) } : members
            out += "{"
            for (index, member) in ordered.enumerated() {
                if index > 0 { out += "," }
                writeString(member.key, into: &out)
                out += ":"
                write(member.value, keys: keys, into: &out)
            }
            out += "}"
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                write(item, keys: keys, into: &out)
            }
            out += "]"
        case .string(let text): writeString(text, into: &out)
        case .number(let text): out += text
        case .bool(let flag): out += flag ? "true" : "false"
        case .null: out += "null"
        }
    }

    /// Escapes as serde_json and Python's `json` (ensure_ascii=False) do: quote, backslash and
    /// control characters only; everything else is written as UTF-8.
    public static func writeString(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension JSONValue {
    /// Convenience constructors for building documents in code.
    public static func int(_ value: Int) -> JSONValue { .number(String(value)) }

    public static func double(_ value: Double) -> JSONValue {
        guard value.isFinite else { return .null }
        if value == value.rounded(), abs(value) < 1e15 { return .number(String(Int(value))) }
        return .number(String(value))
    }

    public static func strings(_ map: [String: String]) -> JSONValue {
        .object(map.map { (key: $0.key, value: .string($0.value)) })
    }
}

extension JSONWriter {
    /// Indented output with sorted keys, as Python's `json.dumps(indent=2, sort_keys=True)`
    /// writes it (Hugging Face index files use this layout).
    public static func pretty(_ value: JSONValue, indent: Int = 2) -> String {
        var out = ""
        writePretty(value, level: 0, indent: indent, into: &out)
        return out
    }

    private static func writePretty(_ value: JSONValue, level: Int, indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: (level + 1) * indent)
        let closing = String(repeating: " ", count: level * indent)
        switch value {
        case .object(let members) where !members.isEmpty:
            let sorted = members.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            out += "{\n"
            for (index, member) in sorted.enumerated() {
                out += pad
                writeString(member.key, into: &out)
                out += ": "
                writePretty(member.value, level: level + 1, indent: indent, into: &out)
                out += index + 1 < sorted.count ? ",\n" : "\n"
            }
            out += closing + "}"
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += pad
                writePretty(item, level: level + 1, indent: indent, into: &out)
                out += index + 1 < items.count ? ",\n" : "\n"
            }
            out += closing + "]"
        default:
            out += serialize(value)
        }
    }
}
