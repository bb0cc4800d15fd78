import QZooCore

/// safetensors' view of dtypes: the names qzoo accepts and the reference writer's sort order.
enum SafetensorsDType {
    /// Position in the reference implementation's `Dtype` enum ("increasing alignment order");
    /// its writer sorts tensors by this, descending, then by name.
    static func rank(_ dtype: DType) -> Int {
        switch dtype {
        case .bool: return 0
        case .u8: return 4
        case .i8: return 5
        case .f8e5m2: return 6
        case .f8e4m3: return 7
        case .i16: return 11
        case .u16: return 12
        case .f16: return 13
        case .bf16: return 14
        case .i32: return 15
        case .u32: return 16
        case .f32: return 17
        case .f64: return 19
        case .i64: return 20
        case .u64: return 21
        }
    }

    /// dtypes defined by safetensors that qzoo does not handle; named so the error says so
    /// instead of calling a valid file malformed.
    static let knownUnsupported: Set<String> = ["F4", "F6_E2M3", "F6_E3M2", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "C64"]

    static func parse(_ name: String) throws -> DType {
        if let dtype = DType(rawValue: name) { return dtype }
        if knownUnsupported.contains(name) {
            throw QZooError.unsupported("dtype \(name) is valid safetensors but not supported by qzoo")
        }
        throw QZooError.malformed("unknown dtype \"\(name)\"")
    }
}
