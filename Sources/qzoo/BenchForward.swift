import ArgumentParser
import Foundation
import QZooCore
import QZooMath
import QZooModels
import QZooPipeline
import QZooQuant

struct BenchForward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Measure forward-pass and calibration speed against this machine's sgemm rate.",
        discussion: """
            Measures, in one run: the OpenBLAS sgemm rate (1024³, best of 5), the forward pass \
            over the first N sentences of TEXT (sentences/s; GFLOP/s inside the linear layers' \
            matrix products and over the whole pass), and calibration (forward + float64 \
            statistics) over the same sentences, and the E8P12 lattice encoder (QuIP#) in \
            8-dimensional vectors per second.

            OpenBLAS picks its kernels when the process starts: on AVX-512 CPUs \
            OPENBLAS_CORETYPE=SkylakeX in the environment gives about twice the sgemm rate of \
            the default Haswell kernels; setting it later has no effect.

            Example:
              OPENBLAS_CORETYPE=SkylakeX qzoo bench all-MiniLM-L6-v2/ --json   (forward is the default mode)
            """)

    @Argument(help: "Model directory (or checkpoint with config.json and tokenizer beside it).")
    var model: String

    @Option(help: ArgumentHelp("Text file, one sentence per line (default: the built-in corpus).", valueName: "text"))
    var data: String?

    @Option(help: ArgumentHelp("How many sentences to run.", valueName: "n"))
    var sentences = 512

    @OptionGroup var runOptions: RunOptionsGroup

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func run() throws {
        let input = try ModelInput.load(model)
        let texts = Array(try TextCorpus.load(data).lines.prefix(max(sentences, 1)))
        let embedder = try SentenceEmbedder(tokenizer: try input.tokenizer(), encoder: try input.encoder(),
                                            maxLength: runOptions.maxLength, batchSize: runOptions.batch)
        let sgemm = try SgemmRate.measure()
        _ = try embedder.embed(Array(texts.prefix(runOptions.batch)))
        var observer = NoObserver()
        var forward = ForwardProfile()
        _ = try embedder.embed(texts, observer: &observer, profile: &forward)
        var accumulator = CalibrationAccumulator(architecture: input.architecture)
        var calibrationProfile = ForwardProfile()
        let start = MonotonicClock.seconds()
        _ = try embedder.embed(texts, observer: &accumulator, profile: &calibrationProfile)
        _ = accumulator.result()
        let calibrationSeconds = MonotonicClock.seconds() - start
        let e8p = E8PEncoderRate.measure()
        let values: [(String, JSONValue, String)] = [
            ("openblas_core", .string(BLAS.coreName), BLAS.coreName), ("openblas_threads", .int(BLAS.threadCount), String(BLAS.threadCount)),
            ("sgemm_gflops", .double(sgemm), format(sgemm)), ("sentences", .int(texts.count), String(texts.count)),
            ("tokens", .int(forward.tokens), String(forward.tokens)), ("max_length", .int(runOptions.maxLength), String(runOptions.maxLength)),
            ("batch", .int(runOptions.batch), String(runOptions.batch)),
            ("forward_seconds", .double(forward.totalSeconds), format(forward.totalSeconds, 3)),
            ("sentences_per_second", .double(Double(texts.count) / forward.totalSeconds), format(Double(texts.count) / forward.totalSeconds)),
            ("linear_gflops", .double(forward.linearGFlopsPerSecond), format(forward.linearGFlopsPerSecond)),
            ("linear_fraction_of_sgemm", .double(forward.linearGFlopsPerSecond / sgemm), format(forward.linearGFlopsPerSecond / sgemm, 3)),
            ("overall_gflops", .double(forward.linearFlops / forward.totalSeconds / 1e9), format(forward.linearFlops / forward.totalSeconds / 1e9)),
            ("linear_share_of_time", .double(forward.linearSeconds / forward.totalSeconds), format(forward.linearSeconds / forward.totalSeconds, 3)),
            ("calibration_seconds", .double(calibrationSeconds), format(calibrationSeconds, 3)),
            ("e8p_encoder_vectors_per_second", .double(e8p.vectorsPerSecond), format(e8p.vectorsPerSecond, 0)),
        ]
        if json {
            print(JSONWriter.serialize(.object(values.map { (key: $0.0, value: $0.1) })))
        } else {
            print(TextTable.render(values.map { [$0.0, $0.2] }, rightAligned: [1]).joined(separator: "\n"))
        }
    }

    func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
}
