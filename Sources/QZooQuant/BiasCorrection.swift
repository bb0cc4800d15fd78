import QZooMath

/// Bias correction of a quantized linear layer (Nagel et al. 2019, "Data-Free Quantization",
/// §4.2, with the mean measured on calibration data): the rounding error `ΔW = W − Ŵ` shifts
/// the layer's mean output by `ΔW·μ` (μ the mean input), which the bias can take back exactly.
///
/// With that shift removed, what is left of the output error is `tr(ΔW Σ ΔWᵀ)` with the input
/// covariance `Σ = XᵀX/n − μμᵀ`, so the rounding should minimise that rather than
/// `tr(ΔW H ΔWᵀ)` (which also counts the mean shift the bias will remove). Both steps together
/// are what sequential GPTQ and QuIP# do by default in qzoo; the reference implementations
/// do neither (their biases stay as trained).
public enum BiasCorrection {
    /// `H − μμᵀ` for the row-major `n × n` second moment `hessian` and mean `mean` (n values);
    /// `hessian` unchanged when the sizes disagree. The rows go in two halves side by side
    /// (`squareMatrix`): for FFN-down (n = 1536) this is a 2.4-million-entry pass.
    public static func covariance(hessian: [Double], mean: [Double]) -> [Double] {
        let n = mean.count
        guard hessian.count == n * n, n > 0 else { return hessian }
        return hessian.withUnsafeBufferPointer { h in
            mean.withUnsafeBufferPointer { m in
                nonisolated(unsafe) let (h, m) = (h, m)
                return squareMatrix(n) { r, row in
                    for c in 0..<n { row[c] = h[r * n + c] - m[r] * m[c] }
                }
            }
        }
    }

    /// `bias + (W − Ŵ)·μ` for row-major `[bias.count × mean.count]` weights; with
    /// `referenceMean` (asymmetric calibration: the float model's mean input) `bias + W·μ_float −
    /// Ŵ·μ`, so the layer's mean output on the quantized model's input matches the float model's.
    public static func corrected(bias: [Float], weight: [Float], quantized: [Float], mean: [Double],
                                 referenceMean: [Double]? = nil) -> [Float] {
        let n = mean.count
        let floatMean = referenceMean ?? mean
        return bias.indices.map { r in
            var shift = 0.0
            for c in 0..<n { shift += Double(weight[r * n + c] - quantized[r * n + c]) * mean[c] + Double(weight[r * n + c]) * (floatMean[c] - mean[c]) }
            return Float(Double(bias[r]) + shift)
        }
    }
}
