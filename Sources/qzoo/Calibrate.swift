import ArgumentParser
import Foundation
import QZooCore
import QZooPipeline
import QZooFormats
import QZooMath
import QZooModels

struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the inputs of every linear layer on real text (for GPTQ, AWQ, SmoothQuant, QuIP#).",
        discussion: """
            Runs the model's forward pass over TEXT (one sentence or passage per line; blank \
            lines skipped) and writes, for every linear layer NAME (its weight's tensor name):

              NAME.hessian      F64 [in, in]  H = XᵀX / n over all non-padding tokens
              NAME.tokens       I64 []        n
              NAME.act_absmax   F32 [in]      per input channel max |x|
              NAME.act_absmean  F32 [in]      per input channel mean |x|

            The metadata records the model's content hash, the data's SHA-256, the max length \
            and the qzoo version. Layers that read the same input (query, key, value) get \
            identical statistics. The format is specified in formats/calibration.md, which also \
            shows how to produce such a file with PyTorch for models qzoo cannot run.

            Without --data, a built-in corpus of 1024 English sentences (public-domain SQLite \
            documentation) is used.

            Examples:
              qzoo calibrate all-MiniLM-L6-v2/ -o calib.safetensors
              qzoo calibrate model/model.safetensors --data my-domain.txt --max-length 256 -o calib.safetensors
            """)

    @Argument(help: "Model: a Hugging Face directory, or a safetensors file with config.json and the tokenizer beside it.")
    var model: String

    @Option(help: ArgumentHelp("Text file, one sentence per line (default: the built-in corpus).", valueName: "text"))
    var data: String?

    @OptionGroup var runOptions: RunOptionsGroup

    @Option(name: .shortAndLong, help: ArgumentHelp("Output calibration file (.safetensors).", valueName: "calib"))
    var output: String

    @Flag(help: "Replace the output if it exists.")
    var force = false

    func run() throws {
        try AtomicFile.checkDestination(output, overwrite: force)
        let input = try ModelInput.load(model)
        let texts = try TextCorpus.load(data)
        let embedder = try SentenceEmbedder(tokenizer: try input.tokenizer(), encoder: try input.encoder(),
                                            maxLength: runOptions.maxLength, batchSize: runOptions.batch)
        var accumulator = CalibrationAccumulator(architecture: input.architecture)
        var profile = ForwardProfile()
        var progress = SentenceProgress(label: "calibrating", total: texts.lines.count)
        let start = MonotonicClock.seconds()
        _ = try embedder.embed(texts.lines, observer: &accumulator, profile: &profile) { progress.update($0) }
        let metadata = [
            "format": "qzoo-calibration", "format_version": "1", "architecture": "bert",
            "model_sha256": SHA256Digest.checkpoint(input.checkpoint), "data": texts.source, "data_sha256": texts.sha256,
            "sequences": String(texts.lines.count), "max_length": String(runOptions.maxLength), "qzoo_version": QZooVersion.current,
        ]
        let calibration = accumulator.result(metadata: metadata)
        try SafetensorsWriter.write(try calibration.checkpoint(), to: output, overwrite: force)
        let seconds = MonotonicClock.seconds() - start
        Terminal.note("wrote \(output): \(calibration.order.count) layers, \(profile.tokens) tokens from \(texts.lines.count) sentences in \(String(format: "%.1f", seconds)) s")
    }
}
