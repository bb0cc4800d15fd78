import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats

/// Corruptions of a valid QDQ JSON document.
extension JSONCorruption {
    /// Weight 0 is "w" (4-bit asymmetric, groups of 4, 5×11); weight 1 is "s" (4-bit
    /// symmetric per channel, with a column permutation).
    static let w: [JSONStep] = [.key("weights"), .index(0)]
    static let s: [JSONStep] = [.key("weights"), .index(1)]

    static let qdqCases: [JSONCorruption] = [
        JSONCorruption(name: "offset past the sidecar end", code: .malformed, fragment: "runs past the end of m.qdq.bin", tensor: "w",
                      edit: set(w + [.key("x"), .key("external_data")], "offset", .int(1 << 20))),
        JSONCorruption(name: "offset + length overflows", code: .malformed, fragment: "runs past the end", tensor: "w",
                      edit: set(w + [.key("x"), .key("external_data")], "offset", .int(Int.max - 1))),
        JSONCorruption(name: "length not matching x", code: .malformed, fragment: "does not match x's shape", tensor: "w",
                      edit: set(w + [.key("x"), .key("external_data")], "length", .int(29))),
        JSONCorruption(name: "overlapping raw data", code: .malformed, fragment: "overlap", tensor: nil,
                      edit: set(s + [.key("x"), .key("external_data")], "offset", .int(1))),
        JSONCorruption(name: "unknown element type", code: .malformed, fragment: "unknown element type \"INT3\"", tensor: "w",
                      edit: set(w + [.key("x")], "elem_type", .string("INT3"))),
        JSONCorruption(name: "float x", code: .unsupported, fragment: "FLOAT is not a quantized type", tensor: "w",
                      edit: set(w + [.key("x")], "elem_type", .string("FLOAT"))),
        JSONCorruption(name: "16-bit x", code: .unsupported, fragment: "no qzoo grid", tensor: "s",
                      edit: set(s + [.key("x")], "elem_type", .string("INT16"))),
        JSONCorruption(name: "block size not matching the shape", code: .malformed, fragment: "block_size 6 does not match", tensor: "w",
                      edit: set(w, "block_size", .int(6))),
        JSONCorruption(name: "scale shape not matching rows", code: .malformed, fragment: "does not match x's 5 rows", tensor: "s",
                      edit: {
                          $0.setting(s + [.key("x_scale")], "shape", to: .array([.int(6)]))
                              .setting(s + [.key("x_scale")], "values", to: .array(Array(repeating: .number("0.5"), count: 6)))
                      }),
        JSONCorruption(name: "scale count not matching its shape", code: .malformed, fragment: "x_scale has 5 values but shape [6]", tensor: "s",
                      edit: set(s + [.key("x_scale")], "shape", .array([.int(6)]))),
        JSONCorruption(name: "blocked scale of rank 1", code: .malformed, fragment: "needs an x_scale of x's rank 2", tensor: "s",
                      edit: set(s, "block_size", .int(4))),
        JSONCorruption(name: "zero point out of range", code: .malformed, fragment: "is 16, outside 0...15", tensor: "w",
                      edit: { $0.editing(w + [.key("x_zero_point"), .key("values"), .index(0)]) { _ in .int(16) } }),
        JSONCorruption(name: "zero point of another type", code: .malformed, fragment: "differs from x's UINT4", tensor: "w",
                      edit: set(w + [.key("x_zero_point")], "elem_type", .string("UINT8"))),
        JSONCorruption(name: "non-finite scale", code: .malformed, fragment: "finite float32", tensor: "w",
                      edit: { $0.editing(w + [.key("x_scale"), .key("values"), .index(0)]) { _ in .number("1e39") } }),
        JSONCorruption(name: "weight min_opset too low", code: .malformed, fragment: "min_opset 13 is below the 21", tensor: "w",
                      edit: set(w, "min_opset", .int(13))),
        JSONCorruption(name: "document min_opset too low", code: .malformed, fragment: "min_opset 10 is below the 21", tensor: nil,
                      edit: set([], "min_opset", .int(10))),
        JSONCorruption(name: "unknown version", code: .unsupported, fragment: "version 2", tensor: nil,
                      edit: set([], "version", .int(2))),
        JSONCorruption(name: "location outside the directory", code: .malformed, fragment: "must be a file name", tensor: "w",
                      edit: set(w + [.key("x"), .key("external_data")], "location", .string("../m.qdq.bin"))),
        JSONCorruption(name: "per-column scales", code: .unsupported, fragment: "along axis 1", tensor: "s",
                      edit: set(s, "axis", .int(1))),
        JSONCorruption(name: "blocks along rows", code: .unsupported, fragment: "blocks along axis 0", tensor: "w",
                      edit: set(w, "axis", .int(0))),
        JSONCorruption(name: "stale raw-data digest", code: .checksumMismatch, fragment: "does not match x.external_data.sha256", tensor: "w",
                      edit: set(w + [.key("x"), .key("external_data")], "sha256", .string(String(repeating: "a", count: 64)))),
        JSONCorruption(name: "unknown field", code: .malformed, fragment: "unexpected field \"scale\"", tensor: "w",
                      edit: set(w, "scale", .int(1))),
        JSONCorruption(name: "another op", code: .unsupported, fragment: "op \"QuantizeLinear\"", tensor: "w",
                      edit: set(w, "op", .string("QuantizeLinear"))),
        JSONCorruption(name: "gather indices not a permutation", code: .malformed, fragment: "not a permutation", tensor: "s",
                      edit: { json in
                          let values = s + [.key("post_ops"), .index(0), .key("indices"), .key("values")]
                          var second = JSONValue.null
                          _ = json.editing(values + [.index(1)]) { second = $0; return $0 }
                          return json.editing(values + [.index(0)]) { _ in second }
                      }),
        JSONCorruption(name: "codes outside the declared grid", code: .malformed, fragment: "outside the 3-bit grid", tensor: "s",
                      edit: set(s + [.key("qzoo")], "bits", .int(3))),
        JSONCorruption(name: "activation zero point out of range", code: .malformed, fragment: "outside UINT8's range", tensor: "in",
                      edit: set([.key("activations"), .key("in")], "zero_point", .int(300))),
        JSONCorruption(name: "activation scale zero", code: .malformed, fragment: "finite and positive", tensor: "in",
                      edit: set([.key("activations"), .key("in")], "scale", .number("0"))),
        JSONCorruption(name: "wrong format tag", code: .malformed, fragment: "expected \"qzoo-qdq\"", tensor: nil,
                      edit: set([], "format", .string("onnx"))),
    ]
}

