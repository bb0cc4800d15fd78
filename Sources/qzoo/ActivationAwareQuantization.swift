import QZooCore
import QZooMath
import QZooModels
import QZooPipeline
import QZooQuant

/// `qzoo quantize --method awq` and `--method smoothquant`: calibrate the float model once, run
/// the activation-aware transform, then quantize (RTN, or GPTQ with sequential calibration on the
/// transformed model). Each phase's time goes to stderr.
struct ActivationAwareQuantization {
    let model: ModelInput
    let texts: [String]
    let selection: WeightSelection
    let options: RunOptionsGroup
    /// For `--then gptq`: the corrections of its sequential calibration.
    let corrections: SequentialCorrections

    /// One forward pass of the float model over the texts, collecting every layer's statistics.
    func calibrate() throws -> CalibrationSet {
        let start = MonotonicClock.seconds()
        let embedder = try SentenceEmbedder(tokenizer: try model.tokenizer(), encoder: try model.encoder(),
                                            maxLength: options.maxLength, batchSize: options.batch)
        var accumulator = CalibrationAccumulator(architecture: model.architecture)
        var profile = ForwardProfile()
        var progress = SentenceProgress(label: "calibrating", total: texts.count)
        _ = try embedder.embed(texts, observer: &accumulator, profile: &profile) { progress.update($0) }
        Terminal.note("calibration: \(texts.count) sentences, \(Self.seconds(MonotonicClock.seconds() - start))")
        return accumulator.result()
    }

    /// Without --include, only the layers calibration reaches (the encoder's linears; a pooler
    /// stays dense), as for GPTQ.
    var effectiveSelection: WeightSelection {
        var chosen = selection
        if chosen.include.isEmpty { chosen.only = Set(model.architecture.scaleGroups.flatMap(\.consumers)) }
        return chosen
    }

    /// The linears the selection picks; every one must be an encoder linear (it needs statistics).
    func selectedLinears() throws -> Set<String> {
        let (jobs, _) = selectWeights(model.checkpoint, selection: effectiveSelection)
        let linears = Set(model.architecture.linearLayers.map(\.name))
        if let outside = jobs.first(where: { !linears.contains($0.name) }) {
            throw QZooError(.invalidArgument, "is not an encoder linear layer, so calibration gives it no statistics; leave it out of --include",
                            tensor: outside.name)
        }
        return Set(jobs.map(\.name))
    }

    func awq(_ parameters: AWQParameters, then gptq: GPTQQuantizer?) throws -> CheckpointQuantization {
        let calibration = try calibrate()
        let outcome = try AWQModelSearch(parameters: parameters).run(model.checkpoint, architecture: model.architecture,
                                                                      calibration: calibration, selected: try selectedLinears())
        let ratios = outcome.groups.map { String(format: "%.2f", $0.ratio) }.joined(separator: " ")
        Terminal.note("awq: scale search \(Self.seconds(outcome.scaleSeconds)) (\(outcome.groups.count) groups, ratios \(ratios)), "
                      + "clip search \(parameters.clip ? Self.seconds(outcome.clipSeconds) : "off")")
        return try finish(outcome.checkpoint, rtn: try RTNQuantizer(grid: parameters.grid), gptq: gptq)
    }

    func smoothQuant(_ parameters: SmoothQuantParameters, weightGrid: AffineGrid) throws -> CheckpointQuantization {
        let calibration = try calibrate()
        let start = MonotonicClock.seconds()
        let (smoothed, _) = try SmoothQuantModel(parameters: parameters).run(model.checkpoint, architecture: model.architecture,
                                                                            calibration: calibration, selected: try selectedLinears())
        Terminal.note("smoothquant: smoothing \(Self.seconds(MonotonicClock.seconds() - start)), activations \(parameters.activationScheme.rawValue) int\(parameters.activationBits)")
        return try finish(smoothed, rtn: try RTNQuantizer(grid: weightGrid), gptq: nil)
    }

    /// Quantizes the transformed model: pending input scales become `inputScale` transforms.
    func finish(_ transformed: Checkpoint, rtn: RTNQuantizer, gptq: GPTQQuantizer?) throws -> CheckpointQuantization {
        let start = MonotonicClock.seconds()
        defer { Terminal.note("\(gptq == nil ? "rtn" : "gptq"): \(Self.seconds(MonotonicClock.seconds() - start))") }
        guard let gptq else { return try quantizeCheckpoint(transformed, with: rtn, selection: effectiveSelection) }
        var scaled = model
        scaled.checkpoint = transformed
        return try GPTQCalibration(quantizer: gptq, selection: selection, sequential: gptq.parameters.sequential,
                                   corrections: corrections).calibratingOnTheFly(model: scaled, texts: texts, options: options)
    }

    static func seconds(_ value: Double) -> String { String(format: "%.3f s", value) }
}
