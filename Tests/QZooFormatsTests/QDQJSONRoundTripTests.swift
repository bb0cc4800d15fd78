import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats
@testable import QZooQuant

@Suite struct QDQJSONRoundTripTests {
    static func activations() throws -> [String: QDQActivationParams] {
        [
            "encoder.layer.0.attention.self.query.input": try QDQActivationParams(elementType: .uint8, scale: 0.0123, zeroPoint: 128),
            "encoder.layer.0.output.dense.input": try QDQActivationParams(elementType: .int8, scale: 1e-5),
            "fp8.input": try QDQActivationParams(elementType: .float8e4m3fn, scale: 2, zeroPoint: 0),
            "int4.input": try QDQActivationParams(elementType: .int4, scale: 0.5, zeroPoint: -3),
        ]
    }

    static func writeSingle(_ weight: QuantizedTensor, in directory: String) throws -> (json: JSONValue, bin: [UInt8]) {
        var checkpoint = Checkpoint()
        try checkpoint.add("w", weight)
        try QDQJSONWriter.write(QDQDocument(checkpoint: checkpoint), to: directory + "/one.qdq.json", overwrite: false)
        return (try JSONParser.parse(try TestFiles.read(directory + "/one.qdq.json")), try TestFiles.read(directory + "/one.qdq.bin"))
    }

