import Foundation
import Testing
import QZooCore
import QZooFormats
import QZooMath
import QZooQuant
@testable import QZooModels

/// GPTQ on all-MiniLM-L6-v2 (QZOO_MODEL_DIR; run with `swift test -c release`): on every one of
/// the 36 encoder linears, GPTQ's proxy loss on the calibration inputs is below RTN's on the
/// same grid. Prints the time of the 36 GPTQ roundings (the speed target's workload).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["QZOO_MODEL_DIR"] != nil, "QZOO_MODEL_DIR is not set"))
struct RealModelGPTQTests {
    static func calibrated() throws -> (Checkpoint, CalibrationSet) {
        let path = ProcessInfo.processInfo.environment["QZOO_MODEL_DIR"] ?? ""
        let config = try BertConfig.load(path: path + "/config.json")
        let checkpoint = try SafetensorsReader.read(path: path + "/model.safetensors")
        let architecture = try BertArchitecture(config: config, checkpoint: checkpoint)
        let embedder = try SentenceEmbedder(tokenizer: try WordPieceTokenizer.load(directory: path),
                                            encoder: try BertEncoder(architecture: architecture, checkpoint: checkpoint),
                                            maxLength: 128, batchSize: 32)
        let texts = DefaultCorpus.bytes.withUnsafeBytes { TextLines.parse($0) }
        var accumulator = CalibrationAccumulator(architecture: architecture)
        var profile = ForwardProfile()
        _ = try embedder.embed(Array(texts.prefix(256)), observer: &accumulator, profile: &profile)
        return (checkpoint, accumulator.result())
    }

    @Test(arguments: [(4, false), (3, false), (4, true)])
    func gptqBeatsRoundToNearestOnEveryLayer(bits: Int, actOrder: Bool) throws {
        let (checkpoint, calibration) = try Self.calibrated()
        #expect(calibration.order.count == 36)
        let parameters = GPTQParameters(bits: bits, groupSize: 128, actOrder: actOrder)
        let gptq = try GPTQQuantizer(parameters: parameters)
        let rtn = try RTNQuantizer(grid: parameters.grid)
        let jobs = try calibration.order.map { name in (name, try #require(checkpoint.tensors[name]), try #require(calibration.layers[name]?.hessian)) }
        let start = MonotonicClock.seconds()
        let results = try parallelMapLargestFirst(count: jobs.count, cost: { GPTQQuantizer.cost(of: jobs[$0].1) }) { try gptq.quantize(jobs[$0].1, hessian: jobs[$0].2) }
        let seconds = MonotonicClock.seconds() - start
        print("MiniLM GPTQ w\(bits) g128\(actOrder ? " act-order" : ""): 36 linears in \(String(format: "%.3f", seconds)) s")
        for ((name, weight, hessian), result) in zip(jobs, results) {
            let (rows, columns) = try weight.weightMatrixShape()
            let gptqLoss = try ProxyLoss.relative(reference: weight.floats(), candidate: try result.quantized.dequantize().floats(),
                                                  hessian: hessian, outFeatures: rows, inFeatures: columns)
            let rtnLoss = try ProxyLoss.relative(reference: weight.floats(), candidate: try rtn.quantize(weight).dequantize().floats(),
                                                 hessian: hessian, outFeatures: rows, inFeatures: columns)
            #expect(gptqLoss < rtnLoss, "\(name): GPTQ \(gptqLoss) vs RTN \(rtnLoss)")
            #expect(result.damping != nil, "\(name) fell back to rounding to nearest")
        }
    }
}
