import QZooCore

/// Between a checkpoint (activation quantization keyed by the consuming weight) and a QDQ
/// document (keyed by activation tensor name `STEM.input` for the weight `STEM.weight`, with the
/// consumer's explicit input scale as a `Mul` before QuantizeLinear).
extension QDQDocument {
    /// The document for `checkpoint`. A pending (dense) input scale has no place in the dense
    /// companion, so such a checkpoint is rejected: quantize the weight or fold the scale.
    public init(exporting checkpoint: Checkpoint) throws {
        if let name = checkpoint.inputScales.keys.sorted().first {
            throw QZooError.unsupported("carries an input scale but is not quantized; QDQ JSON stores input scales only with quantized weights "
                                        + "(quantize it too, or --dequantize to fold the scale)", tensor: name)
        }
        var activations: [String: QDQActivationParams] = [:]
        for (weight, quantization) in checkpoint.activations {
            do {
                activations[Self.activationName(ofWeight: weight)] = try Self.params(quantization, mul: checkpoint.inputScale(of: weight).map(WeightTransform.inputMultiplier))
            } catch let error as QZooError {
                throw error.inTensor(weight)
            }
        }
        self.init(checkpoint: checkpoint, activations: activations)
    }

    /// The checkpoint with the activation parameters attached to their consuming weights. Every
    /// activation must name a weight of the document, have an integer type, and carry a `mul`
    /// exactly when that weight has a leading input scale, equal to its reciprocals.
    public func checkpointWithActivations() throws -> Checkpoint {
        var result = checkpoint
        for (name, params) in activations {
            do {
                guard name.hasSuffix(".input") else {
                    throw QZooError.unsupported("activation names must be 'STEM.input' for the weight 'STEM.weight' it feeds")
                }
                let weight = String(name.dropLast(".input".count)) + ".weight"
                guard checkpoint.tensors[weight] != nil || checkpoint.quantized[weight] != nil else {
                    throw QZooError.malformed("feeds '\(weight)', which the document does not hold")
                }
                let expected = checkpoint.inputScale(of: weight).map(WeightTransform.inputMultiplier)
                guard params.mul == expected else {
                    throw QZooError.malformed("mul must be the reciprocal of \(weight)'s input_scale (Div post op) exactly, and absent without one")
                }
                result.activations[weight] = try Self.quantization(params)
            } catch let error as QZooError {
                throw error.inTensor(name)
            }
        }
        return result
    }

    /// `STEM.input` for `STEM.weight` (other names get `.input` appended).
    public static func activationName(ofWeight weight: String) -> String {
        (weight.hasSuffix(".weight") ? String(weight.dropLast(".weight".count)) : weight) + ".input"
    }

    static func params(_ quantization: ActivationQuantization, mul: [Float]?) throws -> QDQActivationParams {
        guard let type = ONNXElementType.allCases.first(where: { $0.isInteger && $0.bits == quantization.bits && $0.isSigned == quantization.signed }) else {
            throw QZooError.unsupported("no ONNX integer type has \(quantization.bits) bits")
        }
        switch quantization.scheme {
        case .staticPerTensor(let scale, let zeroPoint):
            return try QDQActivationParams(elementType: type, scale: scale, zeroPoint: zeroPoint == 0 ? nil : zeroPoint, mul: mul)
        case .dynamicPerToken:
            return try QDQActivationParams(dynamicPerToken: type, mul: mul)
        }
    }

    static func quantization(_ params: QDQActivationParams) throws -> ActivationQuantization {
        guard params.elementType.isInteger else {
            throw QZooError.unsupported("qzoo simulates integer activation types only, got \(params.elementType.rawValue)")
        }
        let scheme: ActivationQuantization.Scheme = params.scale.map { .staticPerTensor(scale: $0, zeroPoint: params.zeroPoint ?? 0) } ?? .dynamicPerToken
        return try ActivationQuantization(bits: params.elementType.bits, signed: params.elementType.isSigned, scheme: scheme)
    }
}
