import QZooCore
import QZooQuant

/// What every stage of one run shares: the model, the names that go into bundles, and the
/// pipeline file's exact text.
public struct RunContext: Sendable {
    public var model: ModelSource
    /// The model's name in bundle manifests (the zoo's short name, or the model folder's name).
    public var modelName: String
    public var pipelineName: String
    public var pipelineText: String

    public init(model: ModelSource, modelName: String, pipelineName: String, pipelineText: String) {
        self.model = model
        self.modelName = modelName
        self.pipelineName = pipelineName
        self.pipelineText = pipelineText
    }
}

/// What one stage sees while it runs.
public struct StageContext: Sendable {
    public var run: RunContext
    public var stageID: String
    /// Tensor-name patterns from the stage's `targets:` and `ignore:`.
    public var targets: [String]
    public var ignore: [String]
    /// An empty directory the stage writes its files into; it becomes the stage's cache entry.
    public var directory: String

    /// The compiled patterns (already checked when the pipeline was validated).
    public func compiled(_ patterns: [String]) throws -> [Regex<AnyRegexOutput>] {
        try patterns.map { try Regex($0) }
    }

    /// The weights `targets`/`ignore` pick. With `calibration` and no `targets`, only the layers
    /// it has statistics for (a calibrated method leaves a pooler dense unless named).
    func selection(calibration: PipelineCalibration? = nil) throws -> WeightSelection {
        var selection = WeightSelection(include: try compiled(targets), exclude: try compiled(ignore))
        if let calibration, targets.isEmpty { selection.only = Set(calibration.statistics.layers.keys) }
        return selection
    }
}
