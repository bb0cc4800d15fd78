import QZooCore

/// What quantizing one tensor did, as `qzoo quantize` prints it.
public struct TensorQuantizationReport: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var grid: AffineGrid
    /// Stored bits per weight: codes plus scales, zero points and transform vectors.
    public var bitsPerWeight: Double
    public var sourceBytes: Int
    public var quantizedBytes: Int
    public var error: ReconstructionError

    /// Measures `quantized` against the `original` weight it was made from.
    public init(name: String, original: Tensor, quantized: QuantizedTensor) throws {
        let reconstructed = try quantized.dequantize()
        self.name = name
        shape = original.shape
        grid = quantized.grid
        quantizedBytes = quantized.storedByteCount
        bitsPerWeight = Double(quantizedBytes * 8) / Double(Swift.max(original.elementCount, 1))
        sourceBytes = original.byteCount
        error = ReconstructionError(original: original.floats(), reconstructed: reconstructed.floats())
    }
}

extension QuantizedTensor {
    /// Bytes this weight stores: codes, scales, zero points and transform vectors.
    public var storedByteCount: Int {
        let transformBytes = transforms.reduce(0) { total, transform in
            switch transform {
            case .columnPermutation(let tensor), .inputScale(let tensor): return total + tensor.byteCount
            }
        }
        return codes.byteCount + scales.byteCount + (zeroPoints?.byteCount ?? 0) + transformBytes
    }
}
