import CArchive
import QZooCore

/// Routes a libarchive writer's output through a Swift closure (into a `FileSink`, directly or
/// through a compressor) and keeps the closure's error, which is more precise than libarchive's
/// own message. Shared by the npz and bundle writers.
final class ArchiveOutput {
    private let kind: String
    private let consume: (UnsafeRawBufferPointer) throws -> Void
    private var failure: Error?

    /// `kind` names the archive in libarchive's errors ("zip", "tar").
    init(kind: String, consume: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.kind = kind
        self.consume = consume
    }

    /// Throws when `status` is a libarchive failure.
    func check(_ archive: OpaquePointer, _ status: Int32) throws {
        guard status != ARCHIVE_OK else { return }
        if let failure { throw failure }
        throw QZooError.io("\(kind) writing failed: \(LibArchive.errorText(archive))")
    }

    func open(_ archive: OpaquePointer) -> Int32 {
        let context = Unmanaged.passUnretained(self).toOpaque()
        return archive_write_open2(archive, context, nil, { _, context, buffer, length in
            guard let context else { return -1 }
            return Unmanaged<ArchiveOutput>.fromOpaque(context).takeUnretainedValue().write(buffer, length)
        }, nil, nil)
    }

    /// Writes an entry's data in chunks of at most 1 MiB (libarchive may accept less per call).
    func writeData(_ archive: OpaquePointer, _ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count, let base = bytes.baseAddress {
            let count = archive_write_data(archive, base + done, min(bytes.count - done, 1 << 20))
            guard count > 0 else { return try check(archive, ARCHIVE_FATAL) }
            done += count
        }
    }

    private func write(_ buffer: UnsafeRawPointer?, _ length: Int) -> Int {
        do {
            try consume(UnsafeRawBufferPointer(start: buffer, count: length))
            return length
        } catch {
            failure = error
            return -1
        }
    }
}
