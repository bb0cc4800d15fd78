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

    /// Quantizes every weight `selection` picks against a fixed Hessian (an imported calibration
    /// file), in parallel. `hessians` maps weight names to `in × in` row-major matrices.
    public func quantizeCheckpoint(_ source: Checkpoint, hessians: [String: [Double]],
                                   selection: WeightSelection = WeightSelection()) throws -> CheckpointQuantization {
        let (jobs, ineligible) = selectWeights(source, selection: selection)
        for job in jobs where hessians[job.name] == nil {
            throw QZooError(.invalidArgument, "the calibration data has no Hessian '\(job.name).hessian' for this weight; "
                            + "calibrate this model or --exclude the tensor").inTensor(job.name)
        }
        let weights = try parallelMapLargestFirst(count: jobs.count, cost: { Self.cost(of: jobs[$0].tensor) }) { index in
            try quantizeWeight(name: jobs[index].name, jobs[index].tensor, hessian: hessians[jobs[index].name] ?? [])
        }
        return try assembleQuantization(source, weights, ineligible: ineligible)
    }

    /// The work of quantizing `weight` (0 for a tensor that is not a matrix), to schedule weights
    /// largest first.
    public static func cost(of weight: Tensor) -> Double {
        guard let (rows, columns) = try? weight.weightMatrixShape() else { return 0 }
        return floatingPointOperations(rows: rows, columns: columns)
    }

    /// `tr(W H Wᵀ)`, the layer's output energy on the calibration inputs (float32 product).
    static func outputEnergy(_ weight: [Float], hessian: [Double], columns: Int) throws -> Double {
        let rows = weight.count / columns
        let h = hessian.map { Float($0) }
        var product = [Float](repeating: 0, count: weight.count)
        try weight.withUnsafeBufferPointer { a in
            try h.withUnsafeBufferPointer { b in
                try product.withUnsafeMutableBufferPointer { c in
                    try BLAS.gemm(m: rows, n: columns, k: columns, a: a, lda: columns, b: b, ldb: columns, c: c, ldc: columns)
                }
            }
        }
        return zip(product, weight).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
}
