import OrderedCollections

/// A model checkpoint as every format reads and writes it: named dense tensors and named
/// quantized weights, each in file order, plus string metadata.
///
/// Order is kept because users expect `inspect` and conversions to list tensors as the source
/// did; writers that mandate an order (safetensors) impose their own. Dense and quantized entries
/// are kept apart (a name is in at most one) because most formats hold only dense tensors: a
/// dense writer checks `quantized.isEmpty` instead of inspecting every entry.
public struct Checkpoint: Sendable {
    public var tensors: OrderedDictionary<String, Tensor>
    public var quantized: OrderedDictionary<String, QuantizedTensor>
    public var metadata: [String: String]
    /// Pending input scales of dense weights, by weight name: the stored weight is `W · diag(s)`
    /// and the layer's input must be multiplied by `1/s` (AWQ or SmoothQuant on a group whose
    /// producer cannot absorb `1/s`). F32 `[columns]`. A quantizer turns the entry into the
    /// weight's `WeightTransform.inputScale`; folding divides it back out of the columns.
    public var inputScales: [String: Tensor]
    /// Run-time quantization of linear-layer inputs (W8A8), by the consuming weight's name.
    public var activations: [String: ActivationQuantization]

    public init(tensors: OrderedDictionary<String, Tensor> = [:], quantized: OrderedDictionary<String, QuantizedTensor> = [:],
                metadata: [String: String] = [:], inputScales: [String: Tensor] = [:],
                activations: [String: ActivationQuantization] = [:]) {
        self.tensors = tensors
        self.quantized = quantized
        self.metadata = metadata
        self.inputScales = inputScales
        self.activations = activations
    }

    /// Adds a tensor; a second entry with the same name is an error (files that repeat a name
    /// are ambiguous, and silently keeping one of them loses data).
    public mutating func add(_ name: String, _ tensor: Tensor) throws {
        guard tensors[name] == nil, quantized[name] == nil else {
            throw QZooError.malformed("duplicate tensor name", tensor: name)
        }
        tensors[name] = tensor
    }

    /// Adds a quantized weight; names are unique across dense and quantized entries.
    public mutating func add(_ name: String, _ weight: QuantizedTensor) throws {
        guard tensors[name] == nil, quantized[name] == nil else {
            throw QZooError.malformed("duplicate tensor name", tensor: name)
        }
        quantized[name] = weight
    }

    /// Total bytes of dense tensor data.
    public var byteCount: Int { tensors.values.reduce(0) { $0 + $1.byteCount } }

    /// The tensors whose names match at least one of `include` (all when empty) and none of
    /// `exclude`. Patterns are regular expressions searched anywhere in the name.
    public func filtered(include: [Regex<AnyRegexOutput>], exclude: [Regex<AnyRegexOutput>]) -> Checkpoint {
        let keep = { (name: String) in
            (include.isEmpty || include.contains { name.contains($0) }) && !exclude.contains { name.contains($0) }
        }
        var kept = Checkpoint(metadata: metadata)
        kept.tensors = tensors.filter { keep($0.key) }
        kept.quantized = quantized.filter { keep($0.key) }
        kept.inputScales = inputScales.filter { keep($0.key) }
        kept.activations = activations.filter { keep($0.key) }
        return kept
    }

    /// The explicit input scale `s` of the weight `name`: a dense weight's pending scale, or a
    /// quantized weight's `inputScale` transform when it was the first one applied (transforms
    /// applied later, such as GPTQ's column permutation, sit between it and the grid).
    public func inputScale(of name: String) -> Tensor? {
        if let pending = inputScales[name] { return pending }
        if case .inputScale(let scale)? = quantized[name]?.transforms.first { return scale }
        return nil
    }

    /// Checks that every pending input scale belongs to a dense rank-2 weight and is F32
    /// `[columns]` of finite non-zero values, and that every activation entry names a weight.
    public func validateActivationSide() throws {
        for (name, scale) in inputScales {
            guard let weight = tensors[name], weight.shape.count == 2 else {
                throw QZooError.malformed("has an input scale but is not a dense [rows, columns] weight", tensor: name)
            }
            guard scale.dtype == .f32, scale.shape == [weight.shape[1]] else {
                throw QZooError.malformed("input scale must be F32 of shape [\(weight.shape[1])], got \(scale.dtype.rawValue) \(scale.shape)", tensor: name)
            }
            guard scale.floats().allSatisfy({ $0.isFinite && $0 != 0 }) else {
                throw QZooError.malformed("input scale holds a zero or non-finite value", tensor: name)
            }
        }
        for name in activations.keys where tensors[name] == nil && quantized[name] == nil {
            throw QZooError.malformed("has activation quantization parameters but no weight of that name", tensor: name)
        }
    }
}
