import QZooCore

extension CalibrationSet {
    /// The set as tensors: `NAME.hessian` F64 `[in, in]`, `NAME.tokens` I64 `[]`,
    /// `NAME.act_absmax` and `NAME.act_absmean` F32 `[in]`, `NAME.act_mean` F64 `[in]`, plus
    /// the metadata.
    public func checkpoint() throws -> Checkpoint {
        var checkpoint = Checkpoint(metadata: metadata)
        for name in order {
            guard let layer = layers[name] else { continue }
            let n = layer.inFeatures
            try checkpoint.add(key(name, .hessian), try PlainTensor.make(.f64, shape: [n, n], layer.hessian))
            try checkpoint.add(key(name, .tokens), try PlainTensor.make(.i64, shape: [], [Int64(layer.tokens)]))
            if let absMax = layer.absMax { try checkpoint.add(key(name, .absMax), try PlainTensor.make(.f32, shape: [n], absMax)) }
            if let absMean = layer.absMean { try checkpoint.add(key(name, .absMean), try PlainTensor.make(.f32, shape: [n], absMean)) }
            if let mean = layer.mean { try checkpoint.add(key(name, .mean), try PlainTensor.make(.f64, shape: [n], mean)) }
        }
        return checkpoint
    }

    /// Reads a calibration checkpoint and checks it against `layers` (the model's linear
    /// layers): every tensor must be `LAYER.FIELD` for a known layer, every layer present needs
    /// a hessian and a token count, and shapes must match the layer's input width.
    public init(checkpoint: Checkpoint, layers model: [LinearLayer]) throws {
        let known = Dictionary(model.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var fields: [String: [Field: Tensor]] = [:]
        for (name, tensor) in checkpoint.tensors {
            guard let (layer, field) = Self.split(name) else {
                throw QZooError.malformed("is not LAYER.hessian, LAYER.tokens, LAYER.act_absmax, LAYER.act_absmean or LAYER.act_mean", tensor: name)
            }
            guard known[layer] != nil else {
                throw QZooError.malformed("names no linear layer of the model (expected e.g. \(model.first?.name ?? "none"))", tensor: name)
            }
            fields[layer, default: [:]][field] = tensor
        }
        var layers: [String: LayerCalibration] = [:]
        for (name, tensors) in fields {
            guard let linear = known[name] else { continue }
            layers[name] = try Self.layer(linear, tensors)
        }
        self.init(layers: layers, order: model.map(\.name).filter { layers[$0] != nil }, metadata: checkpoint.metadata)
    }

    func key(_ layer: String, _ field: Field) -> String { layer + "." + field.rawValue }

    static func split(_ name: String) -> (String, Field)? {
        for field in Field.allCases where name.hasSuffix("." + field.rawValue) {
            return (String(name.dropLast(field.rawValue.count + 1)), field)
        }
        return nil
    }

    static func layer(_ linear: LinearLayer, _ tensors: [Field: Tensor]) throws -> LayerCalibration {
        let n = linear.inFeatures
        let name = { (field: Field) in linear.name + "." + field.rawValue }
        guard let hessian = tensors[.hessian], let tokens = tensors[.tokens] else {
            throw QZooError.malformed("needs both .hessian and .tokens", tensor: linear.name)
        }
        guard hessian.dtype.isFloatingPoint, hessian.shape == [n, n] else {
            throw QZooError.malformed("must be a floating-point [\(n), \(n)] matrix (the layer has \(n) inputs), found \(hessian.dtype.rawValue) \(hessian.shape)", tensor: name(.hessian))
        }
        guard tokens.dtype == .i64, tokens.shape.isEmpty, let count = PlainTensor.int64s(tokens).first, count > 0 else {
            throw QZooError.malformed("must be a positive I64 scalar", tensor: name(.tokens))
        }
        let vector = { (field: Field) throws -> Tensor? in
            guard let tensor = tensors[field] else { return nil }
            guard tensor.dtype.isFloatingPoint, tensor.shape == [n] else {
                throw QZooError.malformed("must be a floating-point [\(n)] vector, found \(tensor.dtype.rawValue) \(tensor.shape)", tensor: name(field))
            }
            return tensor
        }
        return LayerCalibration(inFeatures: n, tokens: Int(count), hessian: try PlainTensor.doubles(hessian),
                                absMax: try vector(.absMax)?.floats(), absMean: try vector(.absMean)?.floats(),
                                mean: try vector(.mean).map(PlainTensor.doubles))
    }
}
