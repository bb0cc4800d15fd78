import QZooCore
import QZooMath
import QZooModels
import QZooQuant

/// What AWQ did to one scale group.
public struct AWQGroupReport: Sendable {
    public var producer: String
    public var consumers: [String]
    public var ratio: Double
    /// Relative to the unscaled rounding's loss (1 = no gain).
    public var relativeLoss: Double
}

/// A model after AWQ's scale and clip searches: still dense, every searched group scaled
/// (folded or carried as pending input scales), clipped weights, and the calibration
/// statistics transformed to match. A quantizer (RTN, GPTQ) finishes it.
public struct AWQOutcome: Sendable {
    public var checkpoint: Checkpoint
    public var calibration: CalibrationSet
    public var groups: [AWQGroupReport]
    public var scaleSeconds: Double
    public var clipSeconds: Double
}

/// AWQ over a model qzoo knows the scale groups of (llm-awq `run_awq`): for every scale group
/// with a consumer in `selected`, the scale search on that group's statistics, then the
/// function-preserving scaling (statistics transformed as the inputs are); then the clip
/// search on every selected linear except query and key, against its scaled-input Hessian.
///
/// Statistics come from one calibration of the float model: scaling preserves the function, so
/// the inputs a later group sees are those of the float model divided by its own scales.
public struct AWQModelSearch: Sendable {
    public let parameters: AWQParameters

    public init(parameters: AWQParameters) throws {
        try parameters.validate()
        self.parameters = parameters
    }

    public func run(_ checkpoint: Checkpoint, architecture: BertArchitecture, calibration: CalibrationSet,
                    selected: Set<String>) throws -> AWQOutcome {
        var checkpoint = checkpoint, calibration = calibration
        let search = try AWQScaleSearch(parameters: parameters)
        var reports: [AWQGroupReport] = []
        let start = MonotonicClock.seconds()
        for group in architecture.scaleGroups {
            let consumers = group.consumers.filter(selected.contains)
            guard let first = consumers.first else { continue }
            guard let statistics = calibration.layers[first], let absMean = statistics.absMean else {
                throw QZooError(.invalidArgument, "awq needs the mean |x| of this layer's input; the calibration data has none", tensor: first)
            }
            let weights = try consumers.map { name in
                guard let weight = checkpoint.tensors[name] else { throw QZooError.malformed("is not a dense weight", tensor: name) }
                return weight.floats()
            }
            let choice: AWQScaleChoice
            do {
                choice = try search.search(weights: weights, columns: group.inFeatures, hessian: statistics.hessian, absMean: absMean)
            } catch let error as QZooError {
                throw error.inTensor(first)
            }
            try ScaleApplication.apply(choice.scales, to: group, checkpoint: &checkpoint, calibration: &calibration)
            reports.append(AWQGroupReport(producer: group.producer.description, consumers: consumers, ratio: choice.ratio,
                                          relativeLoss: choice.unscaledLoss > 0 ? choice.loss / choice.unscaledLoss : 1))
        }
        let scaled = MonotonicClock.seconds()
        if parameters.clip { try clip(&checkpoint, architecture: architecture, calibration: calibration, selected: selected) }
        return AWQOutcome(checkpoint: checkpoint, calibration: calibration, groups: reports,
                          scaleSeconds: scaled - start, clipSeconds: MonotonicClock.seconds() - scaled)
    }

    /// Whether the clip search skips the layer: query and key projections (their rounding
    /// error passes through the softmax, which the layer's output error does not see).
    public static func skipsClip(_ name: String) -> Bool {
        ["q_", "k_", "query", "key", "Wqkv"].contains { name.contains($0) }
    }

    func clip(_ checkpoint: inout Checkpoint, architecture: BertArchitecture, calibration: CalibrationSet, selected: Set<String>) throws {
        let search = try AWQClipSearch(parameters: parameters)
        let jobs = architecture.linearLayers.filter { selected.contains($0.name) && !Self.skipsClip($0.name) }
        let current = checkpoint
        let clipped = try parallelMap(count: jobs.count) { index -> Tensor in
            let layer = jobs[index]
            guard let weight = current.tensors[layer.name], let hessian = calibration.layers[layer.name]?.hessian else {
                throw QZooError(.invalidArgument, "awq clip needs a dense weight and its input Hessian", tensor: layer.name)
            }
            var values = weight.floats()
            do {
                try search.clip(&values, rows: layer.outFeatures, columns: layer.inFeatures, hessian: hessian)
            } catch let error as QZooError {
                throw error.inTensor(layer.name)
            }
            return try Tensor(shape: weight.shape, floats: values)
        }
        for (layer, tensor) in zip(jobs, clipped) { checkpoint.tensors[layer.name] = tensor }
    }
}
