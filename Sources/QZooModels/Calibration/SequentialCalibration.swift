import QZooCore

/// Quantization that measures each encoder layer on the outputs of the already-quantized layers
/// before it, as the reference GPTQ (and QuIP#) do: errors made early are then compensated by
/// the rounding of later layers, instead of compounding unseen.
///
/// Like the reference, it keeps every calibration token's hidden state between layers: layer
/// `i` runs twice (float weights to measure its inputs' statistics, quantized weights to make
/// the next layer's inputs) instead of re-running layers `0..<i` for every stage.
///
/// The driver only orders the work. A method supplies `quantize`, which receives one layer's
/// weight names with their statistics and returns what those weights become in the model
/// (their dequantized values).
public struct SequentialCalibration: Sendable {
    public var model: RunnableBert
    public var run: CalibrationRun

    public init(model: RunnableBert, run: CalibrationRun) {
        self.model = model
        self.run = run
    }

    /// Runs every encoder layer that holds one of `targets` (weight names) on `checkpoint`
    /// (dense). `quantize(layer, layerCount, names, statistics)` returns replacement dense
    /// tensors for `names`. Throws, naming the tensor, when a target is not an encoder linear.
    public func run(_ checkpoint: Checkpoint, targets: Set<String>,
                    quantize: (Int, Int, [String], CalibrationSet) throws -> [String: Tensor]) throws {
        let architecture = model.architecture
        let reachable = Set(architecture.scaleGroups.flatMap(\.consumers))
        if let stray = targets.subtracting(reachable).sorted().first {
            throw QZooError(.invalidArgument, "is not an encoder linear layer, so calibration on text has no statistics for it; "
                            + "leave it out of the weights to quantize", tensor: stray)
        }
        let batches = try tokenBatches()
        var current = checkpoint
        var encoder = try BertEncoder(architecture: architecture, checkpoint: current)
        var hidden = try batches.map { try encoder.embeddings($0) }
        let layerCount = architecture.config.layerCount
        for index in 0..<layerCount {
            let names = architecture.layerLinears(index).map(\.name).filter(targets.contains)
            if !names.isEmpty {
                var accumulator = CalibrationAccumulator(architecture: architecture)
                _ = try advance(encoder, layer: index, hidden, batches, observer: &accumulator)
                let replacements = try quantize(index, layerCount, names, accumulator.result())
                for (name, tensor) in replacements { current.tensors[name] = tensor }
                encoder = try BertEncoder(architecture: architecture, checkpoint: current)
            }
            var none = NoObserver()
            hidden = try advance(encoder, layer: index, hidden, batches, observer: &none)
        }
    }

    /// The calibration texts tokenized and cut into batches, as `SentenceEmbedder` would.
    func tokenBatches() throws -> [TokenBatch] {
        guard (2...model.architecture.config.maxPositions).contains(run.maxLength), run.batchSize >= 1 else {
            throw QZooError(.invalidArgument, "calibration needs a max length of 2...\(model.architecture.config.maxPositions) "
                            + "and a positive batch size, got \(run.maxLength) and \(run.batchSize)")
        }
        let sequences = run.texts.map { model.tokenizer.encode($0, maxLength: run.maxLength) }
        return stride(from: 0, to: sequences.count, by: run.batchSize).map {
            TokenBatch(Array(sequences[$0 ..< Swift.min($0 + run.batchSize, sequences.count)]))
        }
    }

    private func advance<O: LinearInputObserver>(_ encoder: BertEncoder, layer: Int, _ hidden: [[Float]], _ batches: [TokenBatch],
                                                 observer: inout O) throws -> [[Float]] {
        var profile = ForwardProfile()
        return try zip(hidden, batches).map { try encoder.layer(layer, $0, $1, observer: &observer, profile: &profile) }
    }
}
