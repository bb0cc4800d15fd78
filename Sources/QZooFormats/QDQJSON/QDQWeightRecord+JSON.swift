import QZooCore

/// A weight record's JSON form (formats/qdq-json.md §4): strict decoding and canonical encoding.
extension QDQWeightRecord {
    static func decode(_ json: JSONValue) throws -> QDQWeightRecord {
        var object = try JSONObjectReader(json, context: "weight record")
        let name = try object.string("name")
        guard !name.isEmpty else { throw QZooError.malformed("weight record: \"name\" is empty") }
        do {
            let record = try decodeFields(name: name, &object)
            try object.finish()
            return record
        } catch let error as QZooError {
            throw error.inTensor(name)
        }
    }

    private static func decodeFields(name: String, _ object: inout JSONObjectReader) throws -> QDQWeightRecord {
        let op = try object.string("op")
        guard op == "DequantizeLinear" else { throw QZooError.unsupported("op \"\(op)\" is not supported; weight records describe DequantizeLinear") }
        var x = try JSONObjectReader(try object.value("x"), context: "x")
        let type = try ONNXElementType.parse(try x.string("elem_type"), role: "x")
        let shape = try x.shape("shape")
        guard shape.count == 2, shape[0] > 0, shape[1] > 0, CheckedMath.multiply(shape[0], shape[1]) != nil else {
            throw QZooError.malformed("x shape must be [rows, columns] with both positive, got \(shape)")
        }
        let external = try decodeExternal(try x.value("external_data"))
        try x.finish()
        let scale = try decodeFloats(try object.value("x_scale"), "x_scale")
        let zeroPoint = try object.optional("x_zero_point").map { try decodeZeroPoint($0) }
        let postOps = try (object.optional("post_ops")?.arrayValue ?? []).enumerated().map {
            try decodePostOp($1, index: $0, columns: shape[1])
        }
        var extensions = try object.optional("qzoo").map { try JSONObjectReader($0, context: "qzoo") }
        let gridBits = try extensions?.optionalInt("bits", in: 1...8)
        let source = try extensions?.optionalString("source_dtype").map { name -> DType in
            guard let dtype = DType(rawValue: name), dtype.isFloatingPoint else {
                throw QZooError.malformed("qzoo.source_dtype \"\(name)\" is not a floating-point dtype")
            }
            return dtype
        }
        try extensions?.finish()
        return QDQWeightRecord(
            name: name, minimumOpset: try object.int("min_opset", in: 1...Int.max), elementType: type, shape: shape,
            external: external, axis: try object.optionalInt("axis", in: Int.min...Int.max),
            blockSize: try object.optionalInt("block_size", in: Int.min...Int.max),
            scaleShape: scale.shape, scales: scale.values, zeroPoint: zeroPoint, postOps: postOps,
            gridBits: gridBits, sourceDType: source)
    }

    static func decodeExternal(_ json: JSONValue) throws -> QDQExternalData {
        var object = try JSONObjectReader(json, context: "x.external_data")
        let location = try object.string("location")
        guard QDQFileNames.isPlainFileName(location) else {
            throw QZooError.malformed("x.external_data location \"\(location)\" must be a file name in the JSON's directory")
        }
        let digest = try object.optionalString("sha256")
        if let digest, !SHA256Digest.isWellFormed(digest) {
            throw QZooError.malformed("x.external_data sha256 must be 64 lowercase hex digits")
        }
        let data = QDQExternalData(location: location, offset: try object.int("offset"), length: try object.int("length"), sha256: digest)
        try object.finish()
        return data
    }

    /// A FLOAT constant: `{"elem_type": "FLOAT", "shape": [...], "values": [...]}`.
    static func decodeFloats(_ json: JSONValue, _ role: String) throws -> (shape: [Int], values: [Float]) {
        var object = try JSONObjectReader(json, context: role)
        let type = try object.string("elem_type")
        guard type == "FLOAT" else { throw QZooError.unsupported("\(role) elem_type \(type) is not supported; qzoo scales are FLOAT") }
        let shape = try object.shape("shape")
        let values = try object.array("values").map { item -> Float in
            guard case .number(let text) = item, let value = Float(text), value.isFinite else {
                throw QZooError.malformed("\(role) values must be finite float32 numbers, got \(JSONObjectReader.describe(item))")
            }
            return value
        }
        try object.finish()
        try checkCount(values.count, shape, role)
        return (shape, values)
    }

    static func decodeZeroPoint(_ json: JSONValue) throws -> QDQZeroPoint {
        var object = try JSONObjectReader(json, context: "x_zero_point")
        let type = try ONNXElementType.parse(try object.string("elem_type"), role: "x_zero_point")
        let shape = try object.shape("shape")
        let values = try object.array("values").map {
            try JSONObjectReader.integer($0, in: type.integerRange, "x_zero_point value for \(type.rawValue)")
        }
        try object.finish()
        try checkCount(values.count, shape, "x_zero_point")
        return QDQZeroPoint(elementType: type, shape: shape, values: values)
    }

