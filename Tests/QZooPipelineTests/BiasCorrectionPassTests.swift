import Testing
import QZooTestSupport
import QZooCore
import QZooFormats
import QZooModels
import QZooPipeline

/// Sums the inputs of one scale group (for its mean).
private struct GroupMean: LinearInputObserver {
    let group: Int
    var sum: [Double] = []
    var tokens = 0

    mutating func observe(group: Int, input: UnsafeBufferPointer<Float>, rows: Int, columns: Int) {
        guard group == self.group else { return }
        if sum.isEmpty { sum = [Double](repeating: 0, count: columns) }
        for r in 0..<rows {
            for c in 0..<columns { sum[c] += Double(input[r * columns + c]) }
        }
        tokens += rows
    }

    var mean: [Double] { sum.map { $0 / Double(tokens) } }
}

/// Bias correction in sequential calibrated rounding (`gptq`; `ldlq` shares the code path).
@Suite struct BiasCorrectionPassTests {
    static func pipeline(data: String, gptq: String = "") -> String {
        """
        name: corrected
        stages:
          - {id: load, pass: load}
          - {id: calibrate, pass: calibrate, needs: [load], with: {data: "\(data)", max_length: 16, batch: 8}}
          - {id: on, pass: gptq, needs: [calibrate], with: {bits: 2, group_size: 8}}
          - {id: off, pass: gptq, needs: [calibrate], with: {bits: 2, group_size: 8, bias_correction: false}}
          - {id: on-out, pass: export, needs: [on], with: {format: qpack}}
          - {id: off-out, pass: export, needs: [off], with: {format: qpack}}
        """
    }

    /// Layer 0's query reads the embeddings, which no quantization changes: with the corrected
    /// bias its mean output over the calibration tokens is the float model's; without, the
    /// biases stay as trained. The pooler (not quantized) keeps its bias either way.
    @Test func correctedBiasesKeepTheMeanOutputOfTheFirstQuantizedLayer() throws {
        let root = try TemporaryDirectory()
        let model = try TinyBert.model(in: root.path)
        let text = try TinyBert.text(in: root.path)
        let report = try Fixtures.run(Self.pipeline(data: text), model: model, root: root.path)
        #expect(report.failure == nil, "\(report.failure?.message ?? "")")
        let (original, _) = try CheckpointIO.read(path: model + "/model.safetensors")
        let (on, _) = try CheckpointIO.read(path: root.path + "/out/on-out/model.qpack")
        let (off, _) = try CheckpointIO.read(path: root.path + "/out/off-out/model.qpack")
        let mean = try Self.inputMean(of: 0, original, model: model, text: text)
        let (weight, bias) = ("encoder.layer.0.attention.self.query.weight", "encoder.layer.0.attention.self.query.bias")
        let w = try #require(original.tensors[weight]).floats(), b = try #require(original.tensors[bias]).floats()
        for (checkpoint, corrected) in [(on, true), (off, false)] {
            let hat = try #require(checkpoint.quantized[weight]).dequantize().floats()
            let stored = try #require(checkpoint.tensors[bias]).floats()
            let n = mean.count
            var worst = 0.0
            for r in 0..<stored.count {
                let float = (0..<n).reduce(Double(b[r])) { $0 + Double(w[r * n + $1]) * mean[$1] }
                let quantized = (0..<n).reduce(Double(stored[r])) { $0 + Double(hat[r * n + $1]) * mean[$1] }
                worst = max(worst, abs(quantized - float))
            }
            #expect(corrected ? worst < 1e-4 : worst > 1e-2, "mean output error \(worst), corrected: \(corrected)")
            #expect(corrected ? stored != b : stored == b)
            #expect(checkpoint.tensors["pooler.dense.bias"]?.floats() == original.tensors["pooler.dense.bias"]?.floats())
        }
    }

    @Test func biasCorrectionWithoutSequentialCalibrationIsRefused() throws {
        let root = try TemporaryDirectory()
        let model = try TinyBert.model(in: root.path)
        let yaml = Self.pipeline(data: try TinyBert.text(in: root.path))
            .edited("bias_correction: false}", with: "bias_correction: true, sequential: false}")
        do {
            _ = try Fixtures.run(yaml, model: model, root: root.path)
            Issue.record("bias_correction without sequential calibration was accepted")
        } catch let error as QZooError {
            #expect(error.message.contains("stage 'off': bias_correction needs sequential: true"), "\(error.message)")
        }
    }

    /// The mean input of scale group `group` of the float model over the calibration text.
    static func inputMean(of group: Int, _ checkpoint: Checkpoint, model: String, text: String) throws -> [Double] {
        let embedder = try TinyBert.embedder(checkpoint, model: model)
        let lines = try TinyBert.lines(text)
        var observer = GroupMean(group: group)
        var profile = ForwardProfile()
        _ = try embedder.embed(lines, observer: &observer, profile: &profile)
        return observer.mean
    }
}
