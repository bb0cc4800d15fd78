import Testing
@testable import QZooCore

/// A narrow float format as the golden files name it, with qzoo's codec for it (`nil` for f16,
/// which qzoo converts with the hardware `Float16`).
struct NarrowFormat: Sendable, CustomStringConvertible {
    let name: String
    let dtype: DType
    let codec: SmallFloatFormat?
    /// Whether the reference (ml_dtypes) encodes every NaN to one canonical pattern per sign, so
    /// qzoo must match it bit for bit; numpy's float16 keeps NaN payloads, which qzoo does not
    /// promise to reproduce.
    let referenceNaNIsCanonical: Bool

    var description: String { name }

    static let f16 = NarrowFormat(name: "f16", dtype: .f16, codec: nil, referenceNaNIsCanonical: false)
    static let bf16 = NarrowFormat(name: "bf16", dtype: .bf16, codec: .bfloat16, referenceNaNIsCanonical: true)
    static let e4m3 = NarrowFormat(name: "f8_e4m3fn", dtype: .f8e4m3, codec: .float8E4M3FN, referenceNaNIsCanonical: true)
    static let e5m2 = NarrowFormat(name: "f8_e5m2", dtype: .f8e5m2, codec: .float8E5M2, referenceNaNIsCanonical: true)
    static let all = [f16, bf16, e4m3, e5m2]

    var signBit: UInt32 { 1 << UInt32(8 * dtype.byteSize - 1) }

    /// The reference's float32 bits for every pattern of the format.
    func referenceDecoding() throws -> [UInt32] {
        try GoldenVectors.load("dtype/decode_\(name).bin", as: UInt32.self)
    }

    /// Patterns stored with the format's width, widened to UInt32.
    func loadPatterns(_ file: String) throws -> [UInt32] {
        dtype.byteSize == 2
            ? try GoldenVectors.load(file, as: UInt16.self).map(UInt32.init)
            : try GoldenVectors.load(file, as: UInt8.self).map(UInt32.init)
    }
}

/// How NaNs must agree with the reference: bit for bit, or only in being NaN with the same sign
/// (for NaN payloads, which carry no meaning in weights and which references treat differently).
enum NaNRule { case exactBits, nanWithSameSign }

/// Float32 bits agree under `rule`.
func agrees(_ actual: UInt32, _ expected: UInt32, _ rule: NaNRule) -> Bool {
    let expectedValue = Float(bitPattern: expected)
    guard rule == .nanWithSameSign, expectedValue.isNaN else { return actual == expected }
    return Float(bitPattern: actual).isNaN && actual >> 31 == expected >> 31
}

/// Encoded patterns agree under `rule`; `decoding` (the reference decode table) says which
/// patterns are NaN.
func agrees(_ actual: UInt32, _ expected: UInt32, _ rule: NaNRule, format: NarrowFormat, decoding: [UInt32]) -> Bool {
    guard rule == .nanWithSameSign, Float(bitPattern: decoding[Int(expected)]).isNaN else { return actual == expected }
    return Int(actual) < decoding.count && Float(bitPattern: decoding[Int(actual)]).isNaN
        && actual & format.signBit == expected & format.signBit
}

/// Little-endian bytes of `patterns` stored `width` bytes each.
func packed(_ patterns: [UInt32], width: Int) -> [UInt8] {
    patterns.flatMap { pattern in (0..<width).map { UInt8(truncatingIfNeeded: pattern >> UInt32(8 * $0)) } }
}

/// Patterns read back from `width`-byte little-endian elements.
func unpacked(_ bytes: [UInt8], width: Int) -> [UInt32] {
    stride(from: 0, to: bytes.count, by: width).map { start in
        (0..<width).reduce(UInt32(0)) { $0 | UInt32(bytes[start + $1]) << UInt32(8 * $1) }
    }
}

func decodeWithElementConversion(_ patterns: [UInt32], format: NarrowFormat) throws -> [UInt32] {
    let bytes = packed(patterns, width: format.dtype.byteSize)
    var floats = [Float](repeating: 0, count: patterns.count)
    try bytes.withUnsafeBytes { raw in
        try floats.withUnsafeMutableBufferPointer { out in
            let source = try #require(raw.baseAddress)
            let destination = try #require(out.baseAddress)
            ElementConversion.decode(source, dtype: format.dtype, count: patterns.count, into: destination)
        }
    }
    return floats.map(\.bitPattern)
}

func encodeWithElementConversion(_ values: [Float], format: NarrowFormat) throws -> [UInt32] {
    var bytes = [UInt8](repeating: 0, count: values.count * format.dtype.byteSize)
    try values.withUnsafeBufferPointer { source in
        try bytes.withUnsafeMutableBytes { out in
            let input = try #require(source.baseAddress)
            let destination = try #require(out.baseAddress)
            try ElementConversion.encode(input, count: values.count, to: format.dtype, into: destination)
        }
    }
    return unpacked(bytes, width: format.dtype.byteSize)
}

