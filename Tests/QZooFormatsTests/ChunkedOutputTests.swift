#if canImport(Glibc)
import Glibc
#endif
import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats
import QZooMath

@Suite struct ChunkedOutputTests {
    /// `size` bytes of a pattern that differs from chunk to chunk and from byte to byte.
    static func pattern(_ size: Int) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 11) }
    }

    /// Writes `bytes` through `withChunks`, the chunks in `order` from two threads at once.
    static func write(_ bytes: [UInt8], to path: String, order: [Int]) throws {
        try AtomicFile.write(to: path, overwrite: false) { sink in
            try sink.withChunks(size: bytes.count) { file in
                #expect(order.sorted() == Array(0..<file.chunkCount))
                _ = try parallelMap(count: order.count) { position in
                    try file.write(chunk: order[position]) { range, buffer in
                        #expect(buffer.count == range.count)
                        #expect(buffer.allSatisfy { $0 == 0 })
                        bytes.withUnsafeBytes { ChunkedOutput.place($0, at: 0, in: range, buffer) }
                    }
                }
            }
        }
    }

    /// Chunks written last to first, side by side, with a last chunk that is not a whole disk
    /// block: the file holds every byte at its place and ends at `size`, not at the padding.
    @Test(arguments: [1, 4095, 4097, ChunkedOutput.chunkSize, 2 * ChunkedOutput.chunkSize + 123])
    func chunksInAnyOrderMakeTheFile(size: Int) throws {
        try TemporaryDirectory.use { directory in
            let bytes = Self.pattern(size)
            try Self.write(bytes, to: directory + "/out.bin", order: Array((0..<ChunkedOutput.chunks(holding: size)).reversed()))
            #expect(try TestFiles.read(directory + "/out.bin") == bytes)
        }
    }

    @Test func anEmptyFileHasNoChunks() throws {
        try TemporaryDirectory.use { directory in
            try Self.write([], to: directory + "/empty.bin", order: [])
            var info = stat()
            #expect(stat(directory + "/empty.bin", &info) == 0 && info.st_size == 0)
        }
    }

    @Test func aChunkOutsideTheFileIsAnError() throws {
        try TemporaryDirectory.use { directory in
            let path = directory + "/out.bin"
            expectQZooError(.invalidArgument, containing: "cannot write chunk 1 of a 10-byte file") {
                try AtomicFile.write(to: path, overwrite: false) { sink in
                    try sink.withChunks(size: 10) { file in try file.write(chunk: 1) { _, _ in } }
                }
            }
            var info = stat()
            #expect(stat(path, &info) != 0, "a failed write leaves no file")
        }
    }

    /// `place` copies only the part of a run that falls in the chunk, wherever the two overlap.
    @Test func placeCopiesTheOverlapOnly() {
        let run: [UInt8] = [1, 2, 3, 4, 5]
        for (offset, expected) in [(7, [4, 5, 0, 0]), (10, [1, 2, 3, 4]), (12, [0, 0, 1, 2]), (9, [2, 3, 4, 5]), (5, [0, 0, 0, 0]), (14, [0, 0, 0, 0])] as [(Int, [UInt8])] {
            var chunk: [UInt8] = [0, 0, 0, 0]
            run.withUnsafeBytes { source in
                chunk.withUnsafeMutableBytes { ChunkedOutput.place(source, at: offset, in: 10 ..< 14, $0) }
            }
            #expect(chunk == expected, "run at \(offset)")
        }
    }
}
