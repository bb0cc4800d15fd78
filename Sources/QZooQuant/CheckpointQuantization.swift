import QZooCore
import QZooMath

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
/// other entry, the order of the dense ones and the metadata stay as they were. Tensors are
/// quantized in parallel (the result does not depend on it). Errors name the tensor that failed.
public func quantizeCheckpoint(_ source: Checkpoint, with quantizer: some WeightQuantizer,
                               selection: WeightSelection = WeightSelection()) throws -> CheckpointQuantization {
    let (jobs, ineligible) = selectWeights(source, selection: selection)
    let outcomes = try parallelMap(count: jobs.count) { index in
        let (name, tensor) = jobs[index]
        do {
            let quantized = try quantizer.quantize(tensor)
            return QuantizedWeight(name: name, tensor: quantized,
                                   report: try TensorQuantizationReport(name: name, original: tensor, quantized: quantized))
        } catch let error as QZooError {
            throw error.inTensor(name)
        }
    }
    return try assembleQuantization(source, outcomes, ineligible: ineligible)
}

/// One weight a method quantized, with its report.
public struct QuantizedWeight: Sendable {
    public var name: String
    public var tensor: QuantizedTensor {
        didSet { reconstruction = nil }
    }
    public var report: TensorQuantizationReport
    /// `tensor` dequantized, kept by `attribute(to:)`, which had to make it for the report, or
    /// handed in by a rounding that already had it (QuIP#).
    private var reconstruction: Tensor?

    public init(name: String, tensor: QuantizedTensor, report: TensorQuantizationReport) {
        self.name = name
        self.tensor = tensor
        self.report = report
    }

    /// A weight whose rounding already holds `tensor.dequantize()` (QuIP#'s codewords times the
    /// scale), kept so neither the report nor an incoherence around it decodes the codes again.
    init(name: String, tensor: QuantizedTensor, report: TensorQuantizationReport, reconstruction: Tensor) {
        self.init(name: name, tensor: tensor, report: report)
        self.reconstruction = reconstruction
    }

    /// This rounding credited to `original`, the weight as trained, when the rounding ran on a
    /// transformed copy of it (a rotation, an asymmetric target): the source dtype and the
    /// report's error are `original`'s, the calibrated summary stays the rounding's.
    /// The reconstruction already kept is reused (the source dtype does not change it).
    public mutating func attribute(to original: Tensor) throws {
        try attribute(to: original, reconstructed: try reconstruction ?? tensor.dequantize())
    }

    /// `attribute(to:)` with `reconstructed` = `tensor.dequantize()` made by the caller, who
    /// could make it cheaper (an incoherence restores the inner rounding's reconstruction).
    mutating func attribute(to original: Tensor, reconstructed: Tensor) throws {
        tensor.sourceDType = original.dtype
        report = try TensorQuantizationReport(name: name, original: original, quantized: tensor, reconstructed: reconstructed,
                                              calibrated: report.calibrated)
        reconstruction = reconstructed
    }

    /// This weight without a kept reconstruction: what a caller that holds every weight until the
    /// checkpoint is assembled keeps, so the weights carry no dense copies meanwhile.
    public func withoutReconstruction() -> QuantizedWeight {
        var weight = self
        weight.reconstruction = nil
        return weight
    }

    /// `tensor.dequantize()`, handing over the reconstruction `attribute(to:)` kept, if any:
    /// sequential calibration puts every weight it rounds back into the model, and undoing a
    /// rotation costs as much as the report's own dequantization. Handed over, not copied, so a
    /// weight kept for the final checkpoint does not also hold a dense copy.
    public mutating func takeDequantized() throws -> Tensor {
        defer { reconstruction = nil }
        return try reconstruction ?? tensor.dequantize()
    }
}

/// The dense tensors `selection` picks for quantization, in checkpoint order, and the tensors an
/// include pattern named that cannot be quantized.
public func selectWeights(_ source: Checkpoint, selection: WeightSelection) -> (jobs: [(name: String, tensor: Tensor)], ineligible: [IneligibleTensor]) {
    var ineligible: [IneligibleTensor] = []
    var jobs: [(name: String, tensor: Tensor)] = []
    for (name, tensor) in source.tensors {
        switch selection.decision(for: name, tensor) {
        case .keep: break
        case .ineligible(let reason): ineligible.append(IneligibleTensor(name: name, reason: reason))
        case .quantize: jobs.append((name, tensor))
        }
    }
    return (jobs, ineligible)
}

/// `source` with each of `weights` replacing the dense tensor of the same name (reports in the
/// order given); methods that quantize in their own order (GPTQ layer by layer) finish here.
public func assembleQuantization(_ source: Checkpoint, _ weights: [QuantizedWeight],
                                 ineligible: [IneligibleTensor]) throws -> CheckpointQuantization {
    var quantized: [String: QuantizedTensor] = [:]
    for weight in weights { quantized[weight.name] = weight.tensor }
    var result = Checkpoint(metadata: source.metadata, activations: source.activations)
    for (name, tensor) in source.tensors {
        guard var weight = quantized[name] else {
            try result.add(name, tensor)
            if let pending = source.inputScales[name] { result.inputScales[name] = pending }
            continue
        }
        if let pending = source.inputScales[name] {
            // The scale was applied before the quantizer saw the weight, so it is the first transform.
            do { weight = try weight.withTransforms([.inputScale(pending)] + weight.transforms) } catch let error as QZooError {
                throw error.inTensor(name)
            }
        }
        try result.add(name, weight)
    }
    for (name, weight) in source.quantized { try result.add(name, weight) }
    return CheckpointQuantization(checkpoint: result, reports: weights.map(\.report), ineligible: ineligible,
                                  bytesBefore: storedBytes(source), bytesAfter: storedBytes(result))
}

private func storedBytes(_ checkpoint: Checkpoint) -> Int {
    checkpoint.byteCount + checkpoint.quantized.values.reduce(0) { $0 + $1.storedByteCount }
}
