import QZooCore

/// The index's JSON form (formats/qpack.md §3): decoding with strict checks, and the
/// canonical encoding the writer hashes.
extension QPackIndex {
    static func decode(_ json: JSONValue) throws -> QPackIndex {
        var top = try JSONObjectReader(json, context: "index")
        let metadata = try top.stringMap("metadata")
        let items = try top.array("tensors")
        let activations = try top.optional("activations").map(decodeActivations) ?? [:]
        try top.finish()
        var records: [QPackRecord] = []
        var names = Set<String>()
        for item in items {
            let record = try decodeRecord(item)
            guard names.insert(record.name).inserted else {
                throw QZooError.malformed("duplicate tensor name", tensor: record.name)
            }
            records.append(record)
        }
        for name in activations.keys.sorted() where !names.contains(name) {
            throw QZooError.malformed("activations: names no tensor of the file", tensor: name)
        }
        return QPackIndex(metadata: metadata, records: records, dataStart: 0, activations: activations)
    }

    static func decodeRecord(_ json: JSONValue) throws -> QPackRecord {
        var object = try JSONObjectReader(json, context: "tensor record")
        let name = try object.string("name")
        guard !name.isEmpty else { throw QZooError.malformed("tensor record: \"name\" is empty") }
        do {
            let kind = try object.string("kind")
            let record: QPackRecord
            switch kind {
            case "dense":
                let data = try decodeSection(try object.value("data"), "data")
                let scale = try object.optional("input_scale").map { try decodeSection($0, "input_scale") }
                if let scale {
                    guard data.shape.count == 2, data.dtype.isFloatingPoint, scale.dtype == .f32, scale.shape == [data.shape[1]] else {
                        throw QZooError.malformed("input_scale must be F32 [columns] of a floating-point [rows, columns] tensor, got \(scale.dtype.rawValue) \(scale.shape) for \(data.dtype.rawValue) \(data.shape)")
                    }
                }
                record = .dense(name: name, data: data, inputScale: scale)
            case "affine": record = .affine(try decodeAffine(name: name, &object))
            case "lattice": record = .lattice(try decodeLattice(name: name, &object))
            default:
                throw QZooError.unsupported("tensor kind \"\(kind)\" is not supported (qpack version 1 defines \"dense\", \"affine\" and \"lattice\")")
            }
            try object.finish()
            return record
        } catch let error as QZooError {
            throw error.inTensor(name)
        }
    }

    /// `shape` and `source_dtype`, common to quantized records.
    static func decodeWeightShape(_ kind: String, _ object: inout JSONObjectReader) throws -> (shape: [Int], source: DType) {
        let shape = try object.shape("shape")
        guard shape.count == 2, shape[0] > 0, shape[1] > 0, CheckedMath.multiply(shape[0], shape[1]) != nil,
              CheckedMath.add(shape[0], shape[1]) != nil else {
            throw QZooError.malformed("\(kind) \"shape\" must be [rows, columns] with both positive, got \(shape)")
        }
        let source = try decodeDType(try object.string("source_dtype"), "source_dtype")
        guard source.isFloatingPoint else {
            throw QZooError.malformed("\"source_dtype\" must be a floating-point dtype, got \(source.rawValue)")
        }
        return (shape, source)
    }