@Suite struct QDQJSONMalformedTests {
    /// Writes the fixture document into `directory` as `m.qdq.json` + sidecars.
    static func writeFixture(in directory: String) throws {
        var checkpoint = Checkpoint(metadata: ["k": "v"])
        try checkpoint.add("a", try Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]))
        try checkpoint.add("w", try Fixtures.weight(bits: 4, symmetric: false, granularity: .group(size: 4), seed: 5))
        try checkpoint.add("s", try Fixtures.weight(bits: 4, symmetric: true, granularity: .perChannel, seed: 6,
                                                    transforms: [try Fixtures.permutation(11, seed: 3)]))
        let activations = ["in": try QDQActivationParams(elementType: .uint8, scale: 0.1, zeroPoint: 128)]
        try QDQJSONWriter.write(QDQDocument(checkpoint: checkpoint, activations: activations), to: directory + "/m.qdq.json", overwrite: false)
    }

    static func editJSON(in directory: String, _ edit: (JSONValue) -> JSONValue) throws {
        let path = directory + "/m.qdq.json"
        let json = try JSONParser.parse(try TestFiles.read(path))
        try TestFiles.write(Array(JSONWriter.serialize(edit(json)).utf8), to: path)
    }

    @Test func unmodifiedFixtureReads() throws {
        try TemporaryDirectory.use { directory in
            try Self.writeFixture(in: directory)
            try Self.editJSON(in: directory) { $0 }
            let document = try QDQJSONReader.read(path: directory + "/m.qdq.json")
            #expect(document.checkpoint.quantized.count == 2 && document.checkpoint.tensors.count == 1)
        }
    }

    @Test(arguments: JSONCorruption.qdqCases)
    func corruptJSONIsRejected(_ corruption: JSONCorruption) throws {
        try TemporaryDirectory.use { directory in
            try Self.writeFixture(in: directory)
            try Self.editJSON(in: directory, corruption.edit)
            let error = expectQZooError(corruption.code, containing: corruption.fragment, tensor: corruption.tensor) {
                _ = try QDQJSONReader.read(path: directory + "/m.qdq.json")
            }
            #expect(error?.file == directory + "/m.qdq.json")
        }
    }

    @Test func truncatedSidecarIsRejectedNamingTheTensor() throws {
        try TemporaryDirectory.use { directory in
            try Self.writeFixture(in: directory)
            let bin = try TestFiles.read(directory + "/m.qdq.bin")
            try TestFiles.write(Array(bin.prefix(bin.count - 1)), to: directory + "/m.qdq.bin")
            expectQZooError(.malformed, containing: "runs past the end of m.qdq.bin", tensor: "s") {
                _ = try QDQJSONReader.read(path: directory + "/m.qdq.json")
            }
        }
    }

    @Test func flippedSidecarOrDenseByteIsAChecksumError() throws {
        try TemporaryDirectory.use { directory in
            try Self.writeFixture(in: directory)
            let bin = try TestFiles.read(directory + "/m.qdq.bin")
            for (position, tensor) in [(0, "w"), (bin.count - 1, "s")] {
                var corrupt = bin
                corrupt[position] ^= 0x04
                try TestFiles.write(corrupt, to: directory + "/m.qdq.bin")
                expectQZooError(.checksumMismatch, containing: "sha256", tensor: tensor) { _ = try QDQJSONReader.read(path: directory + "/m.qdq.json") }
            }
            try TestFiles.write(bin, to: directory + "/m.qdq.bin")
            var dense = try TestFiles.read(directory + "/m.dense.safetensors")
            dense[dense.count - 1] ^= 0x01
            try TestFiles.write(dense, to: directory + "/m.dense.safetensors")
            expectQZooError(.checksumMismatch, containing: "dense companion m.dense.safetensors") {
                _ = try QDQJSONReader.read(path: directory + "/m.qdq.json")
            }
        }
    }

    @Test func missingSidecarIsAnIOError() throws {
        try TemporaryDirectory.use { directory in
            try Self.writeFixture(in: directory)
            AtomicFile.removeTree(directory + "/m.qdq.bin")
            expectQZooError(.io, containing: "m.qdq.bin", tensor: "w") { _ = try QDQJSONReader.read(path: directory + "/m.qdq.json") }
        }
    }
}
