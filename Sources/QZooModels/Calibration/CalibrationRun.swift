import QZooCore

/// The text a calibration runs on and how it is cut into batches: everything a pass needs to
/// measure a model again later (sequential GPTQ re-measures each layer after quantizing the
/// layers before it, so the statistics alone are not enough).
public struct CalibrationRun: Sendable, Equatable {
    public var texts: [String]
    /// Tokens per sentence including `[CLS]` and `[SEP]`.
    public var maxLength: Int
    /// Sentences per forward pass.
    public var batchSize: Int

    public init(texts: [String], maxLength: Int = 128, batchSize: Int = 32) {
        self.texts = texts
        self.maxLength = maxLength
        self.batchSize = batchSize
    }
}

/// A BERT model qzoo can run: its architecture and tokenizer, for passes that measure it.
public struct RunnableBert: Sendable {
    public var architecture: BertArchitecture
    public var tokenizer: WordPieceTokenizer

    public init(architecture: BertArchitecture, tokenizer: WordPieceTokenizer) {
        self.architecture = architecture
        self.tokenizer = tokenizer
    }

    /// Statistics of every linear layer's input from a forward pass of `checkpoint` over
    /// `run.texts`, with the encoder in `precision` (float32 or bfloat16 linears) and, with
    /// `bfloat16Gram`, Gram matrices of bfloat16-rounded inputs, as sequential calibration sums them.
    public func calibrate(_ checkpoint: Checkpoint, on run: CalibrationRun, precision: BertEncoder.Precision = .float32,
                          bfloat16Gram: Bool = false, progress: (Int) -> Void = { _ in }) throws -> CalibrationSet {
        let encoder = try BertEncoder(architecture: architecture, checkpoint: checkpoint, precision: precision)
        let embedder = try SentenceEmbedder(tokenizer: tokenizer, encoder: encoder, maxLength: run.maxLength, batchSize: run.batchSize)
        var accumulator = CalibrationAccumulator(architecture: architecture, bfloat16Gram: bfloat16Gram)
        var profile = ForwardProfile()
        _ = try embedder.embed(run.texts, observer: &accumulator, profile: &profile, progress: progress)
        return accumulator.result()
    }
}
