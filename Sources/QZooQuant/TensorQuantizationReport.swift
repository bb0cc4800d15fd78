import QZooCore

/// What quantizing one tensor did, as `qzoo quantize` prints it.
public struct TensorQuantizationReport: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var scheme: QuantizationScheme
    /// Stored bits per weight: codes plus scales, zero points and transform vectors.
    public var bitsPerWeight: Double
    public var sourceBytes: Int
    public var quantizedBytes: Int
    public var error: ReconstructionError
    /// What a calibrated method (GPTQ) reports: its proxy loss and the damping it used.
    public var calibrated: CalibratedRounding?

    /// Measures `quantized` against the `original` weight it was made from.
    public init(name: String, original: Tensor, quantized: QuantizedTensor, calibrated: CalibratedRounding? = nil) throws {
        try self.init(name: name, original: original, quantized: quantized, reconstructed: try quantized.dequantize(), calibrated: calibrated)
    }

    /// The same, with `quantized` already dequantized (`reconstructed`).
    init(name: String, original: Tensor, quantized: QuantizedTensor, reconstructed: Tensor, calibrated: CalibratedRounding?) throws {
        self.name = name
        shape = original.shape
        scheme = quantized.scheme
        quantizedBytes = quantized.storedByteCount
        bitsPerWeight = Double(quantizedBytes * 8) / Double(Swift.max(original.elementCount, 1))
        sourceBytes = original.byteCount
        error = ReconstructionError(original: original.floats(), reconstructed: reconstructed.floats())
        self.calibrated = calibrated
    }
}

extension QuantizedTensor {
    /// Bytes this weight stores: codes, scales, zero points and transform vectors.
    public var storedByteCount: Int {
        let transformBytes = transforms.reduce(0) { total, transform in
            switch transform {
            case .columnPermutation(let tensor), .inputScale(let tensor), .randomizedHadamard(let tensor):
                return total + tensor.byteCount
            }
        }
        return codes.byteCount + scales.byteCount + (zeroPoints?.byteCount ?? 0) + transformBytes
    }
}

/// The Hessian-side outcome of a calibrated rounding of one weight.
public struct CalibratedRounding: Sendable, Equatable {
    /// `tr(ΔW H ΔWᵀ) / tr(W H Wᵀ)`: the layer's output error relative to its output energy on the
    /// calibration inputs.
    public var relativeProxyLoss: Double
    /// The λ added to the Hessian diagonal; nil when it could not be factored at any damping and
    /// the weight was rounded to nearest.
    public var damping: Double?

    public init(relativeProxyLoss: Double, damping: Double?) {
        self.relativeProxyLoss = relativeProxyLoss
        self.damping = damping
    }
}
