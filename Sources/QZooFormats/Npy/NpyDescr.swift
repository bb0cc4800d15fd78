import QZooCore

/// The element type of a `.npy` array, from the header's `descr`.
///
/// qzoo reads the plain numeric types in any byte order and void types (`V<n>`), which is how
/// numpy stores ml_dtypes' bfloat16 and float8: the bytes are opaque to numpy, so the caller must
/// say what they are. The one exception is `f1`: ml_dtypes registers float8_e5m2 with kind `f`, so
/// numpy saves it as `<f1` (a descr numpy itself cannot load); no other type has that descr, so
/// qzoo reads it as F8_E5M2 directly. Everything else (objects, which need unpickling; strings; datetimes;
/// complex; structured records) is refused with the reason.
public enum NpyDescr: Sendable, Equatable {
    case numeric(DType, bigEndian: Bool)
    case void(width: Int)

    /// Bytes per element.
    public var width: Int {
        switch self {
        case .numeric(let dtype, _): return dtype.byteSize
        case .void(let width): return width
        }
    }

    /// Interprets the header's `descr` value.
    static func parse(_ literal: PythonLiteral) throws -> NpyDescr {
        switch literal {
        case .string(let text): return try parse(text)
        case .list, .tuple:
            throw QZooError.unsupported("structured (record) dtypes are not supported; only plain numeric arrays can be tensors")
        default:
            throw QZooError.malformed("'descr' must be a dtype string, found \(literal.kindName)")
        }
    }

    static func parse(_ descr: String) throws -> NpyDescr {
        let text = descr.count > 40 ? descr.prefix(40) + "…" : descr
        guard !descr.contains("O") else {
            throw QZooError.unsupported("descr '\(text)' holds Python objects, which are pickled; qzoo never unpickles data (CVE-2019-6446)")
        }
        var body = Substring(descr)
        let order = body.first.flatMap { "<>=|".contains($0) ? $0 : nil }
        if order != nil { body = body.dropFirst() }
        let digits = body.dropFirst()
        guard let kind = body.first, !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let width = Int(digits), width > 0 else {
            throw unsupportedType(text)
        }
        if kind == "V" { return .void(width: width) }
        guard let dtype = numericType(kind: kind, width: width) else {
            throw unsupportedType(text)
        }
        if order == "|" && width > 1 {
            throw QZooError.malformed("descr '\(text)': byte order '|' is only valid for single-byte types")
        }
        return .numeric(dtype, bigEndian: order == ">" && width > 1)
    }

    static func unsupportedType(_ text: String) -> QZooError {
        QZooError.unsupported("dtype '\(text)' is not supported; tensors must be bool, integer or float (f2, f4, f8) arrays")
    }

    static func numericType(kind: Character, width: Int) -> DType? {
        switch (kind, width) {
        case ("b", 1): return .bool
        case ("i", 1): return .i8
        case ("i", 2): return .i16
        case ("i", 4): return .i32
        case ("i", 8): return .i64
        case ("u", 1): return .u8
        case ("u", 2): return .u16
        case ("u", 4): return .u32
        case ("u", 8): return .u64
        case ("f", 1): return .f8e5m2
        case ("f", 2): return .f16
        case ("f", 4): return .f32
        case ("f", 8): return .f64
        default: return nil
        }
    }

    /// The tensor dtype of an array with this descr; void arrays need `voidDType`, whose size
    /// must equal the void width.
    func resolve(voidDType: DType?) throws -> DType {
        switch self {
        case .numeric(let dtype, _): return dtype
        case .void(let width):
            guard let dtype = voidDType else {
                throw QZooError.unsupported("array has a void descr (V\(width)), which is how numpy saves bfloat16 and float8 arrays from ml_dtypes; its element type is unknown, so pass --npy-dtype (e.g. bf16 for V2, f8_e4m3 or f8_e5m2 for V1)")
            }
            guard dtype.byteSize == width else {
                throw QZooError(.invalidArgument, "void descr V\(width) has \(width)-byte elements but --npy-dtype \(dtype.rawValue) has \(dtype.byteSize)-byte elements")
            }
            return dtype
        }
    }

    /// The descr numpy writes for `dtype`: little-endian, `|` for one-byte types, and void
    /// (`<V2`, `<V1`) for the types numpy lacks, as numpy saves ml_dtypes' bfloat16 and
    /// float8_e4m3fn. float8_e5m2 is also written as `<V1`, not the `<f1` numpy writes for it,
    /// because numpy cannot load `<f1` files.
    static func descr(for dtype: DType) -> String {
        switch dtype {
        case .f64: return "<f8"
        case .f32: return "<f4"
        case .f16: return "<f2"
        case .bf16: return "<V2"
        case .f8e4m3, .f8e5m2: return "<V1"
        case .i64: return "<i8"
        case .i32: return "<i4"
        case .i16: return "<i2"
        case .i8: return "|i1"
        case .u64: return "<u8"
        case .u32: return "<u4"
        case .u16: return "<u2"
        case .u8: return "|u1"
        case .bool: return "|b1"
        }
    }
}
