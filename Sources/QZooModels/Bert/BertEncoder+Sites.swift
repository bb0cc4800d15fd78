import QZooCore
import QZooMath

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

    /// Whether `applyIntermediateKeepingRounded` runs for layer `index` (`BertForward.keepsIntermediateRounded`).
    func keepsIntermediateRounded(layer index: Int) -> Bool {
        guard case .float(let model) = forward else { return false }
        return model.keepsIntermediateRounded(layer: index)
    }

    /// Applies `.ffnInput` of layer `index` to one batch, measuring its output with `measure`
    /// and keeping it only rounded to bfloat16 (`BertForward.applyIntermediateKeepingRounded`).
    func applyIntermediateKeepingRounded(layer index: Int, _ state: inout LayerActivations<Float>, _ batch: TokenBatch, profile: inout ForwardProfile,
                                         measure: (Int, Int, (UnsafeMutableBufferPointer<Double>) throws -> BFloat16Product.Packed) throws -> Void) throws {
        try floatModel(layer: index).applyIntermediateKeepingRounded(layer: index, &state, batch, profile: &profile, measure: measure)
    }

    /// The float32 forward pass (its linear products in bfloat16 or not), for the site-by-site
    /// steps.
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
        var replacements: [(position: Int, isWeight: Bool, values: [Float])] = []
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
            replacements.append((position, weight != nil, tensor.floats()))
        }
        var copy = self
        copy.forward = try forward.replacing(replacements, layer: index)
        return copy
    }
}

extension BertEncoder.Forward {
    /// The same model with some of layer `index`'s linear weights (or biases) replaced.
    func replacing(_ replacements: [(position: Int, isWeight: Bool, values: [Float])], layer index: Int) throws -> Self {
        switch self {
        case .float(var model):
            for (position, isWeight, values) in replacements {
                try model.weights.replace(isWeight ? \.weight : \.bias, ofLinear: position, layer: index, values: values)
            }
            return .float(model)
        case .double(var model):
            for (position, isWeight, values) in replacements {
                try model.weights.replace(isWeight ? \.weight : \.bias, ofLinear: position, layer: index, values: values.map(Double.init))
            }
            return .double(model)
        }
    }
}
