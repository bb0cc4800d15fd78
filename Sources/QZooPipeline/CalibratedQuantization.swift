import QZooCore
import QZooMath
import QZooModels
import QZooQuant

/// A method that rounds each weight against its layer's input statistics (GPTQ; QuIP#'s LDLQ).
/// Weights run in parallel largest first, sized by GPTQ's cost (a factorisation and an LDLQ
/// sweep, which every such method performs).
public protocol CalibratedQuantizer: Sendable {
    /// The method's name in progress lines.
    var methodName: String { get }
    /// The bits each weight is rounded to (the grid's or the codebook's).
    var bitsPerWeight: Int { get }
    func quantizeWeight(name: String, _ weight: Tensor, statistics: LayerCalibration) throws -> QuantizedWeight
}

extension GPTQQuantizer: CalibratedQuantizer {
    public var methodName: String { "gptq" }
    public var bitsPerWeight: Int { parameters.bits }

    public func quantizeWeight(name: String, _ weight: Tensor, statistics: LayerCalibration) throws -> QuantizedWeight {
        try quantizeWeight(name: name, weight, hessian: statistics.hessian)
    }
}

/// Quantizes the weights `selection` picks with statistics that stay fixed (measured once on
/// the float model, or imported), in parallel. The weights are kept without their dense
/// reconstructions until the checkpoint is assembled (for a large model those would be a float32
/// copy of every weight).
public func quantizeCalibrated(_ source: Checkpoint, with quantizer: some CalibratedQuantizer, statistics: CalibrationSet,
                               selection: WeightSelection) throws -> CheckpointQuantization {
    let (jobs, ineligible) = selectWeights(source, selection: selection)
    let weights = try parallelMapLargestFirst(count: jobs.count, cost: { GPTQQuantizer.cost(of: jobs[$0].tensor) }) { index in
        let (name, tensor) = jobs[index]
        guard let layer = statistics.layers[name] else {
            throw QZooError(.invalidArgument, "the calibration statistics have no entry for this weight; calibrate this model or exclude it", tensor: name)
        }
        return try quantizer.quantizeWeight(name: name, tensor, statistics: layer).withoutReconstruction()
    }
    return try assembleQuantization(source, weights, ineligible: ineligible)
}

/// What sequential calibration does beyond measuring each linear on the model as quantized up to
/// it. Both are on by default and need `sequential` (fixed statistics carry neither the mean
/// input nor the float model's input).
public struct SequentialCorrections: Sendable, Equatable {
    /// Round each weight against its input covariance and let its bias absorb the mean output
    /// shift (`BiasCorrection`).
    public var biasCorrection: Bool
    /// Fit each weight to reproduce the float model's output from the quantized model's input
    /// (`AsymmetricCalibration`).
    public var asymmetric: Bool

    public init(biasCorrection: Bool = true, asymmetric: Bool = true) {
        self.biasCorrection = biasCorrection
        self.asymmetric = asymmetric
    }
}

/// The widest grid for which sequential calibration runs the encoder's linears in bfloat16 (twice
/// the rate). Measured on held-out text: 2–4-bit roundings came out the same either way, while
/// 8-bit GPTQ, whose grid is as fine as bfloat16's 8 significant bits, lost a third more of its
/// small error (mean 1 − cosine 5.4e-5 → 7.3e-5), so wider grids keep float32.
let bfloat16LinearsUpToBits = 4

/// Quantizes the encoder site by site, each linear measured on the model as quantized up to it
/// (`SequentialCalibration`); `progress` gets a line per site. `corrections` say whether each
/// weight is rounded against its input covariance with its bias then absorbing the mean output
/// shift (so later sites already see the corrected layer), and whether it is fitted to the
/// float model's output.
public func quantizeSequentially(_ source: Checkpoint, with quantizer: some CalibratedQuantizer, model: RunnableBert,
                                 run: CalibrationRun, selection: WeightSelection, corrections: SequentialCorrections,
                                 progress: (String) -> Void = { _ in }) throws -> CheckpointQuantization {
    let (jobs, ineligible) = selectWeights(source, selection: selection)
    let tensors = Dictionary(uniqueKeysWithValues: jobs.map { ($0.name, $0.tensor) })
    var done: [String: QuantizedWeight] = [:]
    var adjusted = source
    let driver = SequentialCalibration(model: model, run: run, asymmetric: corrections.asymmetric,
                                       bfloat16Linears: quantizer.bitsPerWeight <= bfloat16LinearsUpToBits)
    try driver.run(source, targets: Set(tensors.keys)) { stage, stageCount, names, statistics in
        let prefix = model.architecture.layerPrefix(stage)
        let short = names.map { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0 }
        progress("\(quantizer.methodName): layer \(stage + 1)/\(stageCount): \(short.joined(separator: ", "))")
        let weights = try parallelMapLargestFirst(count: names.count, cost: { tensors[names[$0]].map(GPTQQuantizer.cost) ?? 0 }) { i in
            guard let tensor = tensors[names[i]], let layer = statistics.layers[names[i]] else {
                throw QZooError(.invalidArgument, "calibration measured no input for this layer", tensor: names[i])
            }
            return try quantizeSiteWeight(names[i], tensor, layer, with: quantizer, corrections: corrections)
        }
        var replacements: [String: Tensor] = [:]
        for var weight in weights {
            replacements[weight.name] = try weight.takeDequantized()
            done[weight.name] = weight
        }
        if corrections.biasCorrection {
            let biases = try correctedBiases(model.architecture.layerLinears(stage), replacements, original: tensors, statistics,
                                             asymmetric: corrections.asymmetric, in: adjusted)
            for (name, bias) in biases { (replacements[name], adjusted.tensors[name]) = (bias, bias) }
        }
        return replacements
    }
    return try assembleQuantization(adjusted, jobs.compactMap { done[$0.name] }, ineligible: ineligible)
}

