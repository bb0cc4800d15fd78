import QZooCore

/// The top level of a QDQ JSON file (formats/qdq-json.md §2): format tag and version, the
/// opset the whole file needs, metadata, weight records, activation parameters and the dense
/// companion.
struct QDQEnvelope: Equatable {
    static let formatName = "qzoo-qdq"
    static let version = 1

    var minimumOpset: Int
    var metadata: [String: String]
    var weights: [QDQWeightRecord]
    var activations: [String: QDQActivationParams]
    var dense: QDQDenseReference?

    /// The opset everything in the file needs (10, the first with QuantizeLinear, when empty).
    static func requiredOpset(weights: [QDQWeightRecord], activations: [String: QDQActivationParams]) -> Int {
        (weights.map(\.minimumOpset) + activations.values.map(\.minimumOpset) + [10]).max() ?? 10
    }
}

/// The dense companion: a safetensors file beside the JSON, and its SHA-256.
struct QDQDenseReference: Equatable {
    var location: String
    var sha256: String?
}

extension QDQEnvelope {
    static func decode(_ json: JSONValue) throws -> QDQEnvelope {
        var top = try JSONObjectReader(json, context: "QDQ JSON")
        let format = try top.string("format")
        guard format == formatName else { throw QZooError.malformed("\"format\" is \"\(format)\", expected \"\(formatName)\"") }
        let version = try top.int("version")
        guard version == Self.version else {
            throw QZooError.unsupported("QDQ JSON version \(version) is not supported (this qzoo reads version \(Self.version))")
        }
        let weights = try top.array("weights").map(QDQWeightRecord.decode)
        let envelope = QDQEnvelope(
            minimumOpset: try top.int("min_opset", in: 1...Int.max), metadata: try top.stringMap("metadata"), weights: weights,
            activations: try decodeActivations(try top.value("activations")),
            dense: try top.optional("dense").map(decodeDense))
        try top.finish()
        let required = requiredOpset(weights: weights, activations: envelope.activations)
        guard envelope.minimumOpset >= required else {
            throw QZooError.malformed("min_opset \(envelope.minimumOpset) is below the \(required) that its records need")
        }
        return envelope
    }

    static func decodeActivations(_ json: JSONValue) throws -> [String: QDQActivationParams] {
        guard let members = json.objectMembers else { throw QZooError.malformed("\"activations\" must be an object keyed by tensor name") }
        var result: [String: QDQActivationParams] = [:]
        for (name, value) in members {
            do {
                result[name] = try decodeActivation(value)
            } catch let error as QZooError {
                throw error.inTensor(name)
            }
        }
        return result
    }

    static func decodeActivation(_ value: JSONValue) throws -> QDQActivationParams {
        var object = try JSONObjectReader(value, context: "activation")
        let type = try ONNXElementType.parse(try object.string("elem_type"), role: "activation")
        let mul = try object.optional("mul").map { json -> [Float] in
            let (shape, values) = try QDQWeightRecord.decodeFloats(json, "activation mul")
            guard shape.count == 1 else { throw QZooError.malformed("activation mul must be 1-D, got shape \(shape)") }
            return values
        }
        let params: QDQActivationParams
        if let dynamic = try object.optionalString("dynamic") {
            guard dynamic == "per_token" else {
                throw QZooError.unsupported("activation dynamic scheme \"\(dynamic)\" is not supported (only \"per_token\")")
            }
            guard object.optional("scale") == nil, object.optional("zero_point") == nil else {
                throw QZooError.malformed("a dynamic per-token activation has no scale or zero_point")
            }
            params = try QDQActivationParams(dynamicPerToken: type, mul: mul)
        } else {
            let scaleValue = try object.value("scale")
            guard case .number(let text) = scaleValue, let scale = Float(text) else {
                throw QZooError.malformed("activation scale must be a number, got \(JSONObjectReader.describe(scaleValue))")
            }
            let zero = try object.optionalInt("zero_point", in: Int.min...Int.max)
            params = try QDQActivationParams(elementType: type, scale: scale, zeroPoint: zero, mul: mul)
        }
        try object.finish()
        return params
    }

    static func encode(_ params: QDQActivationParams) -> JSONValue {
        var fields: [(key: String, value: JSONValue)] = [("elem_type", .string(params.elementType.rawValue))]
        if let scale = params.scale { fields.append(("scale", .number(scale.description))) } else { fields.append(("dynamic", .string("per_token"))) }
        if let zero = params.zeroPoint { fields.append(("zero_point", .int(zero))) }
        if let mul = params.mul { fields.append(("mul", QDQWeightRecord.floats([mul.count], mul))) }
        return .object(fields)
    }

    static func decodeDense(_ json: JSONValue) throws -> QDQDenseReference {
        var object = try JSONObjectReader(json, context: "dense")
        let location = try object.string("location")
        guard QDQFileNames.isPlainFileName(location) else {
            throw QZooError.malformed("dense location \"\(location)\" must be a file name in the JSON's directory")
        }
        let digest = try object.optionalString("sha256")
        if let digest, !SHA256Digest.isWellFormed(digest) {
            throw QZooError.malformed("dense sha256 must be 64 lowercase hex digits")
        }
        try object.finish()
        return QDQDenseReference(location: location, sha256: digest)
    }

    /// Canonical bytes: sorted keys, no whitespace, one trailing newline.
    func encoded() -> [UInt8] {
        var members: [(key: String, value: JSONValue)] = [
            ("format", .string(Self.formatName)), ("version", .int(Self.version)), ("min_opset", .int(minimumOpset)),
            ("metadata", .strings(metadata)), ("weights", .array(weights.map { $0.encoded() })),
            ("activations", .object(activations.map { (key: $0.key, value: Self.encode($0.value)) })),
        ]
        if let dense {
            var fields: [(key: String, value: JSONValue)] = [("location", .string(dense.location))]
            if let digest = dense.sha256 { fields.append(("sha256", .string(digest))) }
            members.append(("dense", .object(fields)))
        }
        return Array((JSONWriter.serialize(.object(members), keys: .sorted) + "\n").utf8)
    }
}
