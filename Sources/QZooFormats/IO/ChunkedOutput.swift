#if canImport(Glibc)
import Glibc
#endif
import QZooCore

/// A file `AtomicFile` is writing whose layout is known in advance, written a chunk at a time:
/// chunk `i` holds the file's bytes `i·chunkSize ..< (i+1)·chunkSize` (the last one fewer), and
/// the chunks may be written in any order, from any thread (`FileSink.withChunks`).
///
/// The chunks go straight to the disk (`O_DIRECT`) where the file system takes it, bypassing the
/// page cache. The file is flushed before it is renamed into place anyway, so the page cache
/// only adds work: every byte is first copied into newly allocated cache pages, which the flush
/// then writes out. Where new pages are slow (a virtual machine whose host backs memory on
/// first touch) that copy dominated: MiniLM's 51 MB 2-bit qpack took 55–60 ms to copy into a
/// mapping and 20–35 ms to flush, against 16 ms written directly, flush included. A direct write
/// needs its memory, its offset and its length aligned to the disk's block, so each chunk is
/// assembled in an aligned buffer, zero-padded to a whole block; the padding past the end of
/// the file is cut off after the last write. A file system that refuses direct writes gets the
/// same chunks through the page cache.
public struct ChunkedOutput: @unchecked Sendable {
    /// The bytes of one chunk: a multiple of every disk block size, so that every chunk starts
    /// on a block boundary, and large enough that a write call's cost is small beside its copy.
    public static let chunkSize = 2 << 20

    /// The alignment of a direct write's memory, offset and length: 4 KiB, the largest logical
    /// block size of common disks (a disk with a larger one refuses the write, and the chunk
    /// goes through the page cache instead: `pwriteFully`).
    static let blockSize = 4096

    let fd: Int32
    let path: String
    public let size: Int
    let progress: ProgressReporter?

    public var chunkCount: Int { Self.chunks(holding: size) }

    /// How many chunks the file's first `bytes` bytes take.
    public static func chunks(holding bytes: Int) -> Int { (bytes + chunkSize - 1) / chunkSize }

    /// The bytes of the file that chunk `index` holds.
    func range(ofChunk index: Int) -> Range<Int> {
        index * Self.chunkSize ..< min((index + 1) * Self.chunkSize, size)
    }

    /// Writes chunk `index`: `fill` copies the chunk's bytes into a zeroed buffer that holds the
    /// file's bytes `range` (`place` copies a run of bytes to its offset in it). A chunk index
    /// outside the file is a programming error in the caller, reported rather than written.
    public func write(chunk index: Int, _ fill: (_ range: Range<Int>, _ buffer: UnsafeMutableRawBufferPointer) throws -> Void) throws {
        guard (0..<chunkCount).contains(index) else {
            throw QZooError(.invalidArgument, "cannot write chunk \(index) of a \(size)-byte file (\(chunkCount) chunks)", file: path)
        }
        let range = self.range(ofChunk: index)
        let padded = (range.count + Self.blockSize - 1) / Self.blockSize * Self.blockSize
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: padded, alignment: Self.blockSize)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        try fill(range, UnsafeMutableRawBufferPointer(rebasing: buffer[0 ..< range.count]))
        try pwriteFully(UnsafeRawBufferPointer(buffer), at: range.lowerBound)
        progress?.advance(by: range.count)
    }

    /// Copies the part of `bytes`, which belong at file offset `offset`, that falls within
    /// `range` into `buffer`, which holds the file's bytes `range`.
    public static func place(_ bytes: UnsafeRawBufferPointer, at offset: Int, in range: Range<Int>, _ buffer: UnsafeMutableRawBufferPointer) {
        let overlap = range.clamped(to: offset ..< offset + bytes.count)
        guard !overlap.isEmpty, let source = bytes.baseAddress, let target = buffer.baseAddress else { return }
        (target + (overlap.lowerBound - range.lowerBound)).copyMemory(from: source + (overlap.lowerBound - offset), byteCount: overlap.count)
    }

    /// Writes all of `bytes` at `offset`, retrying short writes and EINTR. A direct write the
    /// file system refuses (EINVAL: it wants a larger alignment) switches the file to the page
    /// cache and is tried again there.
    private func pwriteFully(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < bytes.count, let base = bytes.baseAddress {
            let n = pwrite(fd, base + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR || (errno == EINVAL && Self.setDirect(fd, false)) { continue }
                throw QZooError.io("write failed: \(errnoText())", file: path)
            }
            done += n
        }
    }

    /// Turns direct writes on `fd` on or off; whether the flag changed.
    static func setDirect(_ fd: Int32, _ direct: Bool) -> Bool {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, (flags & __O_DIRECT != 0) != direct else { return false }
        return fcntl(fd, F_SETFL, direct ? flags | __O_DIRECT : flags & ~__O_DIRECT) == 0
    }
}
