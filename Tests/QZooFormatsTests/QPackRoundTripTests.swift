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

    /// Sections larger than a write piece go out in several pieces, from either core: every byte
    /// must land once, at its place, with the digest of the whole section.
    @Test func sectionsLargerThanAPieceRoundTrip() throws {
        let large = (0..<(2 * QPackWriter.pieceSize + 12_345)).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        var checkpoint = Checkpoint(metadata: ["kind": "pieces"])
        checkpoint.tensors["large"] = try Tensor(dtype: .u8, shape: [large.count], bytes: large)
        checkpoint.tensors["empty"] = try Tensor(dtype: .f32, shape: [0], bytes: [])
        checkpoint.tensors["small"] = try Tensor(shape: [3], floats: [1, -2, 3.5])
        let (directory, path) = try Self.written(checkpoint)
        let back = try QPackReader.read(path: path)
        for (name, tensor) in checkpoint.tensors { #expect(back.tensors[name] == tensor, "\(name)") }
        let plan = try QPackPlan(checkpoint, digests: nil)
        #expect(try TestFiles.read(path).count == plan.fileSize)
        _ = directory
    }

    @Test func piecesCoverEverySectionOnceInFileOrder() throws {
        var checkpoint = Checkpoint(metadata: [:])
        checkpoint.tensors["a"] = try Tensor(dtype: .u8, shape: [10], bytes: [UInt8](repeating: 1, count: 10))
        checkpoint.tensors["b"] = try Tensor(dtype: .u8, shape: [0], bytes: [])
        checkpoint.tensors["c"] = try Tensor(dtype: .u8, shape: [25], bytes: [UInt8](repeating: 2, count: 25))
        let plan = try QPackPlan(checkpoint, digests: nil)
        let pieces = plan.pieces(of: 8)
        #expect(pieces.map(\.bytes.count) == [8, 2, 8, 8, 8, 1])
        #expect(pieces.allSatisfy { $0.offset == plan.index.dataStart + plan.sections[$0.section].0.offset + $0.bytes.lowerBound })
        #expect(zip(pieces, pieces.dropFirst()).allSatisfy { $0.offset + $0.bytes.count <= $1.offset })
        #expect(plan.fileSize == plan.index.dataStart + plan.sections[2].0.offset + 25)
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
