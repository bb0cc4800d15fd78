import QZooCore
import QZooMath

extension GPTQQuantizer {
    /// Quantizes the weight `name` and reports it with its relative proxy loss and damping.
    public func quantizeWeight(name: String, _ weight: Tensor, hessian: [Double]) throws -> QuantizedWeight {
        do {
            let result = try quantize(weight, hessian: hessian)
            let energy = try Self.outputEnergy(weight.floats(), hessian: hessian, columns: weight.shape[1])
            let relative = energy > 0 ? result.proxyLoss / energy : (result.proxyLoss > 0 ? .infinity : 0)
            let report = try TensorQuantizationReport(
                name: name, original: weight, quantized: result.quantized,
                calibrated: CalibratedRounding(relativeProxyLoss: relative, damping: result.damping))
            return QuantizedWeight(name: name, tensor: result.quantized, report: report)
        } catch let error as QZooError {
            throw error.inTensor(name)
        }
    }

    /// The work of quantizing `weight` (0 for a tensor that is not a matrix), to schedule weights
    /// largest first.
    public static func cost(of weight: Tensor) -> Double {
        guard let (rows, columns) = try? weight.weightMatrixShape() else { return 0 }
        return floatingPointOperations(rows: rows, columns: columns)
    }

    /// `tr(W H Wᵀ)`, the layer's output energy on the calibration inputs (float32 product).
    static func outputEnergy(_ weight: [Float], hessian: [Double], columns: Int) throws -> Double {
        try ProxyTrace.quadratic(weight, hessian.map { Float($0) }, rows: weight.count / columns, columns: columns)
    }
}
