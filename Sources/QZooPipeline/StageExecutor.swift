import Dispatch
import QZooCore

/// Runs the stages a plan marks `.run`, each as soon as its inputs are ready, at most `jobs` at a
/// time, on Dispatch's thread pool. Inputs that were not run come from the cache.
final class StageExecutor: @unchecked Sendable {
    private let pipeline: Pipeline
    private let plan: RunPlan
    private let run: RunContext
    private let cache: StageCache
    private let observer: (any RunObserver)?
    private let lock = PthreadMutex()
    private let group = DispatchGroup()
    // Guarded by `lock`:
    private var outcomes: [StageOutcome]
    private var states: [PipelineState?]
    private var waitingOn: [Int]
    private var ready: [Int] = []
    private var running = 0
    private var jobs = 1

    init(pipeline: Pipeline, plan: RunPlan, run: RunContext, cache: StageCache, outcomes: [StageOutcome], observer: (any RunObserver)?) {
        self.pipeline = pipeline
        self.plan = plan
        self.run = run
        self.cache = cache
        self.outcomes = outcomes
        self.observer = observer
        states = Array(repeating: nil, count: pipeline.stages.count)
        waitingOn = pipeline.stages.map { stage in stage.needs.filter { plan.plans[$0] == .run }.count }
    }

    /// Runs everything; returns the outcomes and the in-memory states of the stages that ran.
    func execute(jobs: Int) -> ([StageOutcome], [PipelineState?]) {
        lock.locked {
            self.jobs = jobs
            ready = pipeline.stages.indices.filter { plan.plans[$0] == .run && waitingOn[$0] == 0 }
            dispatchReady()
        }
        group.wait()
        return lock.locked { (outcomes, states) }
    }

    /// Starts ready stages while fewer than `jobs` run. Called with the lock held.
    private func dispatchReady() {
        while running < jobs, !ready.isEmpty {
            let index = ready.removeFirst()
            running += 1
            outcomes[index].status = .ran
            outcomes[index].started = monotonicSeconds()
            group.enter()
            let stage = pipeline.stages[index]
            observer?.handle(.started(stage: stage.id, pass: stage.passName))
            DispatchQueue.global().async { self.runStage(index) }
        }
    }

    private func runStage(_ index: Int) {
        let stage = pipeline.stages[index]
        var result: Result<PipelineState, QZooError>
        do {
            let inputs = try stage.needs.map { need in try lock.locked { states[need] } ?? cache.load(plan.keys[need]) }
            result = .success(try execute(stage, key: plan.keys[index], inputs: inputs))
        } catch let error as QZooError {
            result = .failure(error)
        } catch {
            result = .failure(QZooError(.io, "\(error)"))
        }
        lock.locked { complete(index, result) }
        group.leave()
    }

    private func execute(_ stage: PlannedStage, key: String, inputs: [PipelineState]) throws -> PipelineState {
        let context = { (directory: String) in
            StageContext(run: self.run, stageID: stage.id, targets: stage.targets, ignore: stage.ignore, directory: directory)
        }
        guard stage.signature.cached else { return try stage.pass.apply(inputs, context: context("")) }
        return try cache.store(key) { try stage.pass.apply(inputs, context: context($0)) }
    }

    /// Records a finished stage, reports it, and releases (or blocks) its dependants. Called with
    /// the lock held, so events arrive in the order things happened.
    private func complete(_ index: Int, _ result: Result<PipelineState, QZooError>) {
        running -= 1
        outcomes[index].finished = monotonicSeconds()
        switch result {
        case .success(let state):
            states[index] = state
            for dependant in pipeline.stages.indices where pipeline.stages[dependant].needs.contains(index) && plan.plans[dependant] == .run {
                waitingOn[dependant] -= 1
                if waitingOn[dependant] == 0 { ready.append(dependant) }
            }
        case .failure(let error):
            outcomes[index].status = .failed
            outcomes[index].error = error.description.contains("stage '\(outcomes[index].id)'") ? error
                : QZooError(error.code, "stage '\(outcomes[index].id)': \(error.message)", file: error.file, tensor: error.tensor)
        }
        observer?.handle(.finished(outcomes[index]))
        if outcomes[index].status == .failed { block(after: index) }
        dispatchReady()
    }

    /// Marks and reports every stage downstream of a failed one as blocked. Called with the lock held.
    private func block(after failed: Int) {
        var frontier = [failed]
        while let current = frontier.popLast() {
            for dependant in pipeline.stages.indices where pipeline.stages[dependant].needs.contains(current) && outcomes[dependant].status == .wouldRun {
                outcomes[dependant].status = .blocked
                observer?.handle(.finished(outcomes[dependant]))
                frontier.append(dependant)
            }
        }
    }
}
