import OrderedCollections

/// A model checkpoint as every format reads and writes it: named tensors in file order plus
/// string metadata.
///
/// Order is kept because users expect `inspect` and conversions to list tensors as the source
/// did; writers that mandate an order (safetensors) impose their own.
public struct Checkpoint: Sendable {
    public var tensors: OrderedDictionary<String, Tensor>
    public var metadata: [String: String]

    public init(tensors: OrderedDictionary<String, Tensor> = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Adds a tensor; a second tensor with the same name is an error (files that repeat a name
    /// are ambiguous, and silently keeping one of them loses data).
    public mutating func add(_ name: String, _ tensor: Tensor) throws {
        guard tensors[name] == nil else {
            throw QZooError.malformed("duplicate tensor name", tensor: name)
        }
        tensors[name] = tensor
    }

    /// Total bytes of tensor data.
    public var byteCount: Int { tensors.values.reduce(0) { $0 + $1.byteCount } }

    /// The tensors whose names match at least one of `include` (all when empty) and none of
    /// `exclude`. Patterns are regular expressions searched anywhere in the name.
    public func filtered(include: [Regex<AnyRegexOutput>], exclude: [Regex<AnyRegexOutput>]) -> Checkpoint {
        var kept = Checkpoint(metadata: metadata)
        for (name, tensor) in tensors {
            let included = include.isEmpty || include.contains { name.contains($0) }
            let excluded = exclude.contains { name.contains($0) }
            if included && !excluded { kept.tensors[name] = tensor }
        }
        return kept
    }
}
