#if canImport(Glibc)
import Glibc
#endif
import CZstd
import QZooCore

/// Streaming decompression of a file that must hold exactly one zstd frame, optionally followed
/// by qzoo's seal (a skippable frame; see `BundleSeal`), and nothing else.
///
/// Pulls input from the file on demand, so memory stays at two buffers whatever the bundle's size.
final class ZstdDecoder {
    private let context: OpaquePointer
    private let fd: Int32
    private let path: String
    /// Compressed bytes this decoder may read: the file minus the seal.
    private var inputRemaining: Int
    private var input: [UInt8]
    private var inputStart = 0
    private var inputEnd = 0
    /// The decoded chunk `next` returns; a fixed allocation, so libarchive can hold a pointer to it
    /// until the next call.
    let output: UnsafeMutableRawBufferPointer
    private var frameDone = false
    /// Whether the last step filled `output`: the decoder may hold more without new input.
    private var outputWasFull = false

    init(fd: Int32, path: String, compressedSize: Int) throws {
        guard let context = ZSTD_createDCtx() else { throw QZooError.io("zstd could not allocate a decompression context", file: path) }
        self.context = context
        self.fd = fd
        self.path = path
        inputRemaining = compressedSize
        input = [UInt8](repeating: 0, count: ZSTD_DStreamInSize())
        output = .allocate(byteCount: ZSTD_DStreamOutSize(), alignment: 16)
    }

    deinit {
        ZSTD_freeDCtx(context)
        output.deallocate()
    }

    /// Decompresses the next chunk into `output`; returns its length, 0 once the frame has ended.
    func next() throws -> Int {
        while !frameDone {
            if inputStart == inputEnd && !outputWasFull { try refill() }
            let produced = try decodeStep()
            outputWasFull = produced == output.count
            if produced > 0 { return produced }
        }
        guard inputStart == inputEnd, inputRemaining == 0 else {
            throw QZooError.malformed("data after the end of the zstd frame", file: path)
        }
        return 0
    }

    private func refill() throws {
        guard inputRemaining > 0 else { throw QZooError.malformed("the zstd frame is truncated", file: path) }
        let wanted = min(input.count, inputRemaining)
        let count = input.withUnsafeMutableBytes { read(fd, $0.baseAddress, wanted) }
        guard count > 0 else { throw QZooError.io("cannot read: \(count < 0 ? errnoText() : "unexpected end of file")", file: path) }
        inputStart = 0
        inputEnd = count
        inputRemaining -= count
    }

    private func decodeStep() throws -> Int {
        try input.withUnsafeBytes { source in
            var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: inputEnd, pos: inputStart)
            var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            let result = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
            if ZSTD_isError(result) != 0 {
                throw QZooError.malformed("zstd data is damaged: \(String(cString: ZSTD_getErrorName(result)))", file: path)
            }
            inputStart = inBuffer.pos
            if result == 0 { frameDone = true }
            return outBuffer.pos
        }
    }
}
