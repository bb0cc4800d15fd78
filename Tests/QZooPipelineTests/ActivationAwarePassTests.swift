import Testing
import QZooTestSupport
import QZooCore
import QZooFormats
import QZooModels
import QZooPipeline

/// The awq and smoothquant passes on a tiny BERT: AWQ's scaling alone keeps the model's
/// outputs, AWQ composes with GPTQ, and SmoothQuant's W8A8 export carries activation parameters.
@Suite struct ActivationAwarePassTests {
    static func pipeline(data: String) -> String {
        """
        name: aware
        stages:
          - {id: load, pass: load}
          - {id: calibrate, pass: calibrate, needs: [load], with: {data: "\(data)", max_length: 16, batch: 8}}
          - {id: scaled, pass: awq, needs: [calibrate], with: {bits: 4, group_size: 8, clip: false, quantize: none}}
          - {id: awq, pass: awq, needs: [calibrate], with: {bits: 4, group_size: 8}}
          - {id: awq-gptq, pass: gptq, needs: [scaled], with: {bits: 4, group_size: 8, act_order: true}}
          - {id: w8a8, pass: smoothquant, needs: [calibrate], with: {alpha: 0.8, act_scheme: dynamic}}
          - {id: scaled-out, pass: export, needs: [scaled], with: {format: qpack}}
          - {id: awq-out, pass: export, needs: [awq], with: {format: qpack}}
          - {id: awq-gptq-out, pass: export, needs: [awq-gptq], with: {format: qpack}}
          - {id: w8a8-out, pass: export, needs: [w8a8], with: {format: qdq-json}}
        """
    }

    static func embeddings(_ checkpoint: Checkpoint, model: String, text: String) throws -> [Float] {
        let config = try BertConfig.load(path: model + "/config.json")
        let dense = try checkpoint.dequantizedKeepingInputScales()
        let encoder = try BertEncoder(architecture: try BertArchitecture(config: config, checkpoint: dense), checkpoint: dense)
        let embedder = try SentenceEmbedder(tokenizer: try WordPieceTokenizer.load(directory: model), encoder: encoder, maxLength: 16, batchSize: 8)
        let lines = try ByteStorage.map(path: text).withBuffer { TextLines.parse($0) }
        return try embedder.embed(lines)
    }

    @Test func awqScalesPreserveTheModelAndEveryVariantQuantizesTheEncoder() throws {
        let root = try TemporaryDirectory()
        let model = try TinyBert.model(in: root.path)
        let text = try TinyBert.text(in: root.path)
        let report = try Fixtures.run(Self.pipeline(data: text), model: model, root: root.path)
        #expect(report.failure == nil, "\(report.failure?.message ?? "")")
        let out = root.path + "/out/"
        let (scaled, _) = try CheckpointIO.read(path: out + "scaled-out/model.qpack")
        #expect(scaled.quantized.isEmpty && scaled.inputScales.count == 2 * 5, "q, k, v, intermediate, output of two layers")
        let (original, _) = try CheckpointIO.read(path: model + "/model.safetensors")
        let reference = try Self.embeddings(original, model: model, text: text), candidate = try Self.embeddings(scaled, model: model, text: text)
        for row in 0..<reference.count / 16 {
            #expect(cosine(reference[row * 16 ..< (row + 1) * 16], candidate[row * 16 ..< (row + 1) * 16]) > 0.99999)
        }
        for stage in ["awq-out", "awq-gptq-out"] {
            let (quantized, _) = try CheckpointIO.read(path: out + stage + "/model.qpack")
            #expect(quantized.quantized.count == 12, "\(stage): the pooler has no statistics and stays dense")
            let scaledInputs = quantized.quantized.values.filter { if case .inputScale? = $0.transforms.first { return true } else { return false } }
            #expect(scaledInputs.count == 10, "\(stage)")
            let quality = try Self.embeddings(quantized, model: model, text: text)
            #expect(cosine(reference[...], quality[...]) > 0.9, "\(stage)")
        }
        let (w8a8, _) = try CheckpointIO.read(path: out + "w8a8-out/model.qdq.json")
        #expect(w8a8.activations.count == 12 && w8a8.activations.values.allSatisfy { $0.scheme == .dynamicPerToken })
    }

    @Test func awqAndSmoothQuantNeedCalibrationAndCheckTheirParameters() throws {
        let root = try TemporaryDirectory()
        let model = try TinyBert.model(in: root.path)
        for pass in ["awq, with: {bits: 4}", "smoothquant"] {
            let missing = try Fixtures.run("""
                name: bare
                stages:
                  - {id: load, pass: load}
                  - {id: q, pass: \(pass)}
                  - {id: out, pass: export, needs: [q], with: {format: qpack}}
                """.replacingOccurrences(of: "pass: \(pass)}", with: "pass: \(pass), needs: [load]}"), model: model, root: root.path)
            #expect(missing.failure?.message.contains("put a 'calibrate' stage before it") == true, "\(pass)")
        }
        let base = "name: x\nstages:\n  - {id: load, pass: load}\n  - {id: c, pass: calibrate, needs: [load]}\n  - {id: o, pass: export, needs: [q], with: {format: qpack}}\n"
        for bad in ["awq, needs: [c], with: {bits: 4, quantize: gptq}", "smoothquant, needs: [c], with: {act_scheme: per_channel}",
                    "smoothquant, needs: [c], with: {alpha: 1.5}", "awq, needs: [c], with: {bits: 4, n_grid: 0}"] {
            #expect(throws: QZooError.self, "\(bad)") { try Pipeline.parse(text: base + "  - {id: q, pass: \(bad)}\n", file: "x.yaml") }
        }
    }
}

func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for (x, y) in zip(a, b) {
        dot += Double(x) * Double(y)
        na += Double(x) * Double(x)
        nb += Double(y) * Double(y)
    }
    return dot / (na * nb).squareRoot()
}
