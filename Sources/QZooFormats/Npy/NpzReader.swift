import CArchive
import QZooCore

/// Reads the members of an `.npz` through libarchive's seekable zip reader, which trusts the
/// central directory as numpy's `zipfile` does.
///
/// Every member is checked before its data is read: its name (`NpyMemberPath`), its type (regular
/// files only; directory entries, which `zip -r` adds, carry no data and are skipped; symlinks and
/// other special entries are refused), encryption, and its declared size against `NpzLimits`.
/// The data then goes into a buffer of exactly the declared size, and one more byte of output
/// means the member inflates beyond its declaration, which is refused.
enum NpzReader {
    static func read(path: String, voidDType: DType?, limits: NpzLimits) throws -> Checkpoint {
        if try isEmptyZip(path) { return Checkpoint() }
        return try LibArchive.withUTF8Locale { try readMembers(path: path, voidDType: voidDType, limits: limits) }
    }

    /// Whether `path` is a zip with no members (just the end record, as `np.savez(f)` writes),
    /// which libarchive does not recognise as a zip.
    static func isEmptyZip(_ path: String) throws -> Bool {
        let storage = try ByteStorage.map(path: path)
        return storage.withBuffer { bytes in
            guard bytes.count >= 22, bytes.prefix(4).elementsEqual([0x50, 0x4B, 0x05, 0x06]) else { return false }
            let entries = bytes.loadUnaligned(fromByteOffset: 10, as: UInt16.self).littleEndian
            let commentLength = Int(bytes.loadUnaligned(fromByteOffset: 20, as: UInt16.self).littleEndian)
            return entries == 0 && bytes.count == 22 + commentLength
        }
    }

    static func readMembers(path: String, voidDType: DType?, limits: NpzLimits) throws -> Checkpoint {
        guard let archive = archive_read_new() else { throw QZooError.io("libarchive could not allocate a reader") }
        defer { archive_read_free(archive) }
        archive_read_support_format_zip_seekable(archive)
        guard archive_read_open_filename(archive, path, 1 << 16) == ARCHIVE_OK else {
            throw QZooError.malformed("not a readable zip archive: \(LibArchive.errorText(archive))")
        }
        var checkpoint = Checkpoint()
        var members = 0
        var totalBytes = 0
        while let entry = try nextEntry(archive) {
            members += 1
            guard members <= limits.maxMembers else {
                throw QZooError(.limitExceeded, "archive has more than \(limits.maxMembers) members")
            }
            guard let member = try checkedMember(entry, archive: archive) else { continue }
            let name = try NpyMemberPath.tensorName(forMember: member)
            do {
                let size = try declaredSize(entry, member: member, total: &totalBytes, limits: limits)
                let storage = try readData(archive, size: size)
                try checkpoint.add(name, try NpyArrayDecoder.tensor(from: storage, voidDType: voidDType))
            } catch let error as QZooError {
                throw error.inTensor(name)
            }
        }
        return checkpoint
    }

    /// The next member, or nil at the end of the archive.
    static func nextEntry(_ archive: OpaquePointer) throws -> OpaquePointer? {
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
            throw QZooError.malformed("cannot read the next zip member: \(LibArchive.errorText(archive))")
        }
        return entry
    }

    /// The member's name when it is a regular file to read, nil for a directory entry to skip.
    static func checkedMember(_ entry: OpaquePointer, archive: OpaquePointer) throws -> String? {
        guard let member = LibArchive.pathname(entry) else {
            throw QZooError.malformed("a member name cannot be decoded: \(LibArchive.errorText(archive))")
        }
        let type = UInt32(archive_entry_filetype(entry))
        if type == qzoo_AE_IFDIR { return nil }
        guard type == qzoo_AE_IFREG else {
            throw QZooError.malformed("member '\(member)' is not a regular file (a symlink or special entry); npz members must be .npy arrays")
        }
        guard archive_entry_is_encrypted(entry) == 0 else {
            throw QZooError.unsupported("member '\(member)' is encrypted")
        }
        return member
    }

    /// The member's declared uncompressed size, after adding it to `total` and checking the limits.
    static func declaredSize(_ entry: OpaquePointer, member: String, total: inout Int, limits: NpzLimits) throws -> Int {
        guard archive_entry_size_is_set(entry) != 0 else {
            throw QZooError.malformed("member '\(member)' does not declare its uncompressed size")
        }
        let size = Int(archive_entry_size(entry))
        guard size >= 0, let sum = CheckedMath.add(total, size), sum <= limits.maxTotalBytes else {
            throw QZooError(.limitExceeded, "member '\(member)' declares \(size) bytes, taking the archive past the \(limits.maxTotalBytes)-byte limit on uncompressed data")
        }
        total = sum
        return size
    }

    /// Reads exactly `size` bytes of the current member and checks that nothing follows.
    static func readData(_ archive: OpaquePointer, size: Int) throws -> ByteStorage {
        try ByteStorage.make(count: size) { buffer in
            var filled = 0
            while filled < size, let base = buffer.baseAddress {
                let count = archive_read_data(archive, base + filled, size - filled)
                guard count >= 0 else { throw QZooError.malformed("cannot decompress: \(LibArchive.errorText(archive))") }
                guard count > 0 else { break }
                filled += count
            }
            guard filled == size else {
                throw QZooError.malformed("member holds \(filled) bytes but its header declares \(size)")
            }
            var probe: UInt8 = 0
            let extra = archive_read_data(archive, &probe, 1)
            guard extra <= 0 else {
                throw QZooError(.limitExceeded, "member inflates beyond the \(size) bytes its header declares (a zip bomb or a corrupt archive)")
            }
            guard extra == 0 else { throw QZooError.malformed("cannot decompress: \(LibArchive.errorText(archive))") }
        }
    }
}
