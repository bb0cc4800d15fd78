import QZooCore

/// The quantized element types of ONNX QuantizeLinear/DequantizeLinear that QDQ JSON uses,
/// spelled as ONNX's `TensorProto.DataType` names.
public enum ONNXElementType: String, CaseIterable, Sendable {
    case int8 = "INT8", uint8 = "UINT8"
    case int16 = "INT16", uint16 = "UINT16"
    case int4 = "INT4", uint4 = "UINT4"
    case int2 = "INT2", uint2 = "UINT2"
    case float8e4m3fn = "FLOAT8E4M3FN"

    /// Other `TensorProto.DataType` names: valid ONNX, but not a quantized type QDQ JSON uses
    /// for this role. Named so the error says "unsupported" rather than "unknown".
    static let otherONNXNames: Set<String> = [
        "FLOAT", "DOUBLE", "FLOAT16", "BFLOAT16", "INT32", "INT64", "UINT32", "UINT64", "BOOL", "STRING",
        "COMPLEX64", "COMPLEX128", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "FLOAT4E2M1",
        "FLOAT8E8M0", "FLOAT6E2M3", "FLOAT6E3M2",
    ]

    /// Parses a type name; `role` ("x", "activation"...) goes into the message.
    static func parse(_ name: String, role: String) throws -> ONNXElementType {
        if let type = ONNXElementType(rawValue: name) { return type }
        if otherONNXNames.contains(name) {
            throw QZooError.unsupported("\(role) element type \(name) is not a quantized type QDQ JSON supports (\(allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        throw QZooError.malformed("\(role) has unknown element type \"\(name)\"")
    }

    /// Bits per element in ONNX raw data.
    public var bits: Int {
        switch self {
        case .int8, .uint8, .float8e4m3fn: return 8
        case .int16, .uint16: return 16
        case .int4, .uint4: return 4
        case .int2, .uint2: return 2
        }
    }

    public var isSigned: Bool {
        switch self {
        case .int8, .int16, .int4, .int2: return true
        default: return false
        }
    }

    public var isInteger: Bool { self != .float8e4m3fn }

    /// The representable integers (zero points and values); float8 zero points must be 0.
    public var integerRange: ClosedRange<Int> {
        guard isInteger else { return 0...0 }
        return isSigned ? -(1 << (bits - 1))...((1 << (bits - 1)) - 1) : 0...((1 << bits) - 1)
    }

    /// The first opset whose QuantizeLinear/DequantizeLinear accepts the type.
    public var minimumOpset: Int {
        switch self {
        case .int8, .uint8: return 10
        case .float8e4m3fn: return 19
        case .int16, .uint16, .int4, .uint4: return 21
        case .int2, .uint2: return 25
        }
    }

    /// The narrowest integer type that holds every code of a `bits`-bit qzoo grid exactly
    /// (1 → 2-bit, 3 → 4-bit, 5…7 → 8-bit): qzoo grids whose width ONNX lacks are widened, never
    /// rejected, and the grid's own width is kept in the record's `qzoo.bits`.
    static func holding(gridBits bits: Int, signed: Bool) -> ONNXElementType {
        switch (bits <= 2, bits <= 4, signed) {
        case (true, _, true): return .int2
        case (true, _, false): return .uint2
        case (false, true, true): return .int4
        case (false, true, false): return .uint4
        case (false, false, true): return .int8
        case (false, false, false): return .uint8
        }
    }
}
