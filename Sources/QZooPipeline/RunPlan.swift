import QZooCore
import QZooFormats

/// What a run will do with each stage, decided before anything runs.
public enum StagePlan: String, Sendable {
    /// Not cached (or never cached) and needed: it runs.
    case run
    /// Its output is in the cache and is used from there.
    case cached
    /// Everything that needs it is cached, so it is not needed at all.
    case notNeeded = "not needed"
}

/// The cache key of every stage and what the run will do with it.
///
/// A key is the SHA-256 of the canonical JSON of: qzoo's version, the pass name, its decoded
/// parameters (defaults included), its targets and ignore patterns, the keys of its inputs in
/// order, and the pass's external content (the model files' hashes for `load`). So a changed
/// parameter or input byte changes exactly the keys of the stages it flows into.
public struct RunPlan: Sendable {
    public let keys: [String]
    public let plans: [StagePlan]

    init(pipeline: Pipeline, run: RunContext, cache: StageCache) throws {
        var keys: [String] = []
        for stage in pipeline.stages {
            let document = JSONValue.object([
                ("qzoo", .string(QZooVersion.current)), ("pass", .string(stage.passName)), ("parameters", stage.parameters),
                ("targets", .array(stage.targets.map { .string($0) })), ("ignore", .array(stage.ignore.map { .string($0) })),
                ("inputs", .array(stage.needs.map { .string(keys[$0]) })), ("external", try stage.pass.externalKey(run)),
            ])
            keys.append(SHA256Digest.hex(Array(JSONWriter.serialize(document).utf8)))
        }
        self.keys = keys
        plans = Self.decide(pipeline: pipeline, cached: keys.indices.map { pipeline.stages[$0].signature.cached && cache.contains(keys[$0]) })
    }

    /// Outputs are always needed; a stage that runs needs its inputs; a needed stage runs unless cached.
    static func decide(pipeline: Pipeline, cached: [Bool]) -> [StagePlan] {
        var needed = [Bool](repeating: false, count: pipeline.stages.count)
        for output in pipeline.outputStages { needed[output] = true }
        var plans = [StagePlan](repeating: .notNeeded, count: pipeline.stages.count)
        for index in pipeline.stages.indices.reversed() where needed[index] {
            if cached[index] {
                plans[index] = .cached
            } else {
                plans[index] = .run
                for input in pipeline.stages[index].needs { needed[input] = true }
            }
        }
        return plans
    }
}
