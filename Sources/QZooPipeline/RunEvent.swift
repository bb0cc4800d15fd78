#if canImport(Glibc)
import Glibc
#endif
import QZooCore

/// What happened to a stage, reported as it happens and in the final `RunReport`.
public enum StageStatus: String, Sendable {
    case ran, cached
    case notNeeded = "not needed"
    case failed
    /// Not run because a stage it needs failed.
    case blocked
    /// `--dry-run`: would run.
    case wouldRun = "would run"
}

public struct StageOutcome: Sendable {
    public var id: String
    public var pass: String
    public var key: String
    public var status: StageStatus
    /// Monotonic seconds; set for stages that ran or failed.
    public var started: Double?
    public var finished: Double?
    public var error: QZooError?
}

/// Progress of a run, delivered from worker threads (observers lock their own output).
public enum RunEvent: Sendable {
    case started(stage: String, pass: String)
    case finished(StageOutcome)
    case wrote(path: String, upToDate: Bool)
}

public protocol RunObserver: Sendable {
    func handle(_ event: RunEvent)
}

/// The outcome of `PipelineRunner.run`.
public struct RunReport: Sendable {
    public var pipeline: String
    public var stages: [StageOutcome]
    /// Files and directories written (or confirmed up to date) in `--out`.
    public var outputs: [String]
    public var dryRun: Bool

    /// The first failure, if any stage failed.
    public var failure: QZooError? { stages.first { $0.status == .failed }?.error }

    public func json() -> String {
        JSONWriter.serialize(.object([
            ("pipeline", .string(pipeline)), ("dry_run", .bool(dryRun)), ("outputs", .array(outputs.map { .string($0) })),
            ("stages", .array(stages.map { stage in
                var fields: [(key: String, value: JSONValue)] = [
                    ("id", .string(stage.id)), ("pass", .string(stage.pass)), ("key", .string(stage.key)), ("status", .string(stage.status.rawValue)),
                ]
                if let started = stage.started, let finished = stage.finished { fields.append(("seconds", .double(finished - started))) }
                if let error = stage.error { fields.append(("error", .string(error.description))) }
                return .object(fields)
            })),
        ]))
    }
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}
