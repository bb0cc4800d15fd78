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

            --record-inputs FILE.safetensors (a debugging aid) also saves the input of every \
            linear layer whose weight name matches --record-layers REGEX (default: all), float32 \
            [tokens, width] over all sentences, as 'STEM.input' for the weight 'STEM.weight' \
            (layers reading one input are saved once, under the first); for a model with \
            explicit input scales or activation quantization (W8A8) also 'STEM.input.consumed', \
            the values the layer actually multiplies (after the Mul by 1/s and the simulated \
            QuantizeLinear/DequantizeLinear).

            Examples:
              qzoo embed all-MiniLM-L6-v2/ --data sentences.txt -o emb.npy
              qzoo embed quantized.safetensors --data sentences.txt -o emb.safetensors
              qzoo embed w8a8.qdq.json --data two.txt -o emb.npy --record-inputs inputs.safetensors --record-layers 'layer[.]0[.]'
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

    @Option(help: ArgumentHelp("Also save linear-layer inputs to this .safetensors file.", valueName: "file"))
    var recordInputs: String?

    @Option(help: ArgumentHelp("With --record-inputs: only layers whose weight name matches REGEX.", valueName: "regex"))
    var recordLayers: String?

    @Flag(help: "Replace the output if it exists.")
    var force = false

    /// The scale groups with a consumer matching --record-layers (all without it).
    func recordedGroups(_ architecture: BertArchitecture) throws -> Set<Int> {
        let pattern = try Regex(recordLayers ?? "")
        return Set(architecture.scaleGroups.indices.filter { index in
            architecture.scaleGroups[index].consumers.contains { $0.contains(pattern) }
        })
    }

    enum Precision: String, ExpressibleByArgument, CaseIterable {
        case f32, f64

        var encoderPrecision: BertEncoder.Precision { self == .f32 ? .float32 : .float64 }
    }

    func validate() throws {
        guard let format = CheckpointFormat.forOutput(path: output), format == .npy || format == .safetensors else {
            throw ValidationError("name the output .npy or .safetensors")
        }
        if let recordInputs, CheckpointFormat.forOutput(path: recordInputs) != .safetensors {
            throw ValidationError("--record-inputs must name a .safetensors file")
        }
        if recordLayers != nil && recordInputs == nil { throw ValidationError("--record-layers needs --record-inputs") }
        if let recordLayers, (try? Regex(recordLayers)) == nil { throw ValidationError("--record-layers '\(recordLayers)' is not a valid regular expression") }
    }

    func run() throws {
        let input = try ModelInput.load(model)
        let texts = try TextCorpus.load(data)
        let embedder = try SentenceEmbedder(tokenizer: try input.tokenizer(), encoder: try input.encoder(precision.encoderPrecision),
                                            maxLength: runOptions.maxLength, batchSize: runOptions.batch)
        var observer = InputRecorder(architecture: input.architecture, groups: recordInputs == nil ? [] : try recordedGroups(input.architecture))
        var profile = ForwardProfile()
        var progress = SentenceProgress(label: "embedding", total: texts.lines.count)
        let embeddings = try embedder.embed(texts.lines, observer: &observer, profile: &profile) { progress.update($0) }
        if let recordInputs {
            try CheckpointIO.write(try observer.checkpoint(), to: recordInputs, format: .safetensors, options: WriteOptions(overwrite: force))
            Terminal.note("wrote \(recordInputs): inputs of \(observer.groups.count) layer group(s)")
        }
        let width = input.architecture.config.hiddenSize
        var checkpoint = Checkpoint()
        try checkpoint.add("embeddings", try Tensor(shape: [texts.lines.count, width], floats: embeddings))
        let format = CheckpointFormat.forOutput(path: output) ?? .npy
        try CheckpointIO.write(checkpoint, to: output, format: format, options: WriteOptions(overwrite: force))
        Terminal.note("wrote \(output): \(texts.lines.count) × \(width) embeddings")
    }
}
