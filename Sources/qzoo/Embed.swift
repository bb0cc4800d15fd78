import ArgumentParser
import QZooCore
import QZooPipeline
import QZooFormats
import QZooModels

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute one L2-normalised sentence embedding per line of text.",
        discussion: """
            Mean pooling over each sentence's tokens ([CLS] and [SEP] included), then L2 \
            normalisation, as sentence-transformers does for all-MiniLM-L6-v2 and similar \
            models. The output holds one tensor, 'embeddings', float32 [sentences, hidden]; its \
            format follows OUT's extension (.npy or .safetensors).

            --precision f64 runs the whole forward pass in float64 (slower): a reference for \
            checking the float32 result.

            Examples:
              qzoo embed all-MiniLM-L6-v2/ --data sentences.txt -o emb.npy
              qzoo embed quantized.safetensors --data sentences.txt -o emb.safetensors
            """)

    @Argument(help: "Model: a Hugging Face directory, or a checkpoint file with config.json and the tokenizer beside it.")
    var model: String

    @Option(help: ArgumentHelp("Text file, one sentence per line (blank lines skipped).", valueName: "text"))
    var data: String

    @OptionGroup var runOptions: RunOptionsGroup

    @Option(help: "Arithmetic precision of the forward pass: f32 or f64.")
    var precision: Precision = .f32

    @Option(name: .shortAndLong, help: ArgumentHelp("Output file (.npy or .safetensors).", valueName: "out"))
    var output: String

    @Flag(help: "Replace the output if it exists.")
    var force = false

    enum Precision: String, ExpressibleByArgument, CaseIterable {
        case f32, f64

        var encoderPrecision: BertEncoder.Precision { self == .f32 ? .float32 : .float64 }
    }

    func validate() throws {
        guard let format = CheckpointFormat.forOutput(path: output), format == .npy || format == .safetensors else {
            throw ValidationError("name the output .npy or .safetensors")
        }
    }

    func run() throws {
        let input = try ModelInput.load(model)
        let texts = try TextCorpus.load(data)
        let embedder = try SentenceEmbedder(tokenizer: try input.tokenizer(), encoder: try input.encoder(precision.encoderPrecision),
                                            maxLength: runOptions.maxLength, batchSize: runOptions.batch)
        var observer = NoObserver()
        var profile = ForwardProfile()
        var progress = SentenceProgress(label: "embedding", total: texts.lines.count)
        let embeddings = try embedder.embed(texts.lines, observer: &observer, profile: &profile) { progress.update($0) }
        let width = input.architecture.config.hiddenSize
        var checkpoint = Checkpoint()
        try checkpoint.add("embeddings", try Tensor(shape: [texts.lines.count, width], floats: embeddings))
        let format = CheckpointFormat.forOutput(path: output) ?? .npy
        try CheckpointIO.write(checkpoint, to: output, format: format, options: WriteOptions(overwrite: force))
        Terminal.note("wrote \(output): \(texts.lines.count) × \(width) embeddings")
    }
}
