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

    public init(tensors: OrderedDictionary<String, Tensor> = [:], quantized: OrderedDictionary<String, QuantizedTensor> = [:],
                metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.quantized = quantized
        self.metadata = metadata
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
        return kept
    }
}
