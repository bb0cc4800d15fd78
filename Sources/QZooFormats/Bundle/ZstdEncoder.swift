import CZstd
import QZooCore

/// Streaming zstd compression with the parameters that make bundles reproducible.
///
/// zstd's output depends on its mode: single-threaded (nbWorkers 0) and multithreaded framing
/// differ, but every nbWorkers ≥ 1 gives the same bytes. So the encoder always runs in
/// multithreaded mode (at least one worker): the thread count changes speed, never the output.
/// The frame carries its content checksum, so a damaged frame fails to decode.
///
/// With `longDistance`, a 128 MiB window and long-distance matching find repeats far apart, such
/// as the same dense embedding table in two exports of one bundle. 128 MiB (window log 27) is
/// the largest window the `zstd` CLI (and so `tar --zstd`) decodes without extra flags.
final class ZstdEncoder {
    static let longWindowLog: Int32 = 27

    private let context: OpaquePointer
    private var output: [UInt8]

    init(level: Int, threads: Int, longDistance: Bool = false) throws {
        guard let context = ZSTD_createCCtx() else { throw QZooError.io("zstd could not allocate a compression context") }
        self.context = context
        output = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
        do {
            try set(ZSTD_c_compressionLevel, Int32(level))
            try set(ZSTD_c_nbWorkers, Int32(max(1, threads)))
            try set(ZSTD_c_checksumFlag, 1)
            if longDistance {
                try set(ZSTD_c_enableLongDistanceMatching, 1)
                try set(ZSTD_c_windowLog, Self.longWindowLog)
            }
        } catch {
            ZSTD_freeCCtx(context)
            throw error
        }
    }

    deinit { ZSTD_freeCCtx(context) }

    private func set(_ parameter: ZSTD_cParameter, _ value: Int32) throws {
        let result = ZSTD_CCtx_setParameter(context, parameter, value)
        if ZSTD_isError(result) != 0 {
            throw QZooError(.invalidArgument, "zstd rejected a parameter value \(value): \(String(cString: ZSTD_getErrorName(result)))")
        }
    }

    /// Compresses `input`, handing every produced chunk to `emit`.
    func compress(_ input: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while source.pos < source.size {
            _ = try step(&source, ZSTD_e_continue, emit: emit)
        }
    }

    /// Ends the frame, emitting what the workers still hold.
    func finish(emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var source = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try step(&source, ZSTD_e_end, emit: emit) != 0 {}
    }

    private func step(_ source: inout ZSTD_inBuffer, _ directive: ZSTD_EndDirective,
                      emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        try output.withUnsafeMutableBytes { buffer in
            var target = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
            let remaining = ZSTD_compressStream2(context, &target, &source, directive)
            if ZSTD_isError(remaining) != 0 {
                throw QZooError.io("zstd compression failed: \(String(cString: ZSTD_getErrorName(remaining)))")
            }
            if target.pos > 0 { try emit(UnsafeRawBufferPointer(rebasing: buffer[0 ..< target.pos])) }
            return remaining
        }
    }
}
