import QZooCore

extension Checkpoint {
    /// The checkpoint with every weight in its *effective* dense form, so dense-only formats and
    /// other tools can evaluate it in the original architecture: quantized weights dequantized
    /// (every transform undone) and converted to the dtype they were quantized from, pending
    /// input scales divided back out of their weights' columns. Activation quantization
    /// parameters are dropped (a dense model has nowhere to apply them). Dense tensors keep
    /// their order; dequantized weights follow them.
    public func dequantized() throws -> Checkpoint {
        var result = Checkpoint(tensors: tensors, metadata: metadata)
        for (name, scale) in inputScales {
            guard let weight = tensors[name] else { continue }
            do { result.tensors[name] = try Self.folding(scale, into: weight) } catch let error as QZooError { throw error.inTensor(name) }
        }
        for (name, weight) in quantized {
            do {
                try result.add(name, try weight.dequantize().converted(to: weight.sourceDType))
            } catch let error as QZooError {
                throw error.inTensor(name)
            }
        }
        return result
    }

    /// The checkpoint as a runtime that quantizes activations sees it: quantized weights as
    /// float32 in the basis of their leading input scale (which becomes a pending input scale),
    /// dense weights and pending scales as they are, activation parameters kept. The built-in
    /// forward pass runs this to simulate a W8A8 export exactly.
    public func dequantizedKeepingInputScales() throws -> Checkpoint {
        var result = Checkpoint(tensors: tensors, metadata: metadata, inputScales: inputScales, activations: activations)
        for (name, weight) in quantized {
            do {
                let (dense, scale) = try weight.dequantizeKeepingInputScale()
                try result.add(name, dense)
                if let scale { result.inputScales[name] = scale }
            } catch let error as QZooError {
                throw error.inTensor(name)
            }
        }
        return result
    }

    /// The effective weight of a stored `W · diag(s)`: float32 with column `c` divided by `s[c]`.
    static func folding(_ scale: Tensor, into weight: Tensor) throws -> Tensor {
        guard weight.shape.count == 2, scale.shape == [weight.shape[1]] else {
            throw QZooError.malformed("input scale of shape \(scale.shape) does not match the weight's shape \(weight.shape)")
        }
        var values = weight.floats()
        QuantizedTensor.divideColumns(&values, columns: weight.shape[1], by: scale.floats())
        return try Tensor(shape: weight.shape, floats: values)
    }
}
