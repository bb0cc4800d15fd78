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

    /// The fixture as qpack bytes, the index of the dense weight with a pending scale, and the
    /// QZooError a reader gives for `edit` applied to the index.
    static func qpackError(_ edit: (JSONValue, Int) -> JSONValue) throws -> QZooError? {
        try TemporaryDirectory.use { directory in
            let path = directory + "/m.qpack"
            try CheckpointIO.write(try checkpoint(), to: path, format: .qpack)
            let bytes = try TestFiles.read(path)
            let (index, _) = try QPackSurgery.split(bytes)
            let records = index["tensors"]?.arrayValue ?? []
            let key = try #require(records.firstIndex { $0["name"] == .string("a.key.weight") })
            try TestFiles.write(try QPackSurgery.editIndex(bytes) { edit($0, key) }, to: path)
            do {
                _ = try CheckpointIO.read(path: path)
                return nil
            } catch let error as QZooError {
                return error
            }
        }
    }

    @Test func qpackRejectsMalformedInputScalesAndActivations() throws {
        let wrongShape = try Self.qpackError { index, key in
            index.setting([.key("tensors"), .index(key), .key("input_scale")], "shape", to: .array([.int(10)]))
        }
        #expect(wrongShape?.code == .malformed && wrongShape?.tensor == "a.key.weight", "\(String(describing: wrongShape))")
        let orphan = try Self.qpackError { index, _ in
            index.editing([.key("activations")]) { object in
                .object((object.objectMembers ?? []) + [(key: "missing.weight", value: .object([
                    ("bits", .int(8)), ("signed", .bool(true)), ("scheme", .string("dynamic_per_token")),
                ]))])
            }
        }
        #expect(orphan?.code == .malformed && orphan?.tensor == "missing.weight", "\(String(describing: orphan))")
        let badBits = try Self.qpackError { index, _ in
            index.setting([.key("activations"), .key("a.query.weight")], "bits", to: .int(5))
        }
        #expect(badBits?.code == .malformed && badBits?.tensor == "a.query.weight", "\(String(describing: badBits))")
        let unknownScheme = try Self.qpackError { index, _ in
            index.setting([.key("activations"), .key("a.query.weight")], "scheme", to: .string("per_channel"))
        }
        #expect(unknownScheme?.code == .unsupported, "\(String(describing: unknownScheme))")
    }
}
