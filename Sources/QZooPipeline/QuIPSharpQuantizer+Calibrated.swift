import QZooCore
import QZooModels
import QZooQuant

extension QuIPSharpQuantizer: CalibratedQuantizer {
    public var methodName: String { "quipsharp" }
    public var bitsPerWeight: Int { parameters.codebook.bitsPerWeight }

    public func quantizeWeight(name: String, _ weight: Tensor, statistics: LayerCalibration) throws -> QuantizedWeight {
        try quantizeWeight(name: name, weight, hessian: statistics.hessian)
    }
}
