/// A linear layer `y = x·Wᵀ + b` as quantization passes see it: the weight's tensor name and
/// its sizes (`W` is `[outFeatures, inFeatures]`, as PyTorch stores it).
public struct LinearLayer: Sendable, Equatable, Hashable {
    /// The weight tensor's name in the checkpoint, e.g. `encoder.layer.0.attention.self.query.weight`.
    public var name: String
    public var biasName: String
    public var inFeatures: Int
    public var outFeatures: Int

    public init(name: String, biasName: String, inFeatures: Int, outFeatures: Int) {
        self.name = name
        self.biasName = biasName
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }
}

/// Linear layers that read the same input, and what produces that input.
///
/// Activation-aware passes (AWQ, SmoothQuant) scale an input channel by `s` and the matching
/// weight column by `1/s`; every consumer of one input must use the same `s`, and the `1/s` on
/// the activation side goes either into the producer (when `foldable`) or stays an explicit
/// per-channel multiply before the consumers. Each group is also one calibration site: its
/// consumers share one Hessian.
public struct ScaleGroup: Sendable, Equatable {
    public var producer: ScaleProducer
    /// Weight names of the consuming linear layers.
    public var consumers: [String]
    /// Width of the shared input (the consumers' `inFeatures`).
    public var inFeatures: Int
    /// Whether the producer can absorb the inverse scale without changing the model's function.
    public var foldable: Bool

    public init(producer: ScaleProducer, consumers: [String], inFeatures: Int, foldable: Bool) {
        self.producer = producer
        self.consumers = consumers
        self.inFeatures = inFeatures
        self.foldable = foldable
    }
}

/// What computes a scale group's input.
public enum ScaleProducer: Sendable, Equatable {
    /// A LayerNorm, by its tensor-name prefix (e.g. `encoder.layer.0.attention.output.LayerNorm`).
    case layerNorm(String)
    /// A linear layer (by weight name) whose output reaches the consumers through linear
    /// operations only (BERT's value projection through attention-weighted averaging).
    case linear(String)
    /// An element-wise activation (e.g. `gelu`) applied to the output of the named linear layer.
    case activation(String, after: String)

    /// A short description for tables and JSON.
    public var description: String {
        switch self {
        case .layerNorm(let name): return "layernorm \(name)"
        case .linear(let name): return "linear \(name)"
        case .activation(let function, let name): return "\(function)(\(name))"
        }
    }
}
