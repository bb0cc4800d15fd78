import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats

@Suite struct QPackRoundTripTests {
    static func written(_ checkpoint: Checkpoint) throws -> (directory: TemporaryDirectory, path: String) {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/model.qpack"
        try QPackWriter.write(checkpoint, to: path, overwrite: false)
        return (directory, path)
    }

    @Test func roundTripIsBitIdentical() throws {
        let checkpoint = try Fixtures.checkpoint()
        let (directory, path) = try Self.written(checkpoint)
        let back = try QPackReader.read(path: path)
        #expect(back.metadata == checkpoint.metadata)
        #expect(Array(back.tensors.keys) == Array(checkpoint.tensors.keys))
        #expect(Array(back.quantized.keys) == Array(checkpoint.quantized.keys))
        for (name, tensor) in checkpoint.tensors { #expect(back.tensors[name] == tensor, "\(name)") }
        for (name, weight) in checkpoint.quantized { #expect(back.quantized[name] == weight, "\(name)") }
        _ = directory
    }

    @Test func sameCheckpointGivesSameBytes() throws {
        let checkpoint = try Fixtures.checkpoint()
        let (first, firstPath) = try Self.written(checkpoint)
        let (second, secondPath) = try Self.written(checkpoint)
        let bytes = try TestFiles.read(firstPath)
        #expect(bytes == (try TestFiles.read(secondPath)))
        let rewritten = first.path + "/again.qpack"
        try QPackWriter.write(try QPackReader.read(path: firstPath), to: rewritten, overwrite: false)
        #expect(bytes == (try TestFiles.read(rewritten)))
        _ = second
    }

    @Test func sectionsAre64ByteAlignedAndViewedInPlace() throws {
        let (directory, path) = try Self.written(try Fixtures.checkpoint())
        let storage = try ByteStorage.map(path: path)
        let index = try QPackIndex.parse(storage.buffer)
        #expect(index.dataStart % 64 == 0)
        let offsets = index.records.flatMap { $0.sections.map(\.section.offset) }
        #expect(offsets.count > 100)
        #expect(offsets.allSatisfy { $0 % 64 == 0 })
        let back = try QPackReader.read(storage: storage)
        for weight in back.quantized.values {
            weight.codes.withBytes { raw in
                #expect(Int(bitPattern: raw.baseAddress) % 64 == 0)
                #expect(raw.baseAddress.map { $0 >= storage.base! && $0 < storage.base! + storage.count } == true)
            }
        }
        _ = directory
    }

    @Test func emptyCheckpointRoundTrips() throws {
        let (directory, path) = try Self.written(Checkpoint(metadata: ["only": "metadata"]))
        let back = try QPackReader.read(path: path)
        #expect(back.metadata == ["only": "metadata"])
        #expect(back.tensors.isEmpty && back.quantized.isEmpty)
        _ = directory
    }

    @Test func refusesToOverwriteWithoutForce() throws {
        let (directory, path) = try Self.written(Checkpoint())
        expectQZooError(.invalidArgument, containing: "already exists") {
            try QPackWriter.write(Checkpoint(), to: path, overwrite: false)
        }
        try QPackWriter.write(Checkpoint(metadata: ["k": "v"]), to: path, overwrite: true)
        #expect(try QPackReader.read(path: path).metadata == ["k": "v"])
        _ = directory
    }

    @Test func writerRefusesValuesItsReaderWouldReject() throws {
        let good = try Fixtures.weight(bits: 4, symmetric: true, granularity: .perChannel, seed: 3)
        var scales = good.scales.floats()
        scales[1] = .nan
        let bad = try QuantizedTensor(rows: good.rows, columns: good.columns, grid: try #require(good.grid), codes: good.codes,
                                      scales: try Tensor(shape: good.scales.shape, floats: scales), zeroPoints: nil)
        var checkpoint = Checkpoint()
        try checkpoint.add("w", bad)
        _ = try TemporaryDirectory.use { directory in
            expectQZooError(.malformed, containing: "NaN", tensor: "w") {
                try QPackWriter.write(checkpoint, to: directory + "/bad.qpack", overwrite: false)
            }
        }
    }
}
