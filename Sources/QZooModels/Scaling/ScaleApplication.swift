import QZooCore

/// Function-preserving per-channel scaling of one scale group's input (AWQ, SmoothQuant).
///
/// Every consumer's weight columns are multiplied by `s` (`W ← W · diag(s)`), so each must see
/// its input divided by `s`. A foldable group's producer (a linear layer whose output reaches the
/// consumers only through linear operations) absorbs `1/s` in its output rows and bias; any other
/// group keeps an explicit multiply by `1/s` at the consumers' input, recorded as each consumer's
/// pending input scale (composed with one already there), which the forward pass applies and a
/// quantizer turns into the weight's `inputScale` transform.
public enum ScaleApplication {
    /// Scales `group` in `checkpoint` (dense weights; they become F32) by `s`, and the group's
    /// calibration statistics to match (`H' = diag(1/s)·H·diag(1/s)`, `|x|` statistics `/ s`).
    public static func apply(_ s: [Float], to group: ScaleGroup, checkpoint: inout Checkpoint,
                             calibration: inout CalibrationSet) throws {
        try apply(s, to: group, checkpoint: &checkpoint)
        calibration.scaleInputs(of: group, by: s)
    }

    /// Scales `group`'s weights in `checkpoint` by `s` (no calibration statistics to update).
    public static func apply(_ s: [Float], to group: ScaleGroup, checkpoint: inout Checkpoint) throws {
        guard s.count == group.inFeatures, s.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw QZooError(.invalidArgument, "scales for \(group.producer.description) must be \(group.inFeatures) finite positive values")
        }
        for consumer in group.consumers {
            let weight = try denseWeight(consumer, checkpoint, columns: s.count)
            checkpoint.tensors[consumer] = try scaledColumns(weight, s)
            if !group.foldable {
                let previous = checkpoint.inputScales[consumer]?.floats() ?? [Float](repeating: 1, count: s.count)
                checkpoint.inputScales[consumer] = try Tensor(shape: [s.count], floats: zip(previous, s).map { $0 * $1 })
            }
        }
        if group.foldable {
            guard case .linear(let producer) = group.producer else {
                throw QZooError.unsupported("only a linear producer can absorb input scales", tensor: group.consumers.first)
            }
            try foldInverse(s, intoOutputsOf: producer, checkpoint: &checkpoint)
        }
    }

    /// `W[j, :] /= s[j]` and `b[j] /= s[j]` for the producer's weight and bias (`NAME.bias`).
    static func foldInverse(_ s: [Float], intoOutputsOf producer: String, checkpoint: inout Checkpoint) throws {
        guard let weight = checkpoint.tensors[producer], weight.shape.count == 2, weight.shape[0] == s.count else {
            throw QZooError.malformed("must be a dense weight with \(s.count) output rows to absorb the scales", tensor: producer)
        }
        let columns = weight.shape[1]
        var values = weight.floats()
        for row in 0..<s.count {
            for column in 0..<columns { values[row * columns + column] /= s[row] }
        }
        checkpoint.tensors[producer] = try Tensor(shape: weight.shape, floats: values)
        let biasName = producer.hasSuffix(".weight") ? String(producer.dropLast(".weight".count)) + ".bias" : producer + ".bias"
        if let bias = checkpoint.tensors[biasName] {
            guard bias.shape == [s.count] else { throw QZooError.malformed("must have shape [\(s.count)]", tensor: biasName) }
            checkpoint.tensors[biasName] = try Tensor(shape: bias.shape, floats: zip(bias.floats(), s).map { $0 / $1 })
        }
    }

    static func denseWeight(_ name: String, _ checkpoint: Checkpoint, columns: Int) throws -> Tensor {
        guard let weight = checkpoint.tensors[name] else {
            let state = checkpoint.quantized[name] == nil ? "missing" : "already quantized (scale before quantizing)"
            throw QZooError.malformed("is \(state)", tensor: name)
        }
        guard weight.dtype.isFloatingPoint, weight.shape.count == 2, weight.shape[1] == columns else {
            throw QZooError.malformed("must be a floating-point [rows, \(columns)] weight, got \(weight.dtype.rawValue) \(weight.shape)", tensor: name)
        }
        return weight
    }

    /// `W · diag(s)` as F32.
    static func scaledColumns(_ weight: Tensor, _ s: [Float]) throws -> Tensor {
        var values = weight.floats()
        let columns = s.count
        values.withUnsafeMutableBufferPointer { w in
            for row in 0..<(w.count / columns) {
                for column in 0..<columns { w[row * columns + column] *= s[column] }
            }
        }
        return try Tensor(shape: weight.shape, floats: values)
    }
}

extension CalibrationSet {
    /// The statistics of `group`'s consumers after their input was divided by `s`.
    public mutating func scaleInputs(of group: ScaleGroup, by s: [Float]) {
        for consumer in group.consumers {
            guard var layer = layers[consumer], layer.inFeatures == s.count else { continue }
            let n = s.count
            let inverse = s.map { 1 / Double($0) }
            for i in 0..<n {
                for j in 0..<n { layer.hessian[i * n + j] *= inverse[i] * inverse[j] }
            }
            layer.absMax = layer.absMax.map { zip($0, s).map { $0 / $1 } }
            layer.absMean = layer.absMean.map { zip($0, s).map { $0 / $1 } }
            layers[consumer] = layer
        }
    }
}
