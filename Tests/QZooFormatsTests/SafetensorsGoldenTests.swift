import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats

/// Files written by the reference `safetensors` package (formats/vectors/make_safetensors_vectors.py),
/// with their contents described independently in `expected.json`.
@Suite struct SafetensorsGoldenTests {
    static let readable = ["all_dtypes.safetensors", "metadata.safetensors", "narrow_floats.safetensors", "names.safetensors"]

    static func expectation(_ file: String) throws -> JSONValue {
        try #require(try GoldenFiles.json("safetensors/expected.json")["files"]?[file])
    }

    @Test(arguments: readable)
    func readsReferenceFile(_ file: String) throws {
        let expected = try Self.expectation(file)
        let checkpoint = try SafetensorsReader.read(path: GoldenFiles.path("safetensors/" + file))
        let metadata = try #require(expected["metadata"]?.objectMembers)
        #expect(checkpoint.metadata == Dictionary(uniqueKeysWithValues: metadata.compactMap { key, value in value.stringValue.map { (key, $0) } }))
        let tensors = try #require(expected["tensors"]?.objectMembers)
        #expect(Set(checkpoint.tensors.keys) == Set(tensors.map(\.key)))
        for (name, description) in tensors {
            let tensor = try #require(checkpoint.tensors[name], "missing tensor \(name)")
            try expectTensor(tensor, matches: description, name: name)
        }
    }

    func expectTensor(_ tensor: Tensor, matches description: JSONValue, name: String) throws {
        #expect(tensor.dtype.rawValue == description["dtype"]?.stringValue, "\(name)")
        #expect(tensor.shape == description["shape"]?.arrayValue?.compactMap(\.intValue), "\(name)")
        #expect(tensor.bytes == (try bytes(hex: try #require(description["hex"]?.stringValue))), "\(name)")
        let values = try #require(description["values"]?.arrayValue).map { item in
            Float(try #require(item.doubleValue))
        }
        #expect(tensor.floats().map(\.bitPattern) == values.map(\.bitPattern), "\(name)")
    }

    /// With at most one metadata key the reference writer is deterministic, and qzoo must
    /// reproduce its output exactly: tensor order, header JSON spelling, padding and data.
    @Test(arguments: readable)
    func rewritesReferenceFileByteForByte(_ file: String) throws {
        let path = GoldenFiles.path("safetensors/" + file)
        let checkpoint = try SafetensorsReader.read(path: path)
        let directory = try TemporaryDirectory()
        let copy = directory.path + "/" + file
        try SafetensorsWriter.write(checkpoint, to: copy, overwrite: false)
        let original = try TestFiles.read(path)
        let written = try TestFiles.read(copy)
        let firstDifference = zip(original, written).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(written == original, "\(file): \(written.count) vs \(original.count) bytes, first difference at \(firstDifference.map(String.init) ?? "the end")")
    }

    @Test func rejectsValidFileInUnsupportedDType() throws {
        let path = GoldenFiles.path("safetensors/unsupported_f8_e4m3fnuz.safetensors")
        let expected = try Self.expectation("unsupported_f8_e4m3fnuz.safetensors")
        let error = try #require(throws: QZooError.self) { try SafetensorsReader.read(path: path) }
        #expect(error.code.rawValue == expected["error"]?.stringValue)
        #expect(error.tensor == expected["tensor"]?.stringValue)
        #expect(error.file == path)
        #expect(error.message.contains("F8_E4M3FNUZ"))
    }
}
