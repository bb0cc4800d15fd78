import QZooCore

/// Turns one float weight matrix `[outputs, inputs]` into a `QuantizedTensor`.
///
/// `quantizeCheckpoint` is written against this, not against RTN, so methods that need no
/// calibration data beyond the weight itself plug into the same checkpoint walk and report.
public protocol WeightQuantizer: Sendable {
    /// The grid every result uses (for reports and summaries).
    var grid: AffineGrid { get }
    func quantize(_ weight: Tensor) throws -> QuantizedTensor
}

extension Tensor {
    /// `[rows, columns]` of a non-empty rank-2 floating-point tensor, or an error saying why this
    /// tensor cannot be quantized as a weight matrix.
    public func weightMatrixShape() throws -> (rows: Int, columns: Int) {
        guard dtype.isFloatingPoint else {
            throw QZooError.unsupported("only floating-point weights can be quantized, got \(dtype.rawValue)")
        }
        guard shape.count == 2 else {
            throw QZooError.unsupported("only rank-2 [outputs, inputs] weights can be quantized, got shape \(shape)")
        }
        guard shape[0] > 0, shape[1] > 0 else {
            throw QZooError.unsupported("cannot quantize an empty weight of shape \(shape)")
        }
        return (shape[0], shape[1])
    }
}

/// Throws, naming the first non-finite entry by `[row, column]`, unless every value of a
/// row-major weight `columns` wide is finite: the one check GPTQ, QuIP# and RTN make before
/// rounding, a vector at a time (`allFinite`; the entry is looked for only when one exists).
func checkFiniteWeight(_ values: [Float], columns: Int) throws {
    guard !values.withUnsafeBufferPointer(Float.allFinite), let bad = values.firstIndex(where: { !$0.isFinite }) else { return }
    throw QZooError.malformed("weight holds \(values[bad]) at [\(bad / columns), \(bad % columns)]; only finite weights can be quantized")
}
