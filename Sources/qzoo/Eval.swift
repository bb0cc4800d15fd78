import ArgumentParser
import QZooCore
import QZooPipeline
import QZooFormats
import QZooMath
import QZooModels

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure how closely a candidate model (e.g. quantized) reproduces a reference model.",
        discussion: """
            Both models embed every line of TEXT (tokenized with the reference's tokenizer); \
            qzoo reports:
              mean / min cosine        between each sentence's two embeddings
              pairwise Spearman        rank correlation of the two models' similarities over all sentence pairs
              nearest-neighbour agr.   fraction of sentences whose most similar other sentence is the same
            With --pairs (lines 'sentence A<TAB>sentence B[<TAB>gold score]'): the Spearman \
            correlation of the two models' pair similarities, and of each model with the gold \
            scores when given.
            With --calibration (from 'qzoo calibrate'): per linear layer the relative proxy loss \
            tr(ΔW H ΔWᵀ) / tr(W H Wᵀ), the output error the weight change causes on the \
            calibration inputs relative to the layer's output energy.

            A model compared with itself scores exactly 1 (and proxy loss 0). Keep TEXT apart \
            from the calibration text: data/evaluation/eval-en.txt is a held-out set.

            Examples:
              qzoo eval --reference model/ --candidate w4.qpack --data data/evaluation/eval-en.txt
              qzoo eval --reference model/ --candidate zoo/out/minilm/w4-rtn-g128.tar.zst --data eval.txt
              qzoo eval --reference model/ --candidate bf16.safetensors --data eval.txt --calibration calib.safetensors --json
            """)

    @Option(help: ArgumentHelp("The reference model (directory or checkpoint with config.json beside it).", valueName: "model"))
    var reference: String

    @Option(help: ArgumentHelp("The model to judge: dense, quantized (.qpack, .qdq.json; dequantized on load) or a .tar.zst bundle; without a config.json beside it, the reference's is used.", valueName: "model"))
    var candidate: String

    @Option(help: ArgumentHelp("Text file, one sentence per line.", valueName: "text"))
    var data: String

    @Option(help: ArgumentHelp("Sentence pairs, tab-separated, optionally with a gold score.", valueName: "pairs.tsv"))
    var pairs: String?

    @Option(help: ArgumentHelp("Calibration file for per-layer proxy losses.", valueName: "calib"))
    var calibration: String?

    @OptionGroup var runOptions: RunOptionsGroup

    @Flag(help: "Print one JSON document instead of a table.")
    var json = false

    func run() throws {
        let referenceModel = try ModelInput.load(reference)
        let candidateModel = try ModelInput.load(candidate, fallbackConfig: referenceModel.architecture.config)
        guard candidateModel.architecture.config.hiddenSize == referenceModel.architecture.config.hiddenSize else {
            throw QZooError(.invalidArgument, "the candidate's embeddings are \(candidateModel.architecture.config.hiddenSize) wide, the reference's \(referenceModel.architecture.config.hiddenSize)", file: candidate)
        }
        let tokenizer = try referenceModel.tokenizer()
        let embedders = try [referenceModel, candidateModel].map {
            try SentenceEmbedder(tokenizer: tokenizer, encoder: try $0.encoder(), maxLength: runOptions.maxLength, batchSize: runOptions.batch)
        }
        let texts = try TextCorpus.load(data)
        let (a, b) = (try embed(embedders[0], texts.lines, "reference"), try embed(embedders[1], texts.lines, "candidate"))
        var report = EvalReport(reference: reference, candidate: candidate, data: texts.source)
        report.agreement = try EmbeddingAgreement(reference: a, candidate: b, count: texts.lines.count, width: referenceModel.architecture.config.hiddenSize)
        if let pairs { report.pairs = try pairScores(pairs, embedders) }
        if let calibration { report.proxyLosses = try proxyLosses(calibration, referenceModel, candidateModel) }
        print(json ? report.json() : report.table())
    }

    func embed(_ embedder: SentenceEmbedder, _ texts: [String], _ label: String) throws -> [Float] {
        var observer = NoObserver()
        var profile = ForwardProfile()
        var progress = SentenceProgress(label: "embedding (\(label))", total: texts.count)
        return try embedder.embed(texts, observer: &observer, profile: &profile) { progress.update($0) }
    }

    func pairScores(_ path: String, _ embedders: [SentenceEmbedder]) throws -> EvalReport.Pairs {
        let pairs = try SentencePairs.load(path)
        let scores = try embedders.map { embedder in
            let width = embedder.encoder.config.hiddenSize
            let left = try embedder.embed(pairs.first), right = try embedder.embed(pairs.second)
            return (0..<pairs.count).map { row in
                (0..<width).reduce(0.0) { $0 + Double(left[row * width + $1]) * Double(right[row * width + $1]) }
            }
        }
        return EvalReport.Pairs(
            count: pairs.count, spearman: Spearman.correlation(scores[0], scores[1]),
            referenceVsGold: pairs.gold.map { Spearman.correlation($0, scores[0]) },
            candidateVsGold: pairs.gold.map { Spearman.correlation($0, scores[1]) })
    }

    func proxyLosses(_ path: String, _ reference: ModelInput, _ candidate: ModelInput) throws -> [EvalReport.LayerLoss] {
        let set: CalibrationSet
        do { set = try CalibrationSet(checkpoint: try SafetensorsReader.read(path: path), layers: reference.architecture.linearLayers) } catch let error as QZooError {
            throw error.inFile(path)
        }
        if let recorded = set.metadata["model_sha256"], recorded != SHA256Digest.checkpoint(reference.checkpoint) {
            Terminal.note("note: \(path) was computed on a different model (model_sha256 differs from the reference's)")
        }
        let linears = Dictionary(reference.architecture.linearLayers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        return try set.order.compactMap { name in
            guard let layer = set.layers[name], let linear = linears[name],
                  let w = reference.checkpoint.tensors[name], let q = candidate.checkpoint.tensors[name] else { return nil }
            let loss = try ProxyLoss.relative(reference: w.floats(), candidate: q.floats(), hessian: layer.hessian,
                                              outFeatures: linear.outFeatures, inFeatures: linear.inFeatures)
            return EvalReport.LayerLoss(name: name, relativeLoss: loss)
        }
    }
}
