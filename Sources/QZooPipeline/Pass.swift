import QZooCore

/// What flows along a pipeline edge; a pass states which kind it consumes and produces, and
/// validation checks every edge against that before anything runs.
public enum ValueKind: String, Sendable {
    /// A model in memory: tensors (dense or quantized), side files, per-tensor summaries.
    case checkpoint
    /// Files written by an export.
    case files
    /// A finished bundle.
    case bundle
}

/// The shape of a pass in the graph.
public struct PassSignature: Sendable {
    /// How many stages it needs (`load` 0, most passes 1, `bundle` 1 or more).
    public var inputs: ClosedRange<Int>
    public var consumes: ValueKind?
    public var produces: ValueKind
    /// Whether the stage's `targets`/`ignore` patterns mean anything to the pass.
    public var usesTargets: Bool
    /// Whether the output is stored in the cache. `load` is not: it is a cheap read of files
    /// whose hashes already key everything after it.
    public var cached: Bool

    public init(inputs: ClosedRange<Int>, consumes: ValueKind?, produces: ValueKind, usesTargets: Bool, cached: Bool = true) {
        self.inputs = inputs
        self.consumes = consumes
        self.produces = produces
        self.usesTargets = usesTargets
        self.cached = cached
    }

    /// Whether a stage of this pass may end the pipeline (its output is delivered to `--out`).
    public var isOutput: Bool { produces != .checkpoint }
}

/// A transformation stage. A pass is a deterministic function of its inputs and parameters;
/// that is what makes caching by content hash correct. Adding a pass means one file with a type
/// conforming to this and one line in `PassRegistry.standard`.
public protocol Pass: Sendable {
    static var name: String { get }
    /// One line for `qzoo run --help` and docs/pipelines.md.
    static var summary: String { get }
    static var signature: PassSignature { get }

    /// Decodes the stage's `with:` map; unknown keys are rejected after this returns.
    init(parameters: inout PassParameters) throws

    /// Content outside the stage's inputs that its output depends on (the model's files for
    /// `load`; names and the pipeline text for `bundle`), folded into the cache key.
    func externalKey(_ run: RunContext) throws -> JSONValue

    func apply(_ inputs: [PipelineState], context: StageContext) throws -> PipelineState
}

extension Pass {
    public func externalKey(_ run: RunContext) throws -> JSONValue { .null }
}
