/// The element types qzoo reads, writes and converts.
///
/// Raw values are the safetensors spellings, which qzoo also uses on its command line and in
/// its own formats. `F8_E4M3` is OCP e4m3fn (no infinities, one NaN pattern per sign).
public enum DType: String, CaseIterable, Sendable, Codable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8"
    case bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .f8e4m3, .f8e5m2, .i8, .u8, .bool: return 1
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16, .f8e4m3, .f8e5m2: return true
        default: return false
        }
    }

    /// Parses a dtype name case-insensitively, accepting the common aliases users type on the
    /// command line (`f32`, `float16`, `bfloat16`, `e4m3fn`...).
    public init?(userSpelling text: String) {
        let key = text.lowercased()
        if let exact = DType(rawValue: text.uppercased()) {
            self = exact
            return
        }
        let aliases: [String: DType] = [
            "float64": .f64, "double": .f64, "float32": .f32, "float": .f32, "float16": .f16,
            "half": .f16, "bfloat16": .bf16, "e4m3": .f8e4m3, "e4m3fn": .f8e4m3,
            "float8_e4m3fn": .f8e4m3, "f8e4m3": .f8e4m3, "e5m2": .f8e5m2, "float8_e5m2": .f8e5m2,
            "f8e5m2": .f8e5m2, "int64": .i64, "int32": .i32, "int16": .i16, "int8": .i8,
            "uint64": .u64, "uint32": .u32, "uint16": .u16, "uint8": .u8,
        ]
        guard let alias = aliases[key] else { return nil }
        self = alias
    }
}
