import QZooCore
import QZooMath

/// Quantization that measures each linear layer's input on the model as already quantized up
/// to it, as the reference GPTQ (`true_sequential`) and QuIP# drivers do: errors made early
/// are then compensated by the rounding of later layers, instead of compounding unseen.
///
/// It works site by site (`LayerSite`: q|k|v, attention output, FFN up, FFN down) over every
/// calibration batch at once: a site's input statistics are measured on all batches, its
/// weights quantized, and the site applied with the quantized weights, which yields the next
/// site's input (measured in the same pass over the batches). So the attention output's Hessian
/// already sees the quantized q, k and v, and every layer runs once (keeping every calibration
/// token's activations between sites) instead of once to measure and once more to propagate.
///
/// Batches are split over `laneCount` lanes of about equal token counts (`lanes(balancing:)`),
/// each with single-threaded BLAS and its own statistics, summed in lane order: both cores stay
/// busy in the element-wise steps too, and the result does not depend on how many cores there
/// are.
/// OpenBLAS stays on one thread for the whole run, `quantize` included: the methods spread their
/// own work (weights side by side, rows in parts), and an OpenBLAS call on several threads
/// leaves its helpers spinning for a while after it returns, taking turns on the cores with the
/// parallel step that follows.
///
/// With `bfloat16Linears` the layers run in `BertEncoder.Precision.bfloat16Linears`: their
/// matrix products take bfloat16-rounded inputs and weights, as the Gram matrices measured from
/// them always do, which doubles the rate of the larger half of the work where the CPU has
/// AVX512-BF16. Fine for rounding far coarser than bfloat16's 8 significant bits (the caller
/// decides; `quantizeSequentially` does it up to 4 bits).
///
/// With `asymmetric` the float model runs beside the quantized one, and each site's statistics
/// also carry the float model's input on the same tokens (`ReferenceInput`), so the weights can
/// be fitted to reproduce the float model's output rather than the quantized model's own
/// (`AsymmetricCalibration`).
///
/// The driver only orders the work. A method supplies `quantize`, which receives one site's
/// weight names with their statistics and returns what those weights become in the model
/// (their dequantized values).
public struct SequentialCalibration: Sendable {
    public var model: RunnableBert
    public var run: CalibrationRun
    /// Also measure each site's input in the float model (`LayerCalibration.reference`).
    public var asymmetric: Bool
    /// Run the linear layers in bfloat16 (`BertEncoder.Precision.bfloat16Linears`).
    public var bfloat16Linears: Bool
    static let laneCount = 2

    public init(model: RunnableBert, run: CalibrationRun, asymmetric: Bool = false, bfloat16Linears: Bool = false) {
        self.model = model
        self.run = run
        self.asymmetric = asymmetric
        self.bfloat16Linears = bfloat16Linears
    }

    /// The float model and its activations, run beside the quantized one (asymmetric only).
    private struct FloatStream {
        let encoder: BertEncoder
        var states: [LayerActivations<Float>]
    }

    /// Runs every encoder layer that holds one of `targets` (weight names) on `checkpoint`
    /// (dense). `quantize(layer, layerCount, names, statistics)` returns replacement dense
    /// tensors for `names`. Throws, naming the tensor, when a target is not an encoder linear.
    public func run(_ checkpoint: Checkpoint, targets: Set<String>,
                    quantize: (Int, Int, [String], CalibrationSet) throws -> [String: Tensor]) throws {
        try BLAS.singleThreaded { try runSites(checkpoint, targets: targets, quantize: quantize) }
    }

    private func runSites(_ checkpoint: Checkpoint, targets: Set<String>,
                          quantize: (Int, Int, [String], CalibrationSet) throws -> [String: Tensor]) throws {
        let architecture = model.architecture
        let reachable = Set(architecture.scaleGroups.flatMap(\.consumers))
        if let stray = targets.subtracting(reachable).sorted().first {
            throw QZooError(.invalidArgument, "is not an encoder linear layer, so calibration on text has no statistics for it; "
                            + "leave it out of the weights to quantize", tensor: stray)
        }
        let batches = try tokenBatches()
        var encoder = try BertEncoder(architecture: architecture, checkpoint: checkpoint,
                                      precision: bfloat16Linears ? .bfloat16Linears : .float32)
        let lanes = Self.lanes(balancing: batches)
        var states = try perBatch(lanes, count: batches.count) { [encoder] in LayerActivations(input: try encoder.embeddings(batches[$0])) }
        var float = asymmetric ? FloatStream(encoder: encoder, states: states) : nil
        let (layerCount, siteCount) = (architecture.config.layerCount, LayerSite.allCases.count)
        let groups = architecture.scaleGroups
        let lastTarget = groups.lastIndex { !targets.isDisjoint(with: $0.consumers) }
        // A site's statistics, measured while the site before it was applied.
        var measured: CalibrationSet?
        for index in 0..<(lastTarget.map { $0 / siteCount + 1 } ?? 0) {
            for site in LayerSite.allCases {
                let group = index * siteCount + site.rawValue
                let names = groups[group].consumers.filter(targets.contains)
                if !names.isEmpty {
                    let statistics = try measured ?? measure(encoder, site, layer: index, states, float: float, lanes)
                    encoder = try encoder.replacingWeights(try quantize(index, layerCount, names, statistics), layer: index)
                }
                if group == lastTarget { return }  // no later site reads what applying it would give
                let next = group + 1, nextIsTarget = !targets.isDisjoint(with: groups[next].consumers)
                measured = try apply(encoder, site, layer: index, &states, float: &float, batches, lanes,
                                     thenMeasure: nextIsTarget ? (LayerSite.allCases[next % siteCount], next / siteCount) : nil)
            }
        }
    }

