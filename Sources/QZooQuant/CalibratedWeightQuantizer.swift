import QZooCore

/// A method that rounds one weight against its layer's input Hessian (GPTQ, QuIP#), so the
/// callers that find Hessians — a calibration file, or a model run layer by layer — are written
/// once for all of them.
public protocol CalibratedWeightQuantizer: Sendable {
    /// Whether on-the-fly calibration should measure each layer after quantizing the ones before it.
    var sequential: Bool { get }
    /// Quantizes the weight `name` against `hessian` (`inputs × inputs`, row-major) and reports it.
    func quantizeWeight(name: String, _ weight: Tensor, hessian: [Double]) throws -> QuantizedWeight
}

extension GPTQQuantizer: CalibratedWeightQuantizer {
    public var sequential: Bool { parameters.sequential }
}

extension QuIPSharpQuantizer: CalibratedWeightQuantizer {
    public var sequential: Bool { parameters.sequential }

    public func quantizeWeight(name: String, _ weight: Tensor, hessian: [Double]) throws -> QuantizedWeight {
        do {
            let result = try quantize(weight, hessian: hessian, name: name)
            let report = try TensorQuantizationReport(
                name: name, original: weight, quantized: result.quantized,
                calibrated: CalibratedRounding(relativeProxyLoss: result.relativeProxyLoss, damping: parameters.damp))
            return QuantizedWeight(name: name, tensor: result.quantized, report: report)
        } catch let error as QZooError {
            throw error.inTensor(name)
        }
    }
}