    @Test func documentRoundTripsExactly() throws {
        let checkpoint = try Fixtures.checkpoint()
        try TemporaryDirectory.use { directory in
            let path = directory + "/model.qdq.json"
            try QDQJSONWriter.write(QDQDocument(checkpoint: checkpoint, activations: try Self.activations()), to: path, overwrite: false)
            let back = try QDQJSONReader.read(path: path)
            #expect(back.activations == (try Self.activations()))
            #expect(back.checkpoint.metadata == checkpoint.metadata)
            #expect(Array(back.checkpoint.quantized.keys) == Array(checkpoint.quantized.keys))
            for (name, weight) in checkpoint.quantized { #expect(back.checkpoint.quantized[name] == weight, "\(name)") }
            #expect(Set(back.checkpoint.tensors.keys) == Set(checkpoint.tensors.keys))
            for (name, tensor) in checkpoint.tensors { #expect(back.checkpoint.tensors[name] == tensor, "\(name)") }
        }
    }

    @Test func sameDocumentGivesSameBytes() throws {
        let document = QDQDocument(checkpoint: try Fixtures.checkpoint(), activations: try Self.activations())
        let files = ["m.qdq.json", "m.qdq.bin", "m.dense.safetensors"]
        let first = try TemporaryDirectory.use { directory in
            try QDQJSONWriter.write(document, to: directory + "/m.qdq.json", overwrite: false)
            return try files.map { try TestFiles.read(directory + "/" + $0) }
        }
        let second = try TemporaryDirectory.use { directory in
            try QDQJSONWriter.write(document, to: directory + "/m.qdq.json", overwrite: false)
            return try files.map { try TestFiles.read(directory + "/" + $0) }
        }
        #expect(first == second)
        #expect(first.allSatisfy { !$0.isEmpty })
    }

    @Test func sidecarsAreNamedAfterTheJSONAndReferencedByPlainName() throws {
        try TemporaryDirectory.use { directory in
            try QDQJSONWriter.write(QDQDocument(checkpoint: try Fixtures.checkpoint()), to: directory + "/tiny.qdq.json", overwrite: false)
            #expect(try listDirectory(directory) == ["tiny.dense.safetensors", "tiny.qdq.bin", "tiny.qdq.json"])
            let json = try JSONParser.parse(try TestFiles.read(directory + "/tiny.qdq.json"))
            #expect(json["dense"]?["location"] == .string("tiny.dense.safetensors"))
            let locations = Set((json["weights"]?.arrayValue ?? []).compactMap { $0["x"]?["external_data"]?["location"]?.stringValue })
            #expect(locations == ["tiny.qdq.bin"])
            expectQZooError(.invalidArgument, containing: "already exists") {
                try QDQJSONWriter.write(QDQDocument(checkpoint: Checkpoint()), to: directory + "/tiny.qdq.json", overwrite: false)
            }
        }
        expectQZooError(.invalidArgument, containing: "NAME.qdq.json") { _ = try QDQFileNames(jsonPath: "/tmp/model.json") }
    }

    @Test func symmetricGridIsSignedTypeWithoutZeroPoint() throws {
        let weight = try Fixtures.weight(bits: 4, symmetric: true, granularity: .perChannel, seed: 21)
        let (json, bin) = try TemporaryDirectory.use { try Self.writeSingle(weight, in: $0) }
        let record = try #require(json["weights"]?.arrayValue?.first)
        #expect(record["x"]?["elem_type"] == .string("INT4"))
        #expect(record["x_zero_point"] == nil)
        #expect(record["axis"] == .int(0))
        #expect(record["block_size"] == nil)
        #expect(record["x_scale"]?["shape"] == .array([.int(weight.rows)]))
        let signed = weight.unpackedCodes().map { Int($0) - 8 }
        let expected = stride(from: 0, to: signed.count, by: 2).map { i in
            UInt8(signed[i] & 0xF) | UInt8((i + 1 < signed.count ? signed[i + 1] : 0) & 0xF) << 4
        }
        #expect(bin == expected)
        let scales = weight.scales.floats()
        let onnx = signed.enumerated().map { Float($1) * scales[$0 / weight.columns] }
        #expect(onnx == weight.gridValues())
    }

    @Test func asymmetricGridIsUnsignedTypeWithZeroPoints() throws {
        let weight = try Fixtures.weight(bits: 2, symmetric: false, granularity: .group(size: 4), seed: 22)
        let (json, bin) = try TemporaryDirectory.use { try Self.writeSingle(weight, in: $0) }
        let record = try #require(json["weights"]?.arrayValue?.first)
        #expect(record["x"]?["elem_type"] == .string("UINT2"))
        #expect(record["x_zero_point"]?["elem_type"] == .string("UINT2"))
        #expect(record["x_zero_point"]?["values"] == .array(try #require(weight.zeroPoints).bytes.map { .int(Int($0)) }))
        #expect(record["axis"] == .int(1))
        #expect(record["block_size"] == .int(4))
        #expect(record["x_scale"]?["shape"] == .array([.int(weight.rows), .int(3)]))
        #expect(record["min_opset"] == .int(25))
        let q = weight.unpackedCodes()
        let expected = stride(from: 0, to: q.count, by: 4).map { i in
            (0..<4).reduce(UInt8(0)) { byte, k in i + k < q.count ? byte | q[i + k] << UInt8(2 * k) : byte }
        }
        #expect(bin == expected)
    }

    @Test(arguments: 1...8)
    func gridsWidenToTheNarrowestONNXType(bits: Int) throws {
        let width = bits <= 2 ? 2 : (bits <= 4 ? 4 : 8)
        for symmetric in [true, false] {
            let weight = try Fixtures.weight(bits: bits, symmetric: symmetric, granularity: .perTensor, seed: UInt64(bits))
            let (json, _) = try TemporaryDirectory.use { try Self.writeSingle(weight, in: $0) }
            let record = try #require(json["weights"]?.arrayValue?.first)
            #expect(record["x"]?["elem_type"] == .string((symmetric ? "INT" : "UINT") + String(width)))
            #expect(record["qzoo"]?["bits"] == .int(bits))
            #expect(record["x_scale"]?["shape"] == .array([]))
        }
    }

    @Test func minimumOpsetFollowsONNXRules() throws {
        let cases: [(bits: Int, symmetric: Bool, granularity: Granularity, opset: Int)] = [
            (8, true, .perTensor, 10), (8, false, .perChannel, 13), (8, true, .group(size: 4), 21),
            (4, true, .perTensor, 21), (3, false, .perChannel, 21), (2, false, .perChannel, 25), (1, true, .perTensor, 25),
        ]
        var checkpoint = Checkpoint()
        for (i, c) in cases.enumerated() {
            try checkpoint.add("w\(i)", try Fixtures.weight(bits: c.bits, symmetric: c.symmetric, granularity: c.granularity, seed: UInt64(i)))
        }
        let json = try TemporaryDirectory.use { directory in
            try QDQJSONWriter.write(QDQDocument(checkpoint: checkpoint), to: directory + "/o.qdq.json", overwrite: false)
            return try JSONParser.parse(try TestFiles.read(directory + "/o.qdq.json"))
        }
        let records = try #require(json["weights"]?.arrayValue)
        #expect(records.map { $0["min_opset"]?.intValue } == cases.map(\.opset))
        #expect(json["min_opset"] == .int(25))
    }

    @Test func transformsBecomeDivThenGatherMatchingDequantize() throws {
        let permutation = try Fixtures.permutation(11, seed: 4)
        let weight = try Fixtures.weight(bits: 4, symmetric: false, granularity: .group(size: 4), seed: 23,
                                         transforms: [permutation, try Fixtures.inputScale(11, seed: 5)])
        let (json, _) = try TemporaryDirectory.use { try Self.writeSingle(weight, in: $0) }
        let ops = try #require(json["weights"]?.arrayValue?.first?["post_ops"]?.arrayValue)
        #expect(ops.map { $0["op"]?.stringValue } == ["Div", "Gather"])
        let divisor = try #require(ops[0]["b"]?["values"]?.arrayValue).compactMap { $0.doubleValue.map(Float.init) }
        let indices = try #require(ops[1]["indices"]?["values"]?.arrayValue).compactMap(\.intValue)
        var values = weight.gridValues()
        for i in values.indices { values[i] /= divisor[i % 11] }
        let gathered = (0..<weight.rows * 11).map { values[($0 / 11) * 11 + indices[$0 % 11]] }
        #expect(gathered == (try weight.dequantize()).floats())
    }

    @Test func plainONNXRecordsMapToAsymmetricGrids() throws {
        // UINT8 without a zero point (ONNX default 0) and INT8 with one: both asymmetric in qzoo.
        let raw: [UInt8] = [0, 7, 255, 128, 3, 250]
        let json = """
            {"format":"qzoo-qdq","version":1,"min_opset":13,"metadata":{},"activations":{},"weights":[
            {"name":"u","op":"DequantizeLinear","min_opset":10,"x":{"elem_type":"UINT8","shape":[1,3],
             "external_data":{"location":"p.bin","offset":0,"length":3}},"x_scale":{"elem_type":"FLOAT","shape":[],"values":[0.5]}},
            {"name":"i","op":"DequantizeLinear","min_opset":13,"axis":0,"x":{"elem_type":"INT8","shape":[1,3],
             "external_data":{"location":"p.bin","offset":3,"length":3}},"x_scale":{"elem_type":"FLOAT","shape":[1],"values":[0.25]},
             "x_zero_point":{"elem_type":"INT8","shape":[1],"values":[-2]}}]}
            """
        let document = try TemporaryDirectory.use { directory in
            try TestFiles.write(Array(json.utf8), to: directory + "/p.qdq.json")
            try TestFiles.write(raw, to: directory + "/p.bin")
            return try QDQJSONReader.read(path: directory + "/p.qdq.json")
        }
        let u = try #require(document.checkpoint.quantized["u"])
        let i = try #require(document.checkpoint.quantized["i"])
        #expect(u.grid?.symmetric == false && i.grid?.symmetric == false)
        #expect(try u.dequantize().floats() == [0, 3.5, 127.5])
        // INT8 raw 128, 3, 250 are -128, 3, -6; minus zero point -2, times 0.25.
        #expect(try i.dequantize().floats() == [-31.5, 1.25, -1])
    }

    @Test func qpackAndQDQJSONConvertBothWaysPreservingCodesScalesAndZeros() throws {
        let checkpoint = try Fixtures.checkpoint()
        try TemporaryDirectory.use { directory in
            try QPackWriter.write(checkpoint, to: directory + "/a.qpack", overwrite: false)
            let fromQPack = try QPackReader.read(path: directory + "/a.qpack")
            try CheckpointIO.write(fromQPack, to: directory + "/b.qdq.json", format: .qdqJSON)
            let (fromQDQ, format) = try CheckpointIO.read(path: directory + "/b.qdq.json")
            #expect(format == .qdqJSON)
            try CheckpointIO.write(fromQDQ, to: directory + "/c.qpack", format: .qpack)
            let (final, finalFormat) = try CheckpointIO.read(path: directory + "/c.qpack")
            #expect(finalFormat == .qpack)
            for (name, weight) in checkpoint.quantized {
                let back = try #require(final.quantized[name])
                #expect(back.codes == weight.codes && back.scales == weight.scales && back.zeroPoints == weight.zeroPoints, "\(name)")
                #expect(back == weight, "\(name)")
            }
            for (name, tensor) in checkpoint.tensors { #expect(final.tensors[name] == tensor, "\(name)") }
            #expect(final.metadata == checkpoint.metadata)
        }
    }
}
