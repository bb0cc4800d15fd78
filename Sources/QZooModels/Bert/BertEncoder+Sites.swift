import QZooCore

extension BertEncoder {
    /// Shows site `site` of layer `index` to `observer` for one batch in `state` (see
    /// `LayerSite`), computing nothing: sequential calibration measures a site on every batch
    /// before quantizing the site's weights and applying them.
    func observe<O: LinearInputObserver>(_ site: LayerSite, layer index: Int, _ state: LayerActivations<Float>,
                                         observer: inout O) throws {
        let model = try floatModel(layer: index)
        try model.observe(site, layer: index, state, observe: { try observer.report($0, group: $1, input: $2, rows: $3, columns: $4) })
    }

    /// Applies site `site` of layer `index` to one batch (unobserved), leaving the next site's
    /// input in `state`.
    func apply(_ site: LayerSite, layer index: Int, _ state: inout LayerActivations<Float>, _ batch: TokenBatch,
               profile: inout ForwardProfile) throws {
        let model = try floatModel(layer: index)
        try model.apply(site, layer: index, &state, batch, observe: { _, _, _, _, _ in }, profile: &profile)
    }

    /// The float32 forward pass, for the site-by-site steps (sequential calibration runs in float32).
    private func floatModel(layer index: Int) throws -> BertForward<Float> {
        guard (0..<config.layerCount).contains(index) else {
            throw QZooError(.invalidArgument, "layer \(index) is outside the encoder's \(config.layerCount) layers")
        }
        guard case .float(let model) = forward else {
            throw QZooError(.invalidArgument, "running an encoder layer site by site needs a float32 encoder, not \(precision.rawValue)")
        }
        return model
    }
}

extension BertEncoder {
    /// This encoder with some linear weights or biases of layer `index` replaced by `tensors`
    /// (keyed by tensor name, same shapes), converting only those: sequential calibration swaps
    /// in each site's quantized weights (and corrected biases) without rebuilding the model.
    func replacingWeights(_ tensors: [String: Tensor], layer index: Int) throws -> BertEncoder {
        guard (0..<config.layerCount).contains(index) else {
            throw QZooError(.invalidArgument, "layer \(index) is outside the encoder's \(config.layerCount) layers")
        }
        let linears = architecture.layerLinears(index)
        var copy = self
        for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
            let weight = linears.firstIndex(where: { $0.name == name }), bias = linears.firstIndex(where: { $0.biasName == name })
            guard let position = weight ?? bias else {
                throw QZooError(.invalidArgument, "is not a linear weight or bias of encoder layer \(index)", tensor: name)
            }
            let linear = linears[position]
            let expected = weight != nil ? [linear.outFeatures, linear.inFeatures] : [linear.outFeatures]
            guard tensor.dtype.isFloatingPoint, tensor.shape == expected else {
                throw QZooError(.invalidArgument, "replacement is \(tensor.dtype.rawValue) \(tensor.shape); expected a floating-point \(expected)", tensor: name)
            }
            copy.forward = copy.forward.replacing(position, layer: index, isWeight: weight != nil, values: tensor.floats())
        }
        return copy
    }
}

extension BertEncoder.Forward {
    /// The same model with one linear's weight (or bias) replaced by `values`.
    func replacing(_ position: Int, layer index: Int, isWeight: Bool, values: [Float]) -> Self {
        switch self {
        case .float(var model):
            model.weights.replace(isWeight ? \.weight : \.bias, ofLinear: position, layer: index, values: values)
            return .float(model)
        case .double(var model):
            model.weights.replace(isWeight ? \.weight : \.bias, ofLinear: position, layer: index, values: values.map(Double.init))
            return .double(model)
        }
    }
}