/// One weight of a sequential site: rounded against the centred moments with bias correction,
/// and aimed at the float model's output (`AsymmetricCalibration.target`) when asymmetric. The
/// report's error is against the weight as trained, whatever the rounding aimed at.
private func quantizeSiteWeight(_ name: String, _ tensor: Tensor, _ statistics: LayerCalibration,
                                with quantizer: some CalibratedQuantizer, corrections: SequentialCorrections) throws -> QuantizedWeight {
    var layer = statistics
    if corrections.biasCorrection, let mean = layer.mean {
        layer.hessian = BiasCorrection.covariance(hessian: layer.hessian, mean: mean)
        if let reference = layer.reference {
            layer.reference?.cross = AsymmetricCalibration.centred(cross: reference.cross, referenceMean: reference.mean, mean: mean)
        }
    }
    guard corrections.asymmetric, let reference = layer.reference else {
        return try quantizer.quantizeWeight(name: name, tensor, statistics: layer)
    }
    do {
        let (rows, columns) = try tensor.weightMatrixShape()
        let target = try AsymmetricCalibration.target(weight: tensor.floats(), rows: rows, columns: columns,
                                                      hessian: layer.hessian, cross: reference.cross)
        var result = try quantizer.quantizeWeight(name: name, try Tensor(shape: tensor.shape, floats: target), statistics: layer)
        try result.attribute(to: tensor)
        return result
    } catch let error as QZooError {
        throw error.inTensor(name)
    }
}

/// The corrected bias of every linear in `linears` that was quantized (`quantized`, dense),
/// keyed by bias name: `b + (W − Ŵ)·μ` with `b` from `checkpoint`, or `b + W·μ_float − Ŵ·μ`
/// when `asymmetric`.
private func correctedBiases(_ linears: [LinearLayer], _ quantized: [String: Tensor], original: [String: Tensor],
                             _ statistics: CalibrationSet, asymmetric: Bool, in checkpoint: Checkpoint) throws -> [String: Tensor] {
    var result: [String: Tensor] = [:]
    for linear in linears {
        guard let hat = quantized[linear.name], let weight = original[linear.name], let bias = checkpoint.tensors[linear.biasName],
              let layer = statistics.layers[linear.name], let mean = layer.mean else { continue }
        guard weight.shape == [linear.outFeatures, linear.inFeatures], hat.shape == weight.shape,
              bias.shape == [linear.outFeatures], mean.count == linear.inFeatures else {
            throw QZooError(.invalidArgument, "bias correction needs a [\(linear.outFeatures)] bias and [\(linear.outFeatures), \(linear.inFeatures)] "
                            + "weights; found bias \(bias.shape) and weight \(weight.shape)", tensor: linear.name)
        }
        let values = BiasCorrection.corrected(bias: bias.floats(), weight: weight.floats(), quantized: hat.floats(), mean: mean,
                                              referenceMean: asymmetric ? layer.reference?.mean : nil)
        result[linear.biasName] = try Tensor(shape: bias.shape, floats: values).converted(to: bias.dtype)
    }
    return result
}

extension PipelineState {
    /// A calibrated rounding stage (`gptq`, `ldlq`): the input's calibrated weights quantized
    /// on the model as quantized up to each weight (`sequential`, then with the `corrections`
    /// asked for) or with the calibrate stage's fixed statistics, inside the incoherence a
    /// `hadamard` stage asked for.
    static func calibratedRounding(_ inputs: [PipelineState], context: StageContext, pass: String,
                                   quantizer: some CalibratedQuantizer, sequential: Bool,
                                   corrections: SequentialCorrections) throws -> PipelineState {
        let (input, checkpoint) = try PipelineState.checkpoint(of: inputs, stage: context.stageID)
        guard let incoherence = input.incoherence else {
            return try input.rounded(checkpoint, with: quantizer, context: context, pass: pass, sequential: sequential, corrections: corrections)
        }
        return try input.rounded(checkpoint, with: IncoherentQuantizer(quantizer, incoherence: incoherence), context: context,
                                 pass: pass, sequential: sequential, corrections: corrections)
    }

    private func rounded(_ checkpoint: Checkpoint, with quantizer: some CalibratedQuantizer, context: StageContext, pass: String,
                         sequential: Bool, corrections: SequentialCorrections) throws -> PipelineState {
        var state = self
        let calibration = try PipelineCalibration.required(state, stage: context.stageID, pass: pass)
        let selection = try context.selection(calibration: calibration)
        let result: CheckpointQuantization
        if sequential {
            let (model, dense) = try RunnableBert.of(state, checkpoint: checkpoint, stage: context.stageID)
            result = try quantizeSequentially(dense, with: quantizer, model: model, run: calibration.run, selection: selection,
                                              corrections: corrections)
        } else {
            result = try quantizeCalibrated(checkpoint, with: quantizer, statistics: calibration.statistics, selection: selection)
        }
        try state.adopt(result, stage: context.stageID)
        return state
    }
}
