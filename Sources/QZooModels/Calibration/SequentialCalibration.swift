import QZooCore

/// Quantization that measures each encoder layer on the outputs of the already-quantized layers
/// before it, as the reference GPTQ (and QuIP#) do: errors made early are then compensated by
/// the rounding of later layers, instead of compounding unseen.
///
/// The driver only orders the work. A method supplies `quantize`, which receives one stage's
/// weight names with their statistics and returns what those weights become in the model
/// (their dequantized values); the next stage is measured with them in place.
public struct SequentialCalibration: Sendable {
    public var model: RunnableBert
    public var run: CalibrationRun

    public init(model: RunnableBert, run: CalibrationRun) {
        self.model = model
        self.run = run
    }

    /// The stages as ranges of scale-group indices, one per encoder layer.
    public var stages: [Range<Int>] {
        let groups = model.architecture.scaleGroups.count
        let layers = model.architecture.config.layerCount
        guard layers > 0 else { return [0 ..< groups] }
        let perLayer = groups / layers
        return (0..<layers).map { $0 * perLayer ..< ($0 + 1) * perLayer }
    }

    /// Runs every stage that holds one of `targets` (weight names) on `checkpoint` (dense).
    /// `quantize(stage, stageCount, names, statistics)` returns replacement dense tensors for
    /// `names`. Throws, naming the tensor, when a target is not an encoder linear layer.
    public func run(_ checkpoint: Checkpoint, targets: Set<String>,
                    quantize: (Int, Int, [String], CalibrationSet) throws -> [String: Tensor]) throws {
        let groups = model.architecture.scaleGroups
        let reachable = Set(groups.flatMap(\.consumers))
        if let stray = targets.subtracting(reachable).sorted().first {
            throw QZooError(.invalidArgument, "is not an encoder linear layer, so calibration on text has no statistics for it; "
                            + "leave it out of the weights to quantize", tensor: stray)
        }
        var current = checkpoint
        let stages = stages
        for (index, stage) in stages.enumerated() {
            let names = stage.flatMap { groups[$0].consumers }.filter(targets.contains)
            guard !names.isEmpty else { continue }
            let statistics = try model.calibrate(current, on: run, groups: stage)
            let replacements = try quantize(index, stages.count, names, statistics)
            for (name, tensor) in replacements { current.tensors[name] = tensor }
        }
    }
}
