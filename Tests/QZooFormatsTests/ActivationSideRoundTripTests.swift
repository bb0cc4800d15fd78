import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats
@testable import QZooQuant

/// Pending input scales and activation quantization survive qpack and QDQ JSON, and QDQ JSON
/// writes the explicit input scale as a `mul` equal to the reciprocals of the weight's Div.
@Suite struct ActivationSideRoundTripTests {
    static let staticInt8 = try! ActivationQuantization(bits: 8, signed: true, scheme: .staticPerTensor(scale: 0.0375, zeroPoint: 0))
    static let dynamicInt8 = try! ActivationQuantization(bits: 8, signed: true, scheme: .dynamicPerToken)

    /// A quantized weight with a leading input scale, a dense weight with a pending one, and
    /// activation entries of both schemes.
    static func checkpoint() throws -> Checkpoint {
        var checkpoint = Checkpoint(metadata: ["k": "v"])
        try checkpoint.add("a.query.weight", try Fixtures.weight(bits: 8, symmetric: true, granularity: .perChannel, seed: 3,
                                                                 transforms: [try Fixtures.inputScale(11, seed: 4)]))
        try checkpoint.add("a.key.weight", try Tensor(shape: [2, 11], floats: Fixtures.values(22, seed: 5)))
        checkpoint.inputScales["a.key.weight"] = try Tensor(shape: [11], floats: (0..<11).map { 0.5 + Float($0) / 8 })
        checkpoint.activations["a.query.weight"] = staticInt8
        checkpoint.activations["a.key.weight"] = dynamicInt8
        return checkpoint
    }

    @Test func qpackKeepsPendingScalesAndActivations() throws {
        let checkpoint = try Self.checkpoint()
        try TemporaryDirectory.use { directory in
            let path = directory + "/m.qpack"
            try CheckpointIO.write(checkpoint, to: path, format: .qpack)
            let (back, _) = try CheckpointIO.read(path: path)
            #expect(back.activations == checkpoint.activations)
            #expect(back.inputScales == checkpoint.inputScales)
            #expect(back.quantized == checkpoint.quantized)
        }
    }

    @Test func qdqJSONWritesTheMulAndReadsActivationsBack() throws {
        var checkpoint = try Self.checkpoint()
        checkpoint.inputScales = [:]
        try TemporaryDirectory.use { directory in
            let path = directory + "/m.qdq.json"
            try CheckpointIO.write(checkpoint, to: path, format: .qdqJSON)
            let document = try QDQJSONReader.read(path: path)
            let query = try #require(document.activations["a.query.input"])
            let scale = try #require(checkpoint.inputScale(of: "a.query.weight")).floats()
            #expect(query.mul == scale.map { 1 / $0 })
            #expect(query.scale == 0.0375)
            let key = try #require(document.activations["a.key.input"])
            #expect(key.scale == nil && key.mul == nil && key.elementType == .int8)
            let (back, _) = try CheckpointIO.read(path: path)
            #expect(back.activations == checkpoint.activations)
        }
    }

    @Test func qdqJSONRejectsAPendingDenseScaleAndAMulThatDisagrees() throws {
        try TemporaryDirectory.use { directory in
            expectQZooError(.unsupported, containing: "not quantized", tensor: "a.key.weight") {
                try CheckpointIO.write(try Self.checkpoint(), to: directory + "/m.qdq.json", format: .qdqJSON)
            }
            var checkpoint = try Self.checkpoint()
            checkpoint.inputScales = [:]
            let path = directory + "/n.qdq.json"
            try CheckpointIO.write(checkpoint, to: path, format: .qdqJSON)
            var document = try QDQJSONReader.read(path: path)
            document.activations["a.key.input"] = try QDQActivationParams(dynamicPerToken: .int8, mul: [Float](repeating: 2, count: 11))
            expectQZooError(.malformed, containing: "reciprocal", tensor: "a.key.input") { _ = try document.checkpointWithActivations() }
        }
    }

    @Test func denseFormatsRefuseActivationSideData() throws {
        try TemporaryDirectory.use { directory in
            let checkpoint = try Self.checkpoint().dequantized()
            #expect(checkpoint.activations.isEmpty && checkpoint.inputScales.isEmpty)
            try CheckpointIO.write(checkpoint, to: directory + "/ok.safetensors", format: .safetensors)
            var scaled = checkpoint
            scaled.inputScales["a.key.weight"] = try Tensor(shape: [11], floats: [Float](repeating: 2, count: 11))
            expectQZooError(.unsupported, containing: "input scales", tensor: "a.key.weight") {
                try CheckpointIO.write(scaled, to: directory + "/no.safetensors", format: .safetensors)
            }
        }
    }
}
