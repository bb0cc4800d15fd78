import QZooCore

extension QuIPSharpQuantizer {
    /// Quantizes the weight `name` and reports it with its relative proxy loss and damping.
    public func quantizeWeight(name: String, _ weight: Tensor, hessian: [Double]) throws -> QuantizedWeight {
        do {
            let result = try quantize(weight, hessian: hessian)
            let report = try TensorQuantizationReport(
                name: name, original: weight, quantized: result.quantized, reconstructed: result.reconstruction,
                calibrated: CalibratedRounding(relativeProxyLoss: result.relativeProxyLoss, damping: parameters.damp))
            return QuantizedWeight(name: name, tensor: result.quantized, report: report, reconstruction: result.reconstruction)
        } catch let error as QZooError {
            throw error.inTensor(name)
        }
    }
}