    /// The calibration texts tokenized and cut into batches, as `SentenceEmbedder` would; the
    /// batches are tokenized side by side (a thousand texts take a tenth of a second on one core).
    func tokenBatches() throws -> [TokenBatch] {
        guard (2...model.architecture.config.maxPositions).contains(run.maxLength), run.batchSize >= 1 else {
            throw QZooError(.invalidArgument, "calibration needs a max length of 2...\(model.architecture.config.maxPositions) "
                            + "and a positive batch size, got \(run.maxLength) and \(run.batchSize)")
        }
        let (texts, tokenizer, maxLength, size) = (run.texts, model.tokenizer, run.maxLength, run.batchSize)
        let starts = Array(stride(from: 0, to: texts.count, by: size))
        return try parallelMap(count: starts.count) { batch in
            let start = starts[batch]
            return TokenBatch(texts[start ..< Swift.min(start + size, texts.count)].map { tokenizer.encode($0, maxLength: maxLength) })
        }
    }

    /// The statistics of `site`'s input over every batch (Hessians only), with the float
    /// model's input beside them when `float` is given.
    private func measure(_ encoder: BertEncoder, _ site: LayerSite, layer index: Int,
                         _ states: [LayerActivations<Float>], float: FloatStream?, _ lanes: [[Int]]) throws -> CalibrationSet {
        let sums = try inLanes(lanes) { batches in
            var sums = SiteSums(self, site, layer: index, float: float != nil)
            for b in batches { try sums.observe(encoder, states[b], float: float.map { ($0.encoder, $0.states[b]) }) }
            return sums
        }
        return SiteSums.merged(sums, model.architecture)
    }

    /// One lane's sums of a site's input: its moments in the quantized model and, when the float
    /// model runs beside it, the cross moment with the float model's input.
    private struct SiteSums {
        let site: LayerSite
        let layer: Int
        let group: Int
        var accumulator: CalibrationAccumulator
        var cross: CrossMoment?

        init(_ calibration: SequentialCalibration, _ site: LayerSite, layer: Int, float: Bool) {
            let architecture = calibration.model.architecture
            (self.site, self.layer, group) = (site, layer, layer * LayerSite.allCases.count + site.rawValue)
            accumulator = CalibrationAccumulator(architecture: architecture, magnitudes: false, bfloat16Gram: true)
            cross = float ? CrossMoment(width: architecture.scaleGroups[group].inFeatures) : nil
        }

        /// Adds one batch: `state` in the quantized model, `float` the same batch in the float model.
        mutating func observe(_ encoder: BertEncoder, _ state: LayerActivations<Float>,
                              float: (encoder: BertEncoder, state: LayerActivations<Float>)?) throws {
            guard let float, var moment = cross else {
                return try encoder.observe(site, layer: layer, state, observer: &accumulator)
            }
            var (mine, theirs) = (InputCapture(), InputCapture())
            try encoder.observe(site, layer: layer, state, observer: &mine)
            try float.encoder.observe(site, layer: layer, float.state, observer: &theirs)
            guard let input = mine.inputs[group], let reference = theirs.inputs[group] else {
                throw QZooError(.invalidArgument, "site \(site) of layer \(layer) showed no input for scale group \(group)")
            }
            let rows = input.count / moment.width
            try input.withUnsafeBufferPointer { x in
                let rounded = try BFloat16Product.pack(x, rows: rows, width: moment.width)
                try accumulator.observe(group: group, input: x, rows: rows, columns: moment.width, packed: rounded)
                try reference.withUnsafeBufferPointer { try moment.add(reference: $0, input: rounded) }
            }
            cross = moment
        }

        /// Adds one batch's input that exists only rounded to bfloat16 (FFN up's output:
        /// `applyIntermediateKeepingRounded`), `rounding` making it with the column sums.
        mutating func observeRounded(rows: Int, columns: Int,
                                     _ rounding: (UnsafeMutableBufferPointer<Double>) throws -> BFloat16Product.Packed) throws {
            try accumulator.observeRounded(group: group, rows: rows, columns: columns, rounding)
        }

