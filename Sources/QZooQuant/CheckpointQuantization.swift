import QZooCore

/// What quantizing one tensor did, as `qzoo quantize` prints it.
public struct TensorQuantizationReport: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var grid: AffineGrid
    /// Stored bits per weight, codes plus scales and zero points.
    public var bitsPerWeight: Double
    public var sourceBytes: Int
    public var quantizedBytes: Int
    public var error: ReconstructionError
}

/// A tensor an include pattern named that could not be quantized.
public struct IneligibleTensor: Sendable, Equatable {
    public var name: String
    public var reason: String
}

/// The result of `quantizeCheckpoint`: the new checkpoint and what happened to each tensor.
public struct CheckpointQuantization: Sendable {
    public var checkpoint: Checkpoint
    public var reports: [TensorQuantizationReport]
    public var ineligible: [IneligibleTensor]
    /// Bytes of tensor data before and after (dense data plus quantized storage).
    public var bytesBefore: Int
    public var bytesAfter: Int

    /// Stored bits per weight over the tensors quantized here (0 when none was).
    public var bitsPerWeight: Double {
        let weights = reports.reduce(0) { $0 + $1.shape.reduce(1, *) }
        let bytes = reports.reduce(0) { $0 + $1.quantizedBytes }
        return weights == 0 ? 0 : Double(bytes * 8) / Double(weights)
    }
}

/// Quantizes the tensors `selection` picks and moves them from `tensors` to `quantized`; every
/// other entry, the order of the dense ones and the metadata stay as they were. Errors name the
/// tensor that failed.
public func quantizeCheckpoint(_ source: Checkpoint, with quantizer: some WeightQuantizer,
                               selection: WeightSelection = WeightSelection()) throws -> CheckpointQuantization {
    var result = Checkpoint(metadata: source.metadata)
    var reports: [TensorQuantizationReport] = []
    var ineligible: [IneligibleTensor] = []
    for (name, tensor) in source.tensors {
        switch selection.decision(for: name, tensor) {
        case .keep:
            try result.add(name, tensor)
        case .ineligible(let reason):
            ineligible.append(IneligibleTensor(name: name, reason: reason))
            try result.add(name, tensor)
        case .quantize:
            do {
                let quantized = try quantizer.quantize(tensor)
                reports.append(try report(name: name, original: tensor, quantized: quantized))
                try result.add(name, quantized)
            } catch let error as QZooError {
                throw error.inTensor(name)
            }
        }
    }
    for (name, quantized) in source.quantized { try result.add(name, quantized) }
    return CheckpointQuantization(checkpoint: result, reports: reports, ineligible: ineligible,
                                  bytesBefore: storedBytes(source), bytesAfter: storedBytes(result))
}

private func report(name: String, original: Tensor, quantized: QuantizedTensor) throws -> TensorQuantizationReport {
    let reconstructed = try quantized.dequantize()
    let bytes = storedBytes(quantized)
    return TensorQuantizationReport(
        name: name, shape: original.shape, grid: quantized.grid,
        bitsPerWeight: Double(bytes * 8) / Double(original.elementCount),
        sourceBytes: original.byteCount, quantizedBytes: bytes,
        error: ReconstructionError(original: original.floats(), reconstructed: reconstructed.floats()))
}

/// Bytes a quantized weight stores: codes, scales, zero points and transform vectors.
func storedBytes(_ weight: QuantizedTensor) -> Int {
    let transforms = weight.transforms.reduce(0) { total, transform in
        switch transform {
        case .columnPermutation(let tensor), .inputScale(let tensor): return total + tensor.byteCount
        }
    }
    return weight.codes.byteCount + weight.scales.byteCount + (weight.zeroPoints?.byteCount ?? 0) + transforms
}

private func storedBytes(_ checkpoint: Checkpoint) -> Int {
    checkpoint.byteCount + checkpoint.quantized.values.reduce(0) { $0 + storedBytes($1) }
}
