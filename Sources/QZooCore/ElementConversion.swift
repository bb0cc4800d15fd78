/// Conversion of raw little-endian element buffers to and from `Float`.
///
/// The narrow float formats go through `SmallFloatFormat`; f16 uses the hardware conversion
/// (`Float16`, F16C on x86), which rounds to nearest-even like numpy; NaNs keep their sign, but
/// their payload bits follow the hardware (quieted), not numpy (kept as is). Conversions from f64 to a
/// narrow format round to odd in float32 first, so the final rounding is exact (no double
/// rounding) whatever the target.
public enum ElementConversion {
    /// Decodes `count` elements of `dtype` starting at `source` into `destination`.
    public static func decode(_ source: UnsafeRawPointer, dtype: DType, count: Int, into destination: UnsafeMutablePointer<Float>) {
        switch dtype {
        case .f32: for i in 0..<count { destination[i] = source.loadUnaligned(fromByteOffset: i * 4, as: Float.self) }
        case .f64: for i in 0..<count { destination[i] = Float(source.loadUnaligned(fromByteOffset: i * 8, as: Double.self)) }
        case .f16: for i in 0..<count { destination[i] = Float(source.loadUnaligned(fromByteOffset: i * 2, as: Float16.self)) }
        case .bf16:
            for i in 0..<count {
                let bits = UInt32(source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                destination[i] = Float(bitPattern: bits << 16)
            }
        case .f8e4m3: decodeTable(source, table: Tables.e4m3, count: count, into: destination)
        case .f8e5m2: decodeTable(source, table: Tables.e5m2, count: count, into: destination)
        case .i8: for i in 0..<count { destination[i] = Float(source.load(fromByteOffset: i, as: Int8.self)) }
        case .u8: for i in 0..<count { destination[i] = Float(source.load(fromByteOffset: i, as: UInt8.self)) }
        case .bool: for i in 0..<count { destination[i] = source.load(fromByteOffset: i, as: UInt8.self) == 0 ? 0 : 1 }
        case .i16: for i in 0..<count { destination[i] = Float(source.loadUnaligned(fromByteOffset: i * 2, as: Int16.self)) }
        case .u16: for i in 0..<count { destination[i] = Float(source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) }
        case .i32: for i in 0..<count { destination[i] = Float(source.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)) }
        case .u32: for i in 0..<count { destination[i] = Float(source.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
        case .i64: for i in 0..<count { destination[i] = Float(source.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)) }
        case .u64: for i in 0..<count { destination[i] = Float(source.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) }
        }
    }

    static func decodeTable(_ source: UnsafeRawPointer, table: [Float], count: Int, into destination: UnsafeMutablePointer<Float>) {
        table.withUnsafeBufferPointer { lookup in
            for i in 0..<count { destination[i] = lookup[Int(source.load(fromByteOffset: i, as: UInt8.self))] }
        }
    }

    /// Encodes `count` floats into a floating-point `dtype` at `destination`.
    /// Only floating-point targets are meaningful; integer targets are the caller's error.
    public static func encode(_ source: UnsafePointer<Float>, count: Int, to dtype: DType, into destination: UnsafeMutableRawPointer) throws {
        switch dtype {
        case .f32: for i in 0..<count { destination.storeBytes(of: source[i], toByteOffset: i * 4, as: Float.self) }
        case .f64: for i in 0..<count { destination.storeBytes(of: Double(source[i]), toByteOffset: i * 8, as: Double.self) }
        case .f16: for i in 0..<count { destination.storeBytes(of: Float16(source[i]), toByteOffset: i * 2, as: Float16.self) }
        case .bf16: encodeSmall(source, count: count, format: .bfloat16, width: 2, into: destination)
        case .f8e4m3: encodeSmall(source, count: count, format: .float8E4M3FN, width: 1, into: destination)
        case .f8e5m2: encodeSmall(source, count: count, format: .float8E5M2, width: 1, into: destination)
        default: throw QZooError(.invalidArgument, "cannot convert floating-point values to \(dtype.rawValue)")
        }
    }

    static func encodeSmall(_ source: UnsafePointer<Float>, count: Int, format: SmallFloatFormat, width: Int, into destination: UnsafeMutableRawPointer) {
        for i in 0..<count {
            let pattern = format.encode(source[i])
            if width == 2 {
                destination.storeBytes(of: UInt16(truncatingIfNeeded: pattern), toByteOffset: i * 2, as: UInt16.self)
            } else {
                destination.storeBytes(of: UInt8(truncatingIfNeeded: pattern), toByteOffset: i, as: UInt8.self)
            }
        }
    }

    /// `value` rounded to float32 with round-to-odd: exact values stay exact, inexact ones get an
    /// odd last bit, so a later round-to-nearest into any format with ≤ 22 fraction bits is correct.
    public static func roundToOdd(_ value: Double) -> Float {
        let nearest = Float(value)
        guard nearest.isFinite, Double(nearest) != value else { return nearest }
        let truncated = Double(nearest).magnitude > value.magnitude ? towardZero(nearest) : nearest
        return Float(bitPattern: truncated.bitPattern | 1)
    }

    static func towardZero(_ x: Float) -> Float {
        x > 0 ? x.nextDown : x.nextUp
    }

    enum Tables {
        static let e4m3: [Float] = (0..<256).map { SmallFloatFormat.float8E4M3FN.decode(UInt32($0)) }
        static let e5m2: [Float] = (0..<256).map { SmallFloatFormat.float8E5M2.decode(UInt32($0)) }
    }
}
