import QZooCore
import QZooMath

/// A BERT encoder ready to run: its architecture and its weights in the chosen precision.
///
/// Every matrix product goes through OpenBLAS, except the linear layers' in `.bfloat16Linears`
/// (`BFloat16Product`). Sequences are packed (see `TokenBatch`), token
/// type ids are 0 and positions restart at 0 in each sequence, as for single-sentence input.
/// Results are float32 in every precision; `.float64` computes everything in double (slower),
/// as a reference for checking the float32 pass.
public struct BertEncoder: Sendable {
    public enum Precision: String, Sendable, CaseIterable {
        case float32, float64
        /// float32, except that the linear layers multiply bfloat16-rounded inputs and weights
        /// (float32 sums, `BFloat16Product.linear`): about twice the rate where the CPU has
        /// AVX512-BF16. Sequential calibration's forward pass, whose only product is second-order
        /// statistics that are themselves summed over bfloat16-rounded inputs.
        case bfloat16Linears = "bf16-linears"
    }

    public let architecture: BertArchitecture
    public let precision: Precision
    var forward: Forward

    enum Forward: Sendable {
        case float(BertForward<Float>)
        case double(BertForward<Double>)
    }

    /// Checks `checkpoint` against the architecture and converts its tensors to the precision.
    public init(architecture: BertArchitecture, checkpoint: Checkpoint, precision: Precision = .float32) throws {
        self.architecture = architecture
        self.precision = precision
        switch precision {
        case .float32: forward = .float(try BertForward(architecture: architecture, checkpoint: checkpoint))
        case .bfloat16Linears:
            var model = try BertForward<Float>(architecture: architecture, checkpoint: checkpoint)
            try model.weights.roundLinearsToBFloat16()
            forward = .float(model)
        case .float64: forward = .double(try BertForward(architecture: architecture, checkpoint: checkpoint))
        }
    }

    public var config: BertConfig { architecture.config }

    /// The last layer's hidden states, `[batch.tokenCount, hiddenSize]` row-major.
    public func hiddenStates<O: LinearInputObserver>(_ batch: TokenBatch, observer: inout O, profile: inout ForwardProfile) throws -> [Float] {
        switch forward {
        case .float(let model):
            return try model.hiddenStates(batch, observe: { try observer.report($0, group: $1, input: $2, rows: $3, columns: $4) }, profile: &profile)
        case .double(let model):
            let hidden = try model.hiddenStates(batch, observe: { stage, group, input, rows, columns in
                let narrowed = input.map(Float.init)
                try narrowed.withUnsafeBufferPointer { try observer.report(stage, group: group, input: $0, rows: rows, columns: columns) }
            }, profile: &profile)
            return hidden.map(Float.init)
        }
    }

    public func hiddenStates(_ batch: TokenBatch) throws -> [Float] {
        var observer = NoObserver()
        var profile = ForwardProfile()
        return try hiddenStates(batch, observer: &observer, profile: &profile)
    }

    /// The embedding layer's output for `batch`, `[batch.tokenCount, hiddenSize]`: the input of
    /// layer 0. With `observe`/`apply` (BertEncoder+Sites) it runs the model one site at a time,
    /// so sequential calibration keeps each site's inputs instead of recomputing the layers before.
    public func embeddings(_ batch: TokenBatch) throws -> [Float] {
        switch forward {
        case .float(let model):
            try model.check(batch)
            return model.embed(batch)
        case .double(let model):
            try model.check(batch)
            return model.embed(batch).map(Float.init)
        }
    }

    /// Sentence embeddings as sentence-transformers computes them for mean-pooling models:
    /// the mean of each sequence's final hidden states over its tokens (special tokens
    /// included, padding excluded), divided by its L2 norm (at least 1e-12): `[batch.count, h]`.
    public func sentenceEmbeddings<O: LinearInputObserver>(_ batch: TokenBatch, observer: inout O, profile: inout ForwardProfile) throws -> [Float] {
        switch forward {
        case .float(let model):
            let hidden = try model.hiddenStates(batch, observe: { try observer.report($0, group: $1, input: $2, rows: $3, columns: $4) }, profile: &profile)
            return SentencePooling.meanNormalized(hidden, batch: batch, width: config.hiddenSize)
        case .double(let model):
            let hidden = try model.hiddenStates(batch, observe: { stage, group, input, rows, columns in
                let narrowed = input.map(Float.init)
                try narrowed.withUnsafeBufferPointer { try observer.report(stage, group: group, input: $0, rows: rows, columns: columns) }
            }, profile: &profile)
            return SentencePooling.meanNormalized(hidden, batch: batch, width: config.hiddenSize).map(Float.init)
        }
    }

    public func sentenceEmbeddings(_ batch: TokenBatch) throws -> [Float] {
        var observer = NoObserver()
        var profile = ForwardProfile()
        return try sentenceEmbeddings(batch, observer: &observer, profile: &profile)
    }
}
