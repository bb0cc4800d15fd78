import QZooCore

extension Checkpoint {
    /// The checkpoint with every quantized weight replaced by its dequantized floats, converted
    /// to the dtype it was quantized from, so dense-only formats and other tools can evaluate
    /// it. Dense tensors and metadata are kept; dequantized weights follow them in order.
    public func dequantized() throws -> Checkpoint {
        var result = Checkpoint(tensors: tensors, metadata: metadata)
        for (name, weight) in quantized {
            do {
                try result.add(name, try weight.dequantize().converted(to: weight.sourceDType))
            } catch let error as QZooError {
                throw error.inTensor(name)
            }
        }
        return result
    }
}
