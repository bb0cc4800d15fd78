/// The subset of Python literals that can appear in a `.npy` header.
///
/// numpy reads the header with `ast.literal_eval`; qzoo never evaluates anything, it parses this
/// small grammar itself (`PythonLiteralParser`) and then checks the shape of the result. Integers
/// that do not fit in `Int` are kept as `.hugeInt` so the caller can name the offending value
/// instead of failing inside the parser.
indirect enum PythonLiteral: Sendable, Equatable {
    case string(String)
    case int(Int)
    case hugeInt(String)
    case bool(Bool)
    case none
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case dict([(key: PythonLiteral, value: PythonLiteral)])

    static func == (lhs: PythonLiteral, rhs: PythonLiteral) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.hugeInt(a), .hugeInt(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case (.none, .none): return true
        case let (.tuple(a), .tuple(b)), let (.list(a), .list(b)): return a == b
        case let (.dict(a), .dict(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// A short description for error messages ("a tuple", "the string '<f4'").
    var kindName: String {
        switch self {
        case .string(let text): return "the string '\(text.count > 40 ? text.prefix(40) + "…" : text)'"
        case .int(let value): return "the integer \(value)"
        case .hugeInt(let digits): return "the integer \(digits)"
        case .bool(let value): return value ? "True" : "False"
        case .none: return "None"
        case .tuple: return "a tuple"
        case .list: return "a list"
        case .dict: return "a dict"
        }
    }
}