        /// The lanes' sums added in lane order, as the site's statistics.
        static func merged(_ lanes: [SiteSums], _ architecture: BertArchitecture) -> CalibrationSet {
            var statistics = CalibrationAccumulator.result(merging: lanes.map(\.accumulator))
            let moments = lanes.compactMap(\.cross)
            if !moments.isEmpty, let group = lanes.first?.group {
                let (product, mean) = CrossMoment.result(merging: moments)
                for name in architecture.scaleGroups[group].consumers {
                    statistics.layers[name]?.reference = ReferenceInput(cross: product, mean: mean)
                }
            }
            return statistics
        }
    }

    /// `site` applied to every batch with the encoder's current weights (in both models when
    /// the float one runs beside), and with `next` the statistics of the site after measured in
    /// the same lanes: each lane measures a batch right after applying it, instead of waiting for
    /// the other lane at a barrier between two passes, and while the batch's output is still in
    /// cache (a batch's FFN activations are megabytes; a lane's are too many for any cache by the
    /// time a separate pass would come back to them). Lanes and sums are those of `measure`, and
    /// each lane adds its batches in the same order, so the statistics are the same bits.
    ///
    /// Without the float model, FFN up's output only ever exists rounded to bfloat16: the kernel
    /// lands it as the rows FFN down multiplies (kept) and packed for FFN down's Gram matrix
    /// (measured), `BertEncoder.applyIntermediateKeepingRounded`. The FFN activations of every
    /// calibration token are the largest thing a run holds (185 MB in float32 on MiniLM), and
    /// both readers only ever read them rounded.
    private func apply(_ encoder: BertEncoder, _ site: LayerSite, layer index: Int, _ states: inout [LayerActivations<Float>],
                       float: inout FloatStream?, _ batches: [TokenBatch], _ lanes: [[Int]],
                       thenMeasure next: (site: LayerSite, layer: Int)?) throws -> CalibrationSet? {
        let (current, floatStream) = (states, float)
        let keepsRounded = site == .ffnInput && floatStream == nil && next?.site == .ffnOutput && encoder.keepsIntermediateRounded(layer: index)
        let results = try inLanes(lanes) { members in
            var sums = next.map { SiteSums(self, $0.site, layer: $0.layer, float: floatStream != nil) }
            let applied = try members.map { b in
                var (state, floatState, profile) = (current[b], floatStream?.states[b], ForwardProfile())
                if keepsRounded {
                    try encoder.applyIntermediateKeepingRounded(layer: index, &state, batches[b], profile: &profile) {
                        try sums?.observeRounded(rows: $0, columns: $1, $2)
                    }
                    return (b, state, floatState)
                }
                try encoder.apply(site, layer: index, &state, batches[b], profile: &profile)
                if let stream = floatStream, var other = floatState {
                    try stream.encoder.apply(site, layer: index, &other, batches[b], profile: &profile)
                    floatState = other
                }
                try sums?.observe(encoder, state, float: floatStream.flatMap { stream in floatState.map { (stream.encoder, $0) } })
                return (b, state, floatState)
            }
            return (applied, sums)
        }
        var stream = floatStream
        for (b, state, floatState) in results.flatMap(\.0) {
            states[b] = state
            if let floatState { stream?.states[b] = floatState }
        }
        float = stream
        guard next != nil else { return nil }
        return SiteSums.merged(results.compactMap(\.1), model.architecture)
    }

    /// `body` of every batch index, the batches spread over the lanes; results in batch order.
    private func perBatch(_ lanes: [[Int]], count: Int, _ body: @Sendable (Int) throws -> LayerActivations<Float>) throws -> [LayerActivations<Float>] {
        let results = try inLanes(lanes) { members in try members.map { ($0, try body($0)) } }
        var states = [LayerActivations<Float>](repeating: LayerActivations(input: []), count: count)
        for (b, state) in results.joined() { states[b] = state }
        return states
    }

    /// `body` on each lane's batch indices, lanes in parallel with single-threaded BLAS;
    /// results in lane order.
    private func inLanes<R>(_ lanes: [[Int]], _ body: @Sendable ([Int]) throws -> R) throws -> [R] {
        try BLAS.singleThreaded {
            try parallelMap(count: lanes.count) { lane in try body(lanes[lane]) }
        }
    }

    /// The batch indices of each of `laneCount` lanes, ascending: batches by decreasing token
    /// count (ties by index), each to the lane with the fewest tokens so far (ties to the first).
    /// The work of a site is nearly proportional to its tokens, so neither lane waits for the
    /// other for more than a fraction of a batch (taking every other batch left one lane 2 %
    /// longer on the built-in corpus); it depends on the batches alone, so the sums do too.
    static func lanes(balancing batches: [TokenBatch]) -> [[Int]] {
        var lanes = [[Int]](repeating: [], count: laneCount), tokens = [Int](repeating: 0, count: laneCount)
        for b in batches.indices.sorted(by: { (batches[$0].tokenCount, $1) > (batches[$1].tokenCount, $0) }) {
            let lane = tokens.indices.min { (tokens[$0], $0) < (tokens[$1], $1) } ?? 0
            lanes[lane].append(b)
            tokens[lane] += batches[b].tokenCount
        }
        return lanes.map { $0.sorted() }
    }
}
