#if canImport(Glibc)
import Glibc
#endif
import CArchive
import Crypto
import QZooCore

/// Walks a bundle's members once, streaming: checks the seal, decompresses, and hands each
/// member's bytes to a consumer while hashing them. Refuses, before reading its data, any entry a
/// qzoo bundle cannot hold: a link, a device, a directory or other non-regular file, an unsafe or
/// repeated path, or a size over the limits.
struct BundleReader {
    /// Receives one member's bytes in order.
    typealias Consumer = (UnsafeRawBufferPointer) throws -> Void

    let path: String
    let limits: BundleLimits

    /// Calls `consumer(path, size)` for each member and feeds the member's bytes to the consumer
    /// it returns (nil: only hash it). Returns the members as found, with their actual digests.
    func scan(_ consumer: (String, Int) throws -> Consumer?) throws -> [BundleMember] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw QZooError.io("cannot open: \(errnoText())", file: path) }
        defer { close(fd) }
        let compressedSize = try checkSeal()
        let input = ArchiveInput(decoder: try ZstdDecoder(fd: fd, path: path, compressedSize: compressedSize))
        guard let archive = archive_read_new() else { throw QZooError.io("libarchive could not allocate a reader", file: path) }
        defer { archive_read_free(archive) }
        try input.check(archive, archive_read_support_format_tar(archive), file: path)
        try input.check(archive, input.open(archive), file: path)
        let members = try LibArchive.withUTF8Locale { try readEntries(archive, input: input, consumer) }
        try input.drainPadding(file: path)
        return members
    }

    /// Verifies the seal over the whole file and returns the size of the zstd frame before it.
    func checkSeal() throws -> Int {
        let storage = try ByteStorage.map(path: path)
        return try storage.withBuffer { bytes in
            guard bytes.count > BundleSeal.byteCount else {
                throw QZooError.malformed("\(bytes.count) bytes is too short for a bundle", file: path)
            }
            let frameSize = bytes.count - BundleSeal.byteCount
            var hasher = SHA256()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: bytes[0 ..< frameSize]))
            try BundleSeal.check(Array(bytes[frameSize...]), digest: hasher.finalize(), file: path)
            return frameSize
        }
    }

    private func readEntries(_ archive: OpaquePointer, input: ArchiveInput, _ consumer: (String, Int) throws -> Consumer?) throws -> [BundleMember] {
        var members: [BundleMember] = []
        var seen: Set<String> = []
        var total = 0
        var entry: OpaquePointer?
        while true {
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { return members }
            try input.check(archive, status, file: path)
            guard let entry else { throw QZooError.malformed("libarchive returned no entry", file: path) }
            let (name, size) = try checkEntry(entry, seen: seen, index: members.count)
            total += size
            guard total <= limits.maxTotalSize else {
                throw QZooError(.limitExceeded, "members add up to more than the \(limits.maxTotalSize)-byte limit", file: path)
            }
            seen.insert(name)
            let sink = try consumer(name, size)
            members.append(try readData(archive, name: name, size: size, input: input, into: sink))
        }
    }

    /// The entry's path and size, or an error saying why a bundle may not hold it.
    private func checkEntry(_ entry: OpaquePointer, seen: Set<String>, index: Int) throws -> (String, Int) {
        guard let name = LibArchive.pathname(entry) else { throw QZooError.malformed("member \(index) has a path that is not UTF-8", file: path) }
        guard index < limits.maxMembers else { throw QZooError(.limitExceeded, "more than \(limits.maxMembers) members", file: path) }
        try BundlePath.validate(name, file: path)
        if archive_entry_hardlink(entry) != nil || archive_entry_symlink(entry) != nil {
            throw QZooError.malformed("member '\(name)' is a link; a bundle holds regular files only", file: path)
        }
        let type = archive_entry_filetype(entry)
        guard type == qzoo_AE_IFREG else {
            throw QZooError.malformed("member '\(name)' is a \(Self.typeName(type)); a bundle holds regular files only", file: path)
        }
        guard archive_entry_sparse_count(entry) == 0 else { throw QZooError.malformed("member '\(name)' is a sparse file", file: path) }
        guard !seen.contains(name) else { throw QZooError.malformed("member '\(name)' appears twice", file: path) }
        let size = archive_entry_size(entry)
        guard archive_entry_size_is_set(entry) != 0, size >= 0 else { throw QZooError.malformed("member '\(name)' has no size", file: path) }
        guard size <= Int64(limits.maxMemberSize) else {
            throw QZooError(.limitExceeded, "member '\(name)' declares \(size) bytes, over the \(limits.maxMemberSize)-byte member limit", file: path)
        }
        return (name, Int(size))
    }

    static func typeName(_ type: UInt32) -> String {
        switch type {
        case qzoo_AE_IFDIR: return "directory"
        case qzoo_AE_IFLNK: return "symbolic link"
        case qzoo_AE_IFCHR: return "character device"
        case qzoo_AE_IFBLK: return "block device"
        case qzoo_AE_IFIFO: return "named pipe"
        default: return "special file (type \(type))"
        }
    }

    private func readData(_ archive: OpaquePointer, name: String, size: Int, input: ArchiveInput, into sink: Consumer?) throws -> BundleMember {
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var count = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
            if n == 0 { break }
            guard n > 0 else { try input.check(archive, Int32(truncatingIfNeeded: n), file: path); break }
            count += n
            guard count <= size else { throw QZooError.malformed("member '\(name)' holds more than its declared \(size) bytes", file: path) }
            try buffer.withUnsafeBytes { raw in
                let chunk = UnsafeRawBufferPointer(rebasing: raw[0 ..< n])
                hasher.update(bufferPointer: chunk)
                try sink?(chunk)
            }
        }
        guard count == size else { throw QZooError.malformed("member '\(name)' is truncated: \(count) of \(size) bytes", file: path) }
        return BundleMember(path: name, sha256: SHA256Digest.hexString(hasher.finalize()), size: size)
    }
}

/// Feeds libarchive from the zstd decoder and keeps the decoder's error, which says more than
/// libarchive's "truncated" or "damaged".
final class ArchiveInput {
    private let decoder: ZstdDecoder
    private var failure: Error?

    init(decoder: ZstdDecoder) {
        self.decoder = decoder
    }

    func check(_ archive: OpaquePointer, _ status: Int32, file path: String) throws {
        guard status < ARCHIVE_OK else { return }
        if let failure { throw failure }
        throw QZooError.malformed("not a valid tar archive inside the zstd frame: \(LibArchive.errorText(archive))", file: path)
    }

    func open(_ archive: OpaquePointer) -> Int32 {
        let context = Unmanaged.passUnretained(self).toOpaque()
        return archive_read_open(archive, context, nil, { _, context, buffer in
            guard let context, let buffer else { return -1 }
            return Unmanaged<ArchiveInput>.fromOpaque(context).takeUnretainedValue().read(buffer)
        }, nil)
    }

    private func read(_ buffer: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        do {
            let count = try decoder.next()
            buffer.pointee = UnsafeRawPointer(decoder.output.baseAddress)
            return count
        } catch {
            failure = error
            return -1
        }
    }

    /// Decodes what follows the tar's end marker: it must be zero padding, up to the frame's end
    /// (which is where zstd checks its content checksum).
    func drainPadding(file path: String) throws {
        while true {
            let count = try decoder.next()
            if count == 0 { return }
            guard UnsafeRawBufferPointer(rebasing: decoder.output[0 ..< count]).allSatisfy({ $0 == 0 }) else {
                throw QZooError.malformed("data after the tar archive's end marker", file: path)
            }
        }
    }
}
