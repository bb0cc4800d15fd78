import Testing
import QZooTestSupport
import QZooCore
import QZooFormats
import QZooModels
import QZooPipeline
import QZooQuant

/// Asymmetric calibration (`asymmetric_calibration`) in sequential calibrated rounding (`gptq`; `ldlq` shares the code path).
@Suite struct AsymmetricCalibrationPassTests {
    static func pipeline(data: String) -> String {
        """
        name: asymmetric
        stages:
          - {id: load, pass: load}
          - {id: calibrate, pass: calibrate, needs: [load], with: {data: "\(data)", max_length: 16, batch: 8}}
          - {id: on, pass: gptq, needs: [calibrate], with: {bits: 2, group_size: 8}}
          - {id: off, pass: gptq, needs: [calibrate], with: {bits: 2, group_size: 8, asymmetric_calibration: false}}
          - {id: on-out, pass: export, needs: [on], with: {format: qpack}}
          - {id: off-out, pass: export, needs: [off], with: {format: qpack}}
        """
    }

    /// Fitting each weight to the float model's output (the default) brings the quantized
    /// model's sentence embeddings of the calibration text closer to the float model's than
    /// fitting it to the quantized model's own output.
    @Test func fittingTheFloatOutputBringsTheEmbeddingsCloser() throws {
        let root = try TemporaryDirectory()
        let model = try TinyBert.model(in: root.path)
        let text = try TinyBert.text(in: root.path)
        let report = try Fixtures.run(Self.pipeline(data: text), model: model, root: root.path)
        #expect(report.failure == nil, "\(report.failure?.message ?? "")")
        let (original, _) = try CheckpointIO.read(path: model + "/model.safetensors")
        let float = try Self.embeddings(original, model: model, text: text)
        var errors: [Double] = []
        for stage in ["on", "off"] {
            let (quantized, _) = try CheckpointIO.read(path: root.path + "/out/\(stage)-out/model.qpack")
            let candidate = try Self.embeddings(try quantized.dequantized(), model: model, text: text)
            errors.append(zip(candidate, float).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) })
        }
        #expect(errors[0] < 0.9 * errors[1], "squared embedding error \(errors[0]) asymmetric, \(errors[1]) not")
    }

    @Test func asymmetricWithoutSequentialCalibrationIsRefused() throws {
        let root = try TemporaryDirectory()
        let model = try TinyBert.model(in: root.path)
        let yaml = Self.pipeline(data: try TinyBert.text(in: root.path))
            .edited("asymmetric_calibration: false}", with: "asymmetric_calibration: true, bias_correction: false, sequential: false}")
        do {
            _ = try Fixtures.run(yaml, model: model, root: root.path)
            Issue.record("asymmetric without sequential calibration was accepted")
        } catch let error as QZooError {
            #expect(error.message.contains("stage 'off': asymmetric_calibration needs sequential: true"), "\(error.message)")
        }
    }

    /// The sentence embeddings of the calibration text under `checkpoint` (dense).
    static func embeddings(_ checkpoint: Checkpoint, model: String, text: String) throws -> [Float] {
        try TinyBert.embedder(checkpoint, model: model).embed(try TinyBert.lines(text))
    }
}
