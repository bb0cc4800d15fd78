import QZooCore
import QZooFormats
import QZooMath
import QZooModels
import QZooPipeline
import QZooQuant

/// Where `qzoo quantize --method gptq|quipsharp` gets its Hessians, and the layer-by-layer run
/// that needs a model qzoo can execute.
struct GPTQCalibration {
    let quantizer: any CalibratedQuantizer
    let selection: WeightSelection
    /// Measure each linear on the model as quantized up to it.
    let sequential: Bool
    /// Bias correction and asymmetric calibration (sequential calibration only: fixed statistics
    /// carry neither the mean input nor the float model's input).
    let corrections: SequentialCorrections

    /// Fixed Hessians from an imported calibration file (`NAME.hessian`, any architecture).
    func withCalibrationFile(_ path: String, source: Checkpoint) throws -> CheckpointQuantization {
        let (file, _) = try CheckpointIO.read(path: path)
        var hessians: [String: [Double]] = [:]
        for (name, tensor) in file.tensors where name.hasSuffix(".hessian") {
            guard tensor.dtype.isFloatingPoint, tensor.shape.count == 2, tensor.shape[0] == tensor.shape[1] else {
                throw QZooError.malformed("must be a floating-point square matrix, found \(tensor.dtype.rawValue) \(tensor.shape)",
                                          tensor: name).inFile(path)
            }
            hessians[String(name.dropLast(".hessian".count))] = Self.doubles(tensor)
        }
        do {
            for job in selectWeights(source, selection: selection).jobs where hessians[job.name] == nil {
                throw QZooError(.invalidArgument, "the calibration data has no Hessian '\(job.name).hessian' for this weight; "
                                + "calibrate this model or --exclude the tensor").inTensor(job.name)
            }
            let layers = hessians.mapValues { hessian in
                LayerCalibration(inFeatures: Int(Double(hessian.count).squareRoot()), tokens: 0, hessian: hessian, absMax: nil, absMean: nil)
            }
            let statistics = CalibrationSet(layers: layers, order: layers.keys.sorted(), metadata: [:])
            return try quantizeCalibrated(source, with: quantizer, statistics: statistics, selection: selection)
        } catch let error as QZooError {
            throw error.inFile(path)
        }
    }

    /// Calibrates on `texts` while quantizing. Sequential: site by site (`LayerSite`), each
    /// linear's Hessian taken on the model as quantized up to it (the reference GPTQ's
    /// `true_sequential` order); otherwise one pass over the float model. Without --include, only the
    /// layers calibration reaches (the encoder's linears) are quantized.
    func calibratingOnTheFly(model: ModelInput, texts: [String], options: RunOptionsGroup) throws -> CheckpointQuantization {
        let runnable = RunnableBert(architecture: model.architecture, tokenizer: try model.tokenizer())
        let run = CalibrationRun(texts: texts, maxLength: options.maxLength, batchSize: options.batch)
        var selection = selection
        if selection.include.isEmpty {
            selection.only = Set(model.architecture.scaleGroups.flatMap(\.consumers))
        }
        guard sequential else {
            let statistics = try runnable.calibrate(model.checkpoint, on: run)
            return try quantizeCalibrated(model.checkpoint, with: quantizer, statistics: statistics, selection: selection)
        }
        // Sequential calibration runs OpenBLAS on one thread throughout; entering that scope
        // here, where nothing else runs, lets the pool's helpers stay stopped.
        return try BLAS.singleThreadedWithHelpersStopped {
            try quantizeSequentially(model.checkpoint, with: quantizer, model: runnable, run: run, selection: selection,
                                     corrections: corrections, progress: Terminal.note)
        }
    }

    static func doubles(_ tensor: Tensor) -> [Double] {
        guard tensor.dtype == .f64 else { return tensor.floats().map(Double.init) }
        return tensor.withBytes { raw in
            (0..<tensor.elementCount).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
        }
    }
}
