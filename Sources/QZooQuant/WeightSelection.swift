import QZooCore

/// Which tensors of a checkpoint a quantizer should turn into `QuantizedTensor`s.
///
/// By default: the weights of linear layers, recognised as rank-2 floating-point tensors whose
/// names end in `.weight`, except embedding tables (names containing `embeddings`), which are
/// lookups rather than matrix products and lose far more accuracy per bit. Include patterns
/// replace that name rule; exclude patterns always win. Patterns are regular expressions
/// searched anywhere in the name, as `qzoo convert --include/--exclude` treats them.
public struct WeightSelection {
    public var include: [Regex<AnyRegexOutput>]
    public var exclude: [Regex<AnyRegexOutput>]
    /// When set, every other tensor is kept whatever the patterns say: a calibrated method
    /// quantizes by default only the layers it has statistics for (an encoder's linears, not a
    /// pooler that sentence embeddings never run).
    public var only: Set<String>?

    public init(include: [Regex<AnyRegexOutput>] = [], exclude: [Regex<AnyRegexOutput>] = [], only: Set<String>? = nil) {
        self.include = include
        self.exclude = exclude
        self.only = only
    }

    /// What happens to one tensor.
    public enum Decision: Equatable {
        case quantize
        /// Left dense: not a default linear weight, not included, or excluded.
        case keep
        /// Named by an include pattern but not quantizable; the reason says why.
        case ineligible(String)
    }

    public func decision(for name: String, _ tensor: Tensor) -> Decision {
        if exclude.contains(where: { name.contains($0) }) { return .keep }
        if let only, !only.contains(name) { return .keep }
        if include.isEmpty {
            return Self.isLinearWeight(name: name, tensor) ? .quantize : .keep
        }
        guard include.contains(where: { name.contains($0) }) else { return .keep }
        do {
            _ = try tensor.weightMatrixShape()
            return .quantize
        } catch let error as QZooError {
            return .ineligible(error.message)
        } catch {
            return .ineligible("\(error)")
        }
    }

    /// The default rule: a `.weight` matrix that is not an embedding table.
    public static func isLinearWeight(name: String, _ tensor: Tensor) -> Bool {
        name.hasSuffix(".weight") && !name.contains("embeddings") && tensor.shape.count == 2
            && tensor.dtype.isFloatingPoint && tensor.elementCount > 0
    }
}
