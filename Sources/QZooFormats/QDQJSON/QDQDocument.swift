import QZooCore

/// What a QDQ JSON file set holds: a checkpoint (quantized weights, dense tensors, metadata)
/// and the activation quantization parameters a runtime needs for QuantizeLinear /
/// DequantizeLinear pairs on activations (filled by SmoothQuant W8A8 and similar passes).
///
/// The activations travel beside the checkpoint rather than in it because no other format
/// holds them yet; `CheckpointIO` reads and writes the checkpoint part only.
public struct QDQDocument: Sendable {
    public var checkpoint: Checkpoint
    /// Per activation tensor name.
    public var activations: [String: QDQActivationParams]

    public init(checkpoint: Checkpoint, activations: [String: QDQActivationParams] = [:]) {
        self.checkpoint = checkpoint
        self.activations = activations
    }
}

/// The quantization of one activation: `q = saturate(round(x / scale) + zeroPoint)`, as ONNX
/// QuantizeLinear with a scalar scale, or (dynamic) symmetric with one scale per token computed
/// at run time; optionally after a per-channel `Mul` (the consumer's explicit input scale `1/s`).
/// Validated on creation, so a document can only hold parameters a runtime accepts.
public struct QDQActivationParams: Sendable, Equatable {
    public let elementType: ONNXElementType
    /// The fixed scale; nil for the dynamic per-token scheme.
    public let scale: Float?
    /// Absent means ONNX's default zero point 0.
    public let zeroPoint: Int?
    /// Per-channel multiplier applied before QuantizeLinear (`Mul(x, mul)`), or nil.
    public let mul: [Float]?

    /// Static per-tensor parameters.
    public init(elementType: ONNXElementType, scale: Float, zeroPoint: Int? = nil, mul: [Float]? = nil) throws {
        guard scale.isFinite, scale > 0 else {
            throw QZooError.malformed("activation scale must be finite and positive, got \(scale)")
        }
        if let zeroPoint, !elementType.integerRange.contains(zeroPoint) {
            let range = elementType.integerRange
            throw QZooError.malformed("activation zero point \(zeroPoint) is outside \(elementType.rawValue)'s range \(range.lowerBound)...\(range.upperBound)")
        }
        try Self.check(mul)
        self.elementType = elementType
        self.scale = scale
        self.zeroPoint = zeroPoint
        self.mul = mul
    }

    /// Dynamic per-token parameters: a signed integer type, scale `max(max_j |x_j|, 1e-5) / qmax`
    /// per row (formats/qdq-json.md §8).
    public init(dynamicPerToken elementType: ONNXElementType, mul: [Float]? = nil) throws {
        guard elementType.isInteger, elementType.isSigned else {
            throw QZooError.malformed("dynamic per-token activations need a signed integer type, got \(elementType.rawValue)")
        }
        try Self.check(mul)
        self.elementType = elementType
        self.scale = nil
        self.zeroPoint = nil
        self.mul = mul
    }

    static func check(_ mul: [Float]?) throws {
        guard let mul else { return }
        guard !mul.isEmpty, mul.allSatisfy({ $0.isFinite && $0 != 0 }) else {
            throw QZooError.malformed("activation mul must be a non-empty vector of finite non-zero values")
        }
    }

    /// The first opset whose QuantizeLinear/DequantizeLinear accept these parameters (a per-token
    /// scale is a per-axis QuantizeLinear, opset 13).
    public var minimumOpset: Int { max(elementType.minimumOpset, scale == nil ? 13 : 10) }
}