@Suite struct DTypeConversionTests {
    @Test(arguments: NarrowFormat.all)
    func elementConversionDecodesEveryPattern(_ format: NarrowFormat) throws {
        let expected = try format.referenceDecoding()
        #expect(expected.count == 1 << (8 * format.dtype.byteSize))
        let decoded = try decodeWithElementConversion((0..<UInt32(expected.count)).map { $0 }, format: format)
        let rule: NaNRule = format.referenceNaNIsCanonical ? .exactBits : .nanWithSameSign
        var mismatches = Mismatches()
        for (pattern, (actual, wanted)) in zip(decoded, expected).enumerated() {
            mismatches.check(agrees(actual, wanted, rule), "\(hex(pattern)) -> \(hex(actual)), expected \(hex(wanted))")
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    /// `SmallFloatFormat.decode` gives the canonical NaN for every NaN pattern, where ml_dtypes
    /// keeps bf16 payloads (a plain widening); everything else must match bit for bit.
    @Test(arguments: [NarrowFormat.bf16, .e4m3, .e5m2])
    func smallFloatFormatDecodesEveryPattern(_ format: NarrowFormat) throws {
        let codec = try #require(format.codec)
        let expected = try format.referenceDecoding()
        var mismatches = Mismatches()
        for (pattern, wanted) in expected.enumerated() {
            let actual = codec.decode(UInt32(pattern)).bitPattern
            mismatches.check(agrees(actual, wanted, .nanWithSameSign), "\(hex(pattern)) -> \(hex(actual)), expected \(hex(wanted))")
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test(arguments: NarrowFormat.all)
    func elementConversionEncodesLikeTheReference(_ format: NarrowFormat) throws {
        let inputs = try GoldenVectors.load("dtype/encode_input_f32.bin", as: UInt32.self)
        let expected = try format.loadPatterns("dtype/encode_\(format.name).bin")
        #expect(expected.count == inputs.count && inputs.count > 10_000)
        let decoding = try format.referenceDecoding()
        let encoded = try encodeWithElementConversion(inputs.map(Float.init(bitPattern:)), format: format)
        let rule: NaNRule = format.referenceNaNIsCanonical ? .exactBits : .nanWithSameSign
        var mismatches = Mismatches()
        for (input, (actual, wanted)) in zip(inputs, zip(encoded, expected)) {
            mismatches.check(agrees(actual, wanted, rule, format: format, decoding: decoding),
                             "\(hex(input)) -> \(hex(actual)), expected \(hex(wanted))")
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test(arguments: [NarrowFormat.bf16, .e4m3, .e5m2])
    func smallFloatFormatEncodesLikeMLDtypes(_ format: NarrowFormat) throws {
        let codec = try #require(format.codec)
        let inputs = try GoldenVectors.load("dtype/encode_input_f32.bin", as: UInt32.self)
        let expected = try format.loadPatterns("dtype/encode_\(format.name).bin")
        var mismatches = Mismatches()
        for (input, wanted) in zip(inputs, expected) {
            let actual = codec.encode(Float(bitPattern: input))
            mismatches.check(actual == wanted, "\(hex(input)) -> \(hex(actual)), expected \(hex(wanted))")
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    /// ONNX `saturate=1`: overflow and ±Inf clamp to ±max finite, NaN stays NaN.
    @Test(arguments: [NarrowFormat.e4m3, .e5m2])
    func saturatingEncodeMatchesONNX(_ format: NarrowFormat) throws {
        let codec = try #require(format.codec)
        let inputs = try GoldenVectors.load("dtype/encode_input_f32.bin", as: UInt32.self)
        let expected = try format.loadPatterns("dtype/encode_saturate_\(format.name).bin")
        #expect(expected.count == inputs.count)
        var mismatches = Mismatches()
        for (input, wanted) in zip(inputs, expected) {
            let actual = codec.encode(Float(bitPattern: input), saturating: true)
            mismatches.check(actual == wanted, "\(hex(input)) -> \(hex(actual)), expected \(hex(wanted))")
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(codec.encode(-.infinity, saturating: true) == codec.maxFinitePattern | format.signBit)
    }
}

/// float64 → narrow formats must round once. The inputs sit a few float64 ulps off the
/// formats' ties, where rounding to the nearest float32 first would round twice.
@Suite struct RoundToOddTests {
    static func inputs() throws -> [Double] {
        try GoldenVectors.load("dtype/round_input_f64.bin", as: UInt64.self).map(Double.init(bitPattern:))
    }

    static func encode(_ value: Float, _ format: NarrowFormat) -> UInt32 {
        guard let codec = format.codec else { return UInt32(Float16(value).bitPattern) }
        return codec.encode(value)
    }

    @Test(arguments: NarrowFormat.all)
    func roundToOddThenNearestIsCorrectlyRounded(_ format: NarrowFormat) throws {
        let values = try Self.inputs()
        let expected = try format.loadPatterns("dtype/round_\(format.name).bin")
        #expect(expected.count == values.count && values.count > 1000)
        var mismatches = Mismatches()
        var naiveErrors = 0
        for (value, wanted) in zip(values, expected) {
            let actual = Self.encode(ElementConversion.roundToOdd(value), format)
            mismatches.check(actual == wanted, "\(value) -> \(hex(actual)), expected \(hex(wanted))")
            if Self.encode(Float(value), format) != wanted { naiveErrors += 1 }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(naiveErrors > 0, "the inputs must include cases that rounding twice gets wrong")
    }

    @Test(arguments: NarrowFormat.all)
    func float64TensorConversionRoundsOnce(_ format: NarrowFormat) throws {
        let values = try Self.inputs()
        let expected = try format.loadPatterns("dtype/round_\(format.name).bin")
        let bytes = values.flatMap { value in (0..<8).map { UInt8(truncatingIfNeeded: value.bitPattern >> UInt64(8 * $0)) } }
        let tensor = try Tensor(dtype: .f64, shape: [values.count], bytes: bytes)
        let converted = try tensor.converted(to: format.dtype)
        let actual = unpacked(converted.bytes, width: format.dtype.byteSize)
        var mismatches = Mismatches()
        for (index, (got, wanted)) in zip(actual, expected).enumerated() {
            mismatches.check(got == wanted, "\(values[index]) -> \(hex(got)), expected \(hex(wanted))")
        }
        #expect(actual.count == expected.count)
        #expect(mismatches.isEmpty, "\(mismatches)")
    }
}
