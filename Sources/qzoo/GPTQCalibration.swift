import QZooCore
import QZooFormats
import QZooModels
import QZooQuant

/// Where `qzoo quantize --method gptq|quipsharp` gets its Hessians, and the layer-by-layer run
/// that needs a model qzoo can execute.
struct GPTQCalibration {
    let quantizer: any CalibratedWeightQuantizer
    let selection: WeightSelection
    /// The method's name in progress notes.
    var label = "gptq"

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
        do { return try quantizeCheckpoint(source, hessians: hessians) } catch let error as QZooError {
            throw error.inFile(path)
        }
    }

    /// Every selected weight against its fixed Hessian, in parallel.
    private func quantizeCheckpoint(_ source: Checkpoint, hessians: [String: [Double]]) throws -> CheckpointQuantization {
        let (jobs, ineligible) = selectWeights(source, selection: selection)
        for job in jobs where hessians[job.name] == nil {
            throw QZooError(.invalidArgument, "the calibration data has no Hessian '\(job.name).hessian' for this weight; "
                            + "calibrate this model or --exclude the tensor").inTensor(job.name)
        }
        let quantizer = quantizer
        let weights = try parallelMap(count: jobs.count) { index in
            try quantizer.quantizeWeight(name: jobs[index].name, jobs[index].tensor, hessian: hessians[jobs[index].name] ?? [])
        }
        return try assembleQuantization(source, weights, ineligible: ineligible)
    }

    /// Calibrates on `texts` while quantizing. Sequential: encoder layer by layer, each layer's
    /// Hessians taken from the outputs of the already-quantized layers before it (the reference
    /// GPTQ's order); otherwise one pass over the float model.
    func calibratingOnTheFly(model: ModelInput, texts: [String], options: RunOptionsGroup) throws -> CheckpointQuantization {
        let (jobs, ineligible) = selectWeights(model.checkpoint, selection: selection)
        let architecture = model.architecture
        let groupsPerLayer = architecture.scaleGroups.count / max(architecture.config.layerCount, 1)
        let stages: [Range<Int>] = quantizer.sequential
            ? (0..<architecture.config.layerCount).map { $0 * groupsPerLayer ..< ($0 + 1) * groupsPerLayer }
            : [0 ..< architecture.scaleGroups.count]
        var current = model.checkpoint
        var done: [QuantizedWeight] = []
        for (index, groups) in stages.enumerated() {
            let names = Set(groups.flatMap { architecture.scaleGroups[$0].consumers })
            let stageJobs = jobs.filter { names.contains($0.name) }
            guard !stageJobs.isEmpty else { continue }
            let hessians = try measure(current, model: model, groups: groups, texts: texts, options: options)
            Terminal.note("\(label): stage \(index + 1)/\(stages.count), \(stageJobs.count) weights")
            let quantizer = quantizer
            let weights = try parallelMap(count: stageJobs.count) { i in
                try quantizer.quantizeWeight(name: stageJobs[i].name, stageJobs[i].tensor, hessian: hessians[stageJobs[i].name] ?? [])
            }
            for weight in weights {
                current.tensors[weight.name] = try weight.tensor.dequantize()
            }
            done += weights
        }
        let unreached = jobs.filter { job in !done.contains { $0.name == job.name } }
        if let first = unreached.first {
            throw QZooError(.invalidArgument, "is not an encoder linear layer, so on-the-fly calibration has no Hessian for it; "
                            + "--exclude it or pass --calibration", tensor: first.name)
        }
        let order = Dictionary(uniqueKeysWithValues: jobs.enumerated().map { ($1.name, $0) })
        return try assembleQuantization(model.checkpoint, done.sorted { order[$0.name, default: 0] < order[$1.name, default: 0] },
                                        ineligible: ineligible)
    }

    /// The Hessians of the layers fed by `groups`, from a forward pass of `checkpoint`.
    private func measure(_ checkpoint: Checkpoint, model: ModelInput, groups: Range<Int>, texts: [String],
                         options: RunOptionsGroup) throws -> [String: [Double]] {
        let encoder = try BertEncoder(architecture: model.architecture, checkpoint: checkpoint)
        let embedder = try SentenceEmbedder(tokenizer: try model.tokenizer(), encoder: encoder,
                                            maxLength: options.maxLength, batchSize: options.batch)
        var observer = GroupSubset(inner: CalibrationAccumulator(architecture: model.architecture), groups: groups)
        var profile = ForwardProfile()
        _ = try embedder.embed(texts, observer: &observer, profile: &profile)
        let set = observer.inner.result()
        var hessians: [String: [Double]] = [:]
        for group in groups {
            for name in model.architecture.scaleGroups[group].consumers { hessians[name] = set.layers[name]?.hessian }
        }
        return hessians
    }

    static func doubles(_ tensor: Tensor) -> [Double] {
        guard tensor.dtype == .f64 else { return tensor.floats().map(Double.init) }
        return tensor.withBytes { raw in
            (0..<tensor.elementCount).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
        }
    }
}

/// Passes on only the inputs of `groups` (a sequential stage measures just its own layers).
struct GroupSubset<Inner: LinearInputObserver>: LinearInputObserver {
    var inner: Inner
    let groups: Range<Int>

    mutating func observe(group: Int, input: UnsafeBufferPointer<Float>, rows: Int, columns: Int) throws {
        if groups.contains(group) { try inner.observe(group: group, input: input, rows: rows, columns: columns) }
    }
}