    static func decodePostOp(_ json: JSONValue, index: Int, columns: Int) throws -> QDQPostOp {
        var object = try JSONObjectReader(json, context: "post_ops[\(index)]")
        let op: QDQPostOp
        switch try object.string("op") {
        case "Div":
            let divisor = try decodeFloats(try object.value("b"), "post_ops[\(index)].b")
            guard divisor.shape == [1, columns], divisor.values.allSatisfy({ $0 != 0 }) else {
                throw QZooError.malformed("post_ops[\(index)] Div needs a non-zero b of shape [1, \(columns)], got \(divisor.shape)")
            }
            op = .divide(divisor.values)
        case "Gather":
            let axis = try object.int("axis", in: -2...1)
            guard axis == 1 || axis == -1 else { throw QZooError.unsupported("post_ops[\(index)] Gather along axis \(axis); only axis 1 (columns) undoes a column permutation") }
            op = .gather(try decodeIndices(try object.value("indices"), index: index, columns: columns))
        case let other:
            throw QZooError.unsupported("post_ops[\(index)] op \"\(other)\" is not supported (Div and Gather are)")
        }
        try object.finish()
        return op
    }

    /// Gather indices: INT64 of shape `[columns]`, a permutation of `0..<columns`.
    static func decodeIndices(_ json: JSONValue, index: Int, columns: Int) throws -> [Int] {
        var object = try JSONObjectReader(json, context: "post_ops[\(index)].indices")
        guard try object.string("elem_type") == "INT64", try object.shape("shape") == [columns] else {
            throw QZooError.malformed("post_ops[\(index)].indices must be INT64 of shape [\(columns)]")
        }
        let values = try object.array("values").map { try JSONObjectReader.integer($0, in: 0...(columns - 1), "post_ops[\(index)].indices value") }
        try object.finish()
        guard values.count == columns, Set(values).count == columns else {
            throw QZooError.malformed("post_ops[\(index)].indices are not a permutation of 0..<\(columns)")
        }
        return values
    }

    static func checkCount(_ count: Int, _ shape: [Int], _ role: String) throws {
        guard let expected = CheckedMath.product(shape), expected == count else {
            throw QZooError.malformed("\(role) has \(count) values but shape \(shape) needs \(CheckedMath.product(shape).map(String.init) ?? "too many")")
        }
    }
}

extension QDQWeightRecord {
    /// The record as JSON; keys are sorted when serialised.
    func encoded() -> JSONValue {
        var externalMembers: [(key: String, value: JSONValue)] = [
            ("location", .string(external.location)), ("offset", .int(external.offset)), ("length", .int(external.length)),
        ]
        if let digest = external.sha256 { externalMembers.append(("sha256", .string(digest))) }
        var members: [(key: String, value: JSONValue)] = [
            ("name", .string(name)), ("op", .string("DequantizeLinear")), ("min_opset", .int(minimumOpset)),
            ("x", .object([
                ("elem_type", .string(elementType.rawValue)), ("shape", .array(shape.map { .int($0) })),
                ("external_data", .object(externalMembers)),
            ])),
            ("x_scale", Self.floats(scaleShape, scales)),
            ("post_ops", .array(postOps.map(Self.encode))),
        ]
        if let axis { members.append(("axis", .int(axis))) }
        if let blockSize { members.append(("block_size", .int(blockSize))) }
        if let zeroPoint {
            members.append(("x_zero_point", .object([
                ("elem_type", .string(zeroPoint.elementType.rawValue)), ("shape", .array(zeroPoint.shape.map { .int($0) })),
                ("values", .array(zeroPoint.values.map { .int($0) })),
            ])))
        }
        var extensions: [(key: String, value: JSONValue)] = []
        if let gridBits { extensions.append(("bits", .int(gridBits))) }
        if let sourceDType { extensions.append(("source_dtype", .string(sourceDType.rawValue))) }
        if !extensions.isEmpty { members.append(("qzoo", .object(extensions))) }
        return .object(members)
    }

    static func encode(_ op: QDQPostOp) -> JSONValue {
        switch op {
        case .divide(let values):
            return .object([("op", .string("Div")), ("b", floats([1, values.count], values))])
        case .gather(let indices):
            return .object([
                ("op", .string("Gather")), ("axis", .int(1)),
                ("indices", .object([
                    ("elem_type", .string("INT64")), ("shape", .array([.int(indices.count)])),
                    ("values", .array(indices.map { .int($0) })),
                ])),
            ])
        }
    }

    /// A FLOAT constant with each value in its shortest round-tripping decimal form.
    static func floats(_ shape: [Int], _ values: [Float]) -> JSONValue {
        .object([
            ("elem_type", .string("FLOAT")), ("shape", .array(shape.map { .int($0) })),
            ("values", .array(values.map { .number($0.description) })),
        ])
    }
}
