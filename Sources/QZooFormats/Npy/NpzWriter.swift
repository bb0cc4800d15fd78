import CArchive
import QZooCore

/// Writes an `.npz` with libarchive: one stored (uncompressed) `name.npy` member per tensor, as
/// `np.savez` does, in checkpoint order (the order the reader returns, so a round trip keeps it).
///
/// Output is deterministic: every member gets mode 0644, uid/gid 0 and mtime 0. libarchive
/// converts mtime to the zip's DOS date in the local time zone but clamps dates before 1980 to
/// the DOS epoch, so mtime 0 becomes 1980-01-01 00:00 in every time zone (a 1980 mtime would not:
/// east of UTC it converts to a later hour). Zip64 records are added by libarchive only when a
/// member or the archive needs them (over 4 GiB). The archive goes through `AtomicFile`.
enum NpzWriter {
    static func write(_ checkpoint: Checkpoint, to path: String, overwrite: Bool) throws {
        let members = try checkpoint.tensors.map { (member: try NpyMemberPath.path(forTensor: $0.key), tensor: $0.value) }
        try AtomicFile.write(to: path, overwrite: overwrite) { sink in
            try withUnsafeMutablePointer(to: &sink) { sinkPointer in
                let output = ArchiveOutput(kind: "zip") { try sinkPointer.pointee.write($0) }
                guard let archive = archive_write_new() else { throw QZooError.io("libarchive could not allocate a writer") }
                defer { archive_write_free(archive) }
                try output.check(archive, configure(archive, output: output))
                for (member, tensor) in members {
                    try writeMember(archive, member: member, tensor: tensor, output: output)
                }
                try output.check(archive, archive_write_close(archive))
            }
        }
    }

    static func configure(_ archive: OpaquePointer, output: ArchiveOutput) -> Int32 {
        var status = archive_write_set_format_zip(archive)
        if status == ARCHIVE_OK { status = archive_write_set_options(archive, "zip:compression=store,zip:hdrcharset=UTF-8") }
        if status == ARCHIVE_OK { status = archive_write_set_bytes_per_block(archive, 0) }
        if status == ARCHIVE_OK { status = output.open(archive) }
        return status
    }

    static func writeMember(_ archive: OpaquePointer, member: String, tensor: Tensor, output: ArchiveOutput) throws {
        let header = NpyHeaderEncoder.header(dtype: tensor.dtype, shape: tensor.shape)
        guard let entry = archive_entry_new() else { throw QZooError.io("libarchive could not allocate an entry") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, member)
        archive_entry_set_filetype(entry, qzoo_AE_IFREG)
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_size(entry, Int64(header.count + tensor.byteCount))
        archive_entry_set_mtime(entry, 0, 0)
        try output.check(archive, archive_write_header(archive, entry))
        try header.withUnsafeBytes { try output.writeData(archive, $0) }
        try tensor.withBytes { try output.writeData(archive, $0) }
    }
}
