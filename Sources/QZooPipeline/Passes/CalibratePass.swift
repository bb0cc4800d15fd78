import QZooCore
import QZooModels

/// Measures every linear layer's input statistics (Hessian, max and mean |x|) on text, and hands
/// the model on with them attached: one `calibrate` stage can feed several quantizers.
public struct CalibratePass: Pass {
    public static let name = "calibrate"
    public static let summary = "measure linear-layer input statistics on text for GPTQ/AWQ/SmoothQuant/QuIP# (data, samples, max_length, batch)"
    public static let signature = PassSignature(inputs: 1...1, consumes: .checkpoint, produces: .checkpoint, usesTargets: false)

    /// A path (relative to the working directory), or nil for the built-in corpus.
    let data: String?
    let samples: Int?
    /// Tokens per sentence; nil for 128 or the model's position table if that is shorter.
    let maxLength: Int?
    let batch: Int

    public init(parameters: inout PassParameters) throws {
        data = try parameters.string("data", default: nil) { $0.isEmpty ? "must name a text file" : nil }
        samples = try parameters.optionalInt("samples", in: 1...(1 << 24))
        maxLength = try parameters.optionalInt("max_length", in: 2...8192)
        batch = try parameters.int("batch", in: 1...4096, default: 32)
    }

    /// The text's content, so editing the data file re-runs calibration and everything after it.
    public func externalKey(_ run: RunContext) throws -> JSONValue {
        .string(try TextCorpus.load(data).sha256)
    }

    public func apply(_ inputs: [PipelineState], context: StageContext) throws -> PipelineState {
        let (input, checkpoint) = try PipelineState.checkpoint(of: inputs, stage: context.stageID)
        var state = input
        let corpus = try TextCorpus.load(data)
        let (model, dense) = try RunnableBert.of(state, checkpoint: checkpoint, stage: context.stageID)
        let run = CalibrationRun(texts: Array(corpus.lines.prefix(samples ?? corpus.lines.count)),
                                 maxLength: maxLength ?? min(128, model.architecture.config.maxPositions), batchSize: batch)
        let statistics = try model.calibrate(dense, on: run)
        state.calibration = PipelineCalibration(statistics: statistics, run: run, source: corpus.source, sha256: corpus.sha256)
        return state
    }
}
