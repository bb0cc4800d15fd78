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

    /// Sections larger than a chunk span several, written from either core in any order: every
    /// byte must land once, at its place, with the digest of the whole section, and the file
    /// must end where its last section does (the last chunk is padded for the disk, then cut).
    @Test func sectionsLargerThanAChunkRoundTrip() throws {
        let large = (0..<(2 * ChunkedOutput.chunkSize + 12_345)).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        var checkpoint = Checkpoint(metadata: ["kind": "chunks"])
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

    /// An index larger than a chunk: the chunks that hold it are written last, once the digests
    /// are known, each with the index's bytes and any section bytes that share it.
    @Test func indexLargerThanAChunkRoundTrips() throws {
        let long = String(repeating: "qzoo ", count: ChunkedOutput.chunkSize / 4)
        var checkpoint = Checkpoint(metadata: ["long": long])
        checkpoint.tensors["a"] = try Tensor(shape: [5], floats: [1, 2, 3, 4, 5])
        checkpoint.tensors["b"] = try Tensor(dtype: .u8, shape: [ChunkedOutput.chunkSize], bytes: [UInt8](repeating: 7, count: ChunkedOutput.chunkSize))
        let plan = try QPackPlan(checkpoint, digests: nil)
        #expect(plan.index.dataStart > ChunkedOutput.chunkSize)
        let (directory, path) = try Self.written(checkpoint)
        let back = try QPackReader.read(path: path)
        #expect(back.metadata == checkpoint.metadata)
        for (name, tensor) in checkpoint.tensors { #expect(back.tensors[name] == tensor, "\(name)") }
        #expect(try TestFiles.read(path).count == plan.fileSize)
        _ = directory
    }

    /// A chunk's bytes put together from the sections, whatever the cut: each section's bytes
    /// at its offset, zeros between.
    @Test func copiedSectionsMatchTheLayoutForAnyCut() throws {
        var checkpoint = Checkpoint(metadata: [:])
        checkpoint.tensors["a"] = try Tensor(dtype: .u8, shape: [10], bytes: [UInt8](repeating: 1, count: 10))
        checkpoint.tensors["b"] = try Tensor(dtype: .u8, shape: [0], bytes: [])
        checkpoint.tensors["c"] = try Tensor(dtype: .u8, shape: [25], bytes: (0..<25).map { UInt8($0 + 2) })
        let plan = try QPackPlan(checkpoint, digests: nil)
        var expected = [UInt8](repeating: 0, count: plan.fileSize)
        for (section, tensor) in plan.sections {
            expected.replaceSubrange(plan.index.dataStart + section.offset ..< plan.index.dataStart + section.offset + section.length, with: tensor.bytes)
        }
        for width in [1, 7, 64, plan.fileSize] {
            var assembled = [UInt8](repeating: 0, count: plan.fileSize)
            for start in stride(from: 0, to: plan.fileSize, by: width) {
                let range = start ..< min(start + width, plan.fileSize)
                assembled[range].withUnsafeMutableBytes { plan.copySections(range, into: $0) }
            }
            #expect(assembled == expected, "cut every \(width) bytes")
        }
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