    static func decodeLattice(name: String, _ object: inout JSONObjectReader) throws -> QPackLatticeRecord {
        let (shape, source) = try decodeWeightShape("lattice", &object)
        var scheme = try JSONObjectReader(try object.value("scheme"), context: "scheme")
        let codebookName = try scheme.string("codebook")
        try scheme.finish()
        guard let codebook = LatticeCodebook(rawValue: codebookName) else {
            throw QZooError.unsupported("lattice codebook \"\(codebookName)\" is not supported (expected \(LatticeCodebook.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let record = QPackLatticeRecord(
            name: name, rows: shape[0], columns: shape[1], codebook: codebook, sourceDType: source,
            codes: try decodeSection(try object.value("codes"), "codes"), scale: try decodeSection(try object.value("scales"), "scales"),
            transforms: try object.array("transforms").enumerated().map { try decodeTransform($1, index: $0) })
        try record.validateShapes()
        return record
    }

    static func decodeAffine(name: String, _ object: inout JSONObjectReader) throws -> QPackAffineRecord {
        let (shape, source) = try decodeWeightShape("affine", &object)
        let grid = try decodeScheme(try object.value("scheme"))
        let codes = try decodeSection(try object.value("codes"), "codes")
        let scales = try decodeSection(try object.value("scales"), "scales")
        let zeroPoints = try object.optional("zero_points").map { try decodeSection($0, "zero_points") }
        let transforms = try object.array("transforms").enumerated().map { try decodeTransform($1, index: $0) }
        let record = QPackAffineRecord(name: name, rows: shape[0], columns: shape[1], grid: grid, sourceDType: source,
                                       codes: codes, scales: scales, zeroPoints: zeroPoints, transforms: transforms)
        try record.validateShapes()
        return record
    }

    static func decodeScheme(_ json: JSONValue) throws -> AffineGrid {
        var object = try JSONObjectReader(json, context: "scheme")
        let bits = try object.int("bits", in: 1...8)
        let symmetric = try object.bool("symmetric")
        let granularity: Granularity
        switch try object.string("granularity") {
        case "tensor": granularity = .perTensor
        case "channel": granularity = .perChannel
        case "group": granularity = .group(size: try object.int("group_size", in: 1...Int.max))
        case let other:
            throw QZooError.unsupported("scheme granularity \"\(other)\" is not supported (expected tensor, channel or group)")
        }
        try object.finish()
        return AffineGrid(bits: bits, symmetric: symmetric, granularity: granularity)
    }

    static func decodeTransform(_ json: JSONValue, index: Int) throws -> QPackTransformRecord {
        var object = try JSONObjectReader(json, context: "transforms[\(index)]")
        let kindName = try object.string("kind")
        guard let kind = QPackTransformRecord.Kind(rawValue: kindName) else {
            throw QZooError.unsupported("transform kind \"\(kindName)\" is not supported (qpack version 1 defines \(QPackTransformRecord.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let data = try decodeSection(try object.value("data"), "transforms[\(index)].data")
        try object.finish()
        return QPackTransformRecord(kind: kind, data: data)
    }

    static func decodeSection(_ json: JSONValue, _ label: String) throws -> QPackSection {
        var object = try JSONObjectReader(json, context: "section \"\(label)\"")
        let dtype = try decodeDType(try object.string("dtype"), "\(label).dtype")
        let shape = try object.shape("shape")
        let offset = try object.int("offset")
        let length = try object.int("length")
        let digest = try object.string("sha256")
        try object.finish()
        guard SHA256Digest.isWellFormed(digest) else {
            throw QZooError.malformed("section \"\(label)\": sha256 must be 64 lowercase hex digits")
        }
        guard let expected = CheckedMath.byteCount(shape: shape, dtype: dtype) else {
            throw QZooError.malformed("section \"\(label)\": shape \(shape) of \(dtype.rawValue) overflows")
        }
        guard length == expected else {
            throw QZooError.malformed("section \"\(label)\": length \(length) does not match shape \(shape) of \(dtype.rawValue) (\(expected) bytes)")
        }
        return QPackSection(dtype: dtype, shape: shape, offset: offset, length: length, sha256: digest)
    }

    static func decodeDType(_ name: String, _ field: String) throws -> DType {
        guard let dtype = DType(rawValue: name) else { throw QZooError.malformed("\(field): unknown dtype \"\(name)\"") }
        return dtype
    }
}

extension QPackAffineRecord {
    /// Checks each section's dtype and shape against the grid and the weight shape, so a bad
    /// index is reported by the index parser rather than when tensors are built.
    func validateShapes() throws {
        let count = rows * columns
        guard let codeBytes = QuantizedTensor.packedByteCount(count: count, bits: grid.bits) else {
            throw QZooError.malformed("\(count) codes of \(grid.bits) bits overflow")
        }
        try expect(codes, "codes", .u8, [codeBytes])
        let scaleShape = grid.granularity.scaleShape(rows: rows, columns: columns)
        try expect(scales, "scales", .f32, scaleShape)
        switch (grid.symmetric, zeroPoints) {
        case (true, nil): break
        case (true, .some): throw QZooError.malformed("a symmetric scheme stores no zero_points section")
        case (false, nil): throw QZooError.malformed("an asymmetric scheme needs a zero_points section")
        case (false, .some(let zeros)): try expect(zeros, "zero_points", .u8, scaleShape)
        }
        try validateTransformShapes(transforms, rows: rows, columns: columns)
    }
}

extension QPackLatticeRecord {
    /// Codes and scale against the codebook and the weight shape (8 columns per block).
    func validateShapes() throws {
        guard columns % LatticeCodebook.blockWidth == 0,
              let codeBytes = CheckedMath.multiply(rows * (columns / LatticeCodebook.blockWidth), codebook.bytesPerBlock) else {
            throw QZooError.malformed("a \(codebook.rawValue) weight needs a multiple of 8 columns, got \(columns)")
        }
        try expect(codes, "codes", .u8, [codeBytes])
        try expect(scale, "scales", .f32, [1])
        try validateTransformShapes(transforms, rows: rows, columns: columns)
    }
}

/// Each transform's section against its kind.
func validateTransformShapes(_ transforms: [QPackTransformRecord], rows: Int, columns: Int) throws {
    for (index, transform) in transforms.enumerated() {
        let (dtype, shape) = transform.expectedSection(rows: rows, columns: columns)
        try expect(transform.data, "transforms[\(index)] (\(transform.kind.rawValue))", dtype, shape)
    }
}

func expect(_ section: QPackSection, _ label: String, _ dtype: DType, _ shape: [Int]) throws {
    guard section.dtype == dtype, section.shape == shape else {
        throw QZooError.malformed("\(label) must be \(dtype.rawValue) of shape \(shape), got \(section.dtype.rawValue) \(section.shape)")
    }
}

extension QPackIndex {
    /// The canonical index JSON: sorted keys, no whitespace, records in file order.
    func encoded() -> [UInt8] {
        var members: [(key: String, value: JSONValue)] = [
            ("metadata", .strings(metadata)),
            ("tensors", .array(records.map(Self.encode))),
        ]
        if !activations.isEmpty { members.append(("activations", .object(activations.map { (key: $0.key, value: Self.encode($0.value)) }))) }
        let document: JSONValue = .object(members)
        return Array(JSONWriter.serialize(document, keys: .sorted).utf8)
    }

    static func encode(_ record: QPackRecord) -> JSONValue {
        switch record {
        case .dense(let name, let data, let scale):
            var members: [(key: String, value: JSONValue)] = [("name", .string(name)), ("kind", .string("dense")), ("data", encode(data))]
            if let scale { members.append(("input_scale", encode(scale))) }
            return .object(members)
        case .affine(let affine):
            var members: [(key: String, value: JSONValue)] = [
                ("name", .string(affine.name)), ("kind", .string("affine")),
                ("shape", .array([.int(affine.rows), .int(affine.columns)])),
                ("source_dtype", .string(affine.sourceDType.rawValue)),
                ("scheme", encode(affine.grid)),
                ("codes", encode(affine.codes)), ("scales", encode(affine.scales)),
                ("transforms", .array(affine.transforms.map {
                    .object([("kind", .string($0.kind.rawValue)), ("data", encode($0.data))])
                })),
            ]
            if let zeros = affine.zeroPoints { members.append(("zero_points", encode(zeros))) }
            return .object(members)
        case .lattice(let lattice):
            return .object([
                ("name", .string(lattice.name)), ("kind", .string("lattice")),
                ("shape", .array([.int(lattice.rows), .int(lattice.columns)])),
                ("source_dtype", .string(lattice.sourceDType.rawValue)),
                ("scheme", .object([("codebook", .string(lattice.codebook.rawValue))])),
                ("codes", encode(lattice.codes)), ("scales", encode(lattice.scale)),
                ("transforms", .array(lattice.transforms.map {
                    .object([("kind", .string($0.kind.rawValue)), ("data", encode($0.data))])
                })),
            ])
        }
    }

    static func encode(_ grid: AffineGrid) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("bits", .int(grid.bits)), ("symmetric", .bool(grid.symmetric))]
        switch grid.granularity {
        case .perTensor: members.append(("granularity", .string("tensor")))
        case .perChannel: members.append(("granularity", .string("channel")))
        case .group(let size): members += [("granularity", .string("group")), ("group_size", .int(size))]
        }
        return .object(members)
    }

    static func encode(_ section: QPackSection) -> JSONValue {
        .object([
            ("dtype", .string(section.dtype.rawValue)), ("shape", .array(section.shape.map { .int($0) })),
            ("offset", .int(section.offset)), ("length", .int(section.length)), ("sha256", .string(section.sha256)),
        ])
    }
}

/// The `activations` member (formats/qpack.md §3.2): weight name →
/// `{"bits": 8, "signed": true, "scheme": "static", "scale": 0.01, "zero_point": 0}` or
/// `{"bits": 8, "signed": true, "scheme": "dynamic_per_token"}`.
extension QPackIndex {
    static func decodeActivations(_ json: JSONValue) throws -> [String: ActivationQuantization] {
        guard let members = json.objectMembers else { throw QZooError.malformed("\"activations\" must be an object keyed by weight name") }
        var result: [String: ActivationQuantization] = [:]
        for (name, value) in members {
            do {
                var object = try JSONObjectReader(value, context: "activation")
                let bits = try object.int("bits", in: 1...64)
                let signed = try object.bool("signed")
                let scheme: ActivationQuantization.Scheme
                switch try object.string("scheme") {
                case "static":
                    let scaleValue = try object.value("scale")
                    guard case .number(let text) = scaleValue, let scale = Float(text) else {
                        throw QZooError.malformed("activation scale must be a number, got \(JSONObjectReader.describe(scaleValue))")
                    }
                    scheme = .staticPerTensor(scale: scale, zeroPoint: try object.int("zero_point", in: -65_536...65_536))
                case "dynamic_per_token": scheme = .dynamicPerToken
                case let other: throw QZooError.unsupported("activation scheme \"\(other)\" is not supported (static or dynamic_per_token)")
                }
                try object.finish()
                result[name] = try ActivationQuantization(bits: bits, signed: signed, scheme: scheme)
            } catch let error as QZooError {
                throw error.inTensor(name)
            }
        }
        return result
    }

    static func encode(_ quantization: ActivationQuantization) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("bits", .int(quantization.bits)), ("signed", .bool(quantization.signed))]
        switch quantization.scheme {
        case .staticPerTensor(let scale, let zeroPoint):
            members += [("scheme", .string("static")), ("scale", .number(scale.description)), ("zero_point", .int(zeroPoint))]
        case .dynamicPerToken:
            members.append(("scheme", .string("dynamic_per_token")))
        }
        return .object(members)
    }
}
