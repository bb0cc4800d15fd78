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

/// Per-tensor quantization of one activation: `q = saturate(round(x / scale) + zeroPoint)`, as
/// ONNX QuantizeLinear with a scalar scale. Validated on creation, so a document can only hold
/// parameters a runtime accepts.
public struct QDQActivationParams: Sendable, Equatable {
    public let elementType: ONNXElementType
    public let scale: Float
    /// Absent means ONNX's default zero point 0.
    public let zeroPoint: Int?

    public init(elementType: ONNXElementType, scale: Float, zeroPoint: Int? = nil) throws {
        guard scale.isFinite, scale > 0 else {
            throw QZooError.malformed("activation scale must be finite and positive, got \(scale)")
        }
        if let zeroPoint, !elementType.integerRange.contains(zeroPoint) {
            let range = elementType.integerRange
            throw QZooError.malformed("activation zero point \(zeroPoint) is outside \(elementType.rawValue)'s range \(range.lowerBound)...\(range.upperBound)")
        }
        self.elementType = elementType
        self.scale = scale
        self.zeroPoint = zeroPoint
    }

    /// The first opset whose QuantizeLinear/DequantizeLinear accept these parameters.
    public var minimumOpset: Int { elementType.minimumOpset }
}
