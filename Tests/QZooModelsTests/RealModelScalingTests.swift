import Foundation
import Testing
import QZooCore
import QZooFormats
@testable import QZooModels

/// Function preservation on all-MiniLM-L6-v2 (QZOO_MODEL_DIR; `swift test -c release`): every
/// scale group scaled by activation-derived scales (AWQ's `mean|x|^0.5`, SmoothQuant-like spread),
/// no quantization: sentence embeddings of real text keep cosine ≥ 0.999999 with the original.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["QZOO_MODEL_DIR"] != nil, "QZOO_MODEL_DIR is not set"))
struct RealModelScalingTests {
    @Test(arguments: [0.5, 1.0])
    func activationScalesPreserveEmbeddings(exponent: Double) throws {
        let path = ProcessInfo.processInfo.environment["QZOO_MODEL_DIR"] ?? ""
        let config = try BertConfig.load(path: path + "/config.json")
        let checkpoint = try SafetensorsReader.read(path: path + "/model.safetensors")
        let architecture = try BertArchitecture(config: config, checkpoint: checkpoint)
        let tokenizer = try WordPieceTokenizer.load(directory: path)
        let texts = Array(DefaultCorpus.bytes.withUnsafeBytes { TextLines.parse($0) }.prefix(128))
        let embed = { (checkpoint: Checkpoint, observer: inout CalibrationAccumulator) throws -> [Float] in
            let embedder = try SentenceEmbedder(tokenizer: tokenizer, encoder: try BertEncoder(architecture: architecture, checkpoint: checkpoint),
                                                maxLength: 128, batchSize: 32)
            var profile = ForwardProfile()
            return try embedder.embed(texts, observer: &observer, profile: &profile)
        }
        var accumulator = CalibrationAccumulator(architecture: architecture)
        let reference = try embed(checkpoint, &accumulator)
        let calibration = accumulator.result()
        var scaled = checkpoint
        for group in architecture.scaleGroups {
            let mean = try #require(calibration.layers[group.consumers[0]]?.absMean)
            var s = mean.map { Float(pow(Double(max($0, 1e-4)), exponent)) }
            let norm = (Double(s.max() ?? 1) * Double(s.min() ?? 1)).squareRoot()
            s = s.map { Float(Double($0) / norm) }
            try ScaleApplication.apply(s, to: group, checkpoint: &scaled)
        }
        var unused = CalibrationAccumulator(architecture: architecture)
        let candidate = try embed(scaled, &unused)
        let width = config.hiddenSize
        let cosines = (0..<texts.count).map { cosine(row(reference, $0, width: width), row(candidate, $0, width: width)) }
        let mean = cosines.reduce(0, +) / Double(cosines.count)
        print("scaling exponent \(exponent): mean cosine \(mean), min \(cosines.min() ?? 0)")
        #expect(mean >= 0.999999)
        #expect((cosines.min() ?? 0) >= 0.99999)
    }
}
