import QZooCore

/// How to run a pipeline.
public struct RunOptions: Sendable {
    public var cacheDirectory: String
    public var outDirectory: String
    /// Stages that may run at the same time.
    public var jobs: Int
    public var dryRun: Bool
    /// Replace outputs in `outDirectory` that differ from what the run produced.
    public var force: Bool

    public init(cacheDirectory: String, outDirectory: String, jobs: Int = 1, dryRun: Bool = false, force: Bool = false) {
        self.cacheDirectory = cacheDirectory
        self.outDirectory = outDirectory
        self.jobs = jobs
        self.dryRun = dryRun
        self.force = force
    }
}

/// Runs a validated pipeline: plans (cache keys), executes the stages that must run in
/// dependency order and in parallel, then writes the outputs. A failed stage blocks its
/// dependants; independent stages still finish (and land in the cache), but nothing is written to
/// the output directory unless every stage succeeded.
public enum PipelineRunner {
    public static func run(_ pipeline: Pipeline, context: RunContext, options: RunOptions, observer: (any RunObserver)? = nil) throws -> RunReport {
        let cache = try StageCache(root: options.cacheDirectory)
        let plan = try RunPlan(pipeline: pipeline, run: context, cache: cache)
        let planned = pipeline.stages.indices.map { index in
            StageOutcome(id: pipeline.stages[index].id, pass: pipeline.stages[index].passName, key: plan.keys[index],
                         status: status(for: plan.plans[index], dryRun: options.dryRun))
        }
        let writer = OutputWriter(pipeline: pipeline, run: context, directory: options.outDirectory, force: options.force)
        if options.dryRun {
            return RunReport(pipeline: pipeline.name, stages: planned, outputs: writer.expectedPaths(), dryRun: true)
        }
        for outcome in planned where outcome.status != .wouldRun { observer?.handle(.finished(outcome)) }
        let executor = StageExecutor(pipeline: pipeline, plan: plan, run: context, cache: cache, outcomes: planned, observer: observer)
        let (outcomes, states) = executor.execute(jobs: max(1, options.jobs))
        var report = RunReport(pipeline: pipeline.name, stages: outcomes, outputs: [], dryRun: false)
        guard report.failure == nil else { return report }
        report.outputs = try writer.write(states: states, keys: plan.keys, cache: cache, observer: observer)
        return report
    }

    static func status(for plan: StagePlan, dryRun: Bool) -> StageStatus {
        switch plan {
        case .run: return .wouldRun
        case .cached: return .cached
        case .notNeeded: return .notNeeded
        }
    }
}
