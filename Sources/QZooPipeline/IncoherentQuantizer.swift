import QZooCore
import QZooModels
import QZooQuant

/// A calibrated rounding (GPTQ, QuIP#'s lattice LDLQ) run inside randomized Hadamard
/// incoherence: what a `hadamard` stage asks of the `gptq` or `ldlq` stage after it, and what
/// `qzoo quantize --method quipsharp` does.
public struct IncoherentQuantizer<Inner: CalibratedQuantizer>: CalibratedQuantizer {
    public let inner: Inner
    public let incoherence: HadamardIncoherence

    public init(_ inner: Inner, incoherence: HadamardIncoherence) {
        self.inner = inner
        self.incoherence = incoherence
    }

    public var methodName: String { inner.methodName }
    public var bitsPerWeight: Int { inner.bitsPerWeight }

    /// The inner rounding on the rotated weight and Hessian. Max and mean |x| are per input
    /// channel of the unrotated basis, so the inner method does not see them.
    public func quantizeWeight(name: String, _ weight: Tensor, statistics: LayerCalibration) throws -> QuantizedWeight {
        try incoherence.quantizeWeight(name: name, weight, hessian: statistics.hessian) { rotated, hessian in
            let rotatedStatistics = LayerCalibration(inFeatures: statistics.inFeatures, tokens: statistics.tokens,
                                                     hessian: hessian, absMax: nil, absMean: nil)
            return try inner.quantizeWeight(name: name, rotated, statistics: rotatedStatistics)
        }
    }
}
