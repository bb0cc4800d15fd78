import QZooCore

/// Records the inputs of chosen scale groups during forward passes, row by row across batches:
/// for each group the untransformed input (what a runtime's `Mul` / `QuantizeLinear` receives)
/// and what the group's linears read (after the explicit input multiply and activation
/// quantization). Used by `qzoo embed --record-inputs` for interop checks and benchmarks.
public struct InputRecorder: LinearInputObserver {
    public let architecture: BertArchitecture
    public let groups: Set<Int>
    private(set) var untransformed: [Int: [Float]] = [:]
    private(set) var consumed: [Int: [Float]] = [:]

    public init(architecture: BertArchitecture, groups: Set<Int>) {
        self.architecture = architecture
        self.groups = groups
    }

    public mutating func observe(group: Int, input: UnsafeBufferPointer<Float>, rows: Int, columns: Int) {
        if groups.contains(group) { consumed[group, default: []] += input[0..<rows * columns] }
    }

    public mutating func observeUntransformed(group: Int, input: UnsafeBufferPointer<Float>, rows: Int, columns: Int) {
        if groups.contains(group) { untransformed[group, default: []] += input[0..<rows * columns] }
    }

    /// `STEM.input` `[tokens, width]` for each recorded group, named after its first consumer
    /// `STEM.weight` (the QDQ JSON activation name), plus `STEM.input.consumed` where the
    /// linears read different values.
    public func checkpoint() throws -> Checkpoint {
        var result = Checkpoint()
        for (index, group) in architecture.scaleGroups.enumerated() where groups.contains(index) {
            guard let first = group.consumers.first, let raw = untransformed[index] else { continue }
            let stem = (first.hasSuffix(".weight") ? String(first.dropLast(".weight".count)) : first) + ".input"
            let shape = [raw.count / group.inFeatures, group.inFeatures]
            try result.add(stem, try Tensor(shape: shape, floats: raw))
            if let read = consumed[index], read != raw { try result.add(stem + ".consumed", try Tensor(shape: shape, floats: read)) }
        }
        return result
    }
}
