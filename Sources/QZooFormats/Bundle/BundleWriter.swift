#if canImport(Glibc)
import Glibc
#endif
import CArchive
import Crypto
import QZooCore

/// How a bundle is compressed. The level changes the bytes; the thread count never does (see
/// `ZstdEncoder`), so bundles built on machines with different core counts are identical.
public struct BundleOptions: Sendable, Equatable {
    public static let levels = 1...22
    public var level: Int
    public var threads: Int
    /// Long-distance matching over a 128 MiB window (see `ZstdEncoder`).
    public var longDistance: Bool

    public init(level: Int = 10, threads: Int = BundleOptions.availableCores, longDistance: Bool = true) {
        self.level = level
        self.threads = threads
        self.longDistance = longDistance
    }

    public static var availableCores: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}

/// A file to put in a bundle: its member path and where its bytes come from.
public struct BundleInput: Sendable {
    public enum Source: Sendable {
        case file(String)
        case bytes([UInt8])
    }

    public var path: String
    public var source: Source

    public init(path: String, source: Source) {
        self.path = path
        self.source = source
    }
}

/// Writes a `.tar.zst` bundle (formats/bundle.md): a restricted-pax tar of `manifest.json` and
/// the inputs, sorted by path, every entry a regular file with mode 0644, mtime 0 and uid/gid 0,
/// compressed as one zstd frame, then sealed. The same inputs give the same bytes.
public enum BundleWriter {
    /// Hashes the inputs, writes the bundle to `path` atomically and returns its manifest.
    @discardableResult
    public static func write(_ inputs: [BundleInput], body: [(key: String, value: JSONValue)], to path: String,
                             options: BundleOptions = BundleOptions(), overwrite: Bool = false) throws -> BundleManifest {
        guard BundleOptions.levels.contains(options.level) else {
            throw QZooError(.invalidArgument, "zstd level must be \(BundleOptions.levels.lowerBound)...\(BundleOptions.levels.upperBound), got \(options.level)", file: path)
        }
        let members = try inputs.map { try describe($0, bundle: path) }
        var manifest = BundleManifest(members: members.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }, body: body)
        manifest.members = try checkedMembers(manifest.members, bundle: path)
        let manifestInput = BundleInput(path: BundleManifest.fileName, source: .bytes(Array(manifest.json().utf8)))
        let ordered = (inputs + [manifestInput]).sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        try AtomicFile.write(to: path, overwrite: overwrite) { sink in
            try withUnsafeMutablePointer(to: &sink) { sinkPointer in
                let output = try BundleOutput(sink: sinkPointer, options: options)
                try writeArchive(ordered, output: ArchiveOutput(kind: "tar") { try output.compress($0) })
                try output.finish()
            }
        }
        return manifest
    }

    static func checkedMembers(_ members: [BundleMember], bundle path: String) throws -> [BundleMember] {
        for (index, member) in members.enumerated() {
            try BundlePath.validate(member.path, file: path)
            if member.path == BundleManifest.fileName {
                throw QZooError(.invalidArgument, "'\(BundleManifest.fileName)' is written by qzoo; an input cannot use that name", file: path)
            }
            if index > 0 && members[index - 1].path == member.path {
                throw QZooError(.invalidArgument, "two inputs share the member path '\(member.path)'", file: path)
            }
        }
        return members
    }

    static func describe(_ input: BundleInput, bundle path: String) throws -> BundleMember {
        try withBytes(input) { bytes in
            BundleMember(path: input.path, sha256: SHA256Digest.hex(bytes), size: bytes.count)
        }
    }

    /// Runs `body` over an input's bytes (files are memory-mapped, not copied).
    static func withBytes<R>(_ input: BundleInput, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        switch input.source {
        case .bytes(let bytes): return try bytes.withUnsafeBytes(body)
        case .file(let file): return try ByteStorage.map(path: file).withBuffer(body)
        }
    }

    static func writeArchive(_ inputs: [BundleInput], output: ArchiveOutput) throws {
        guard let archive = archive_write_new() else { throw QZooError.io("libarchive could not allocate a writer") }
        defer { archive_write_free(archive) }
        var status = archive_write_set_format_pax_restricted(archive)
        if status == ARCHIVE_OK { status = archive_write_set_bytes_in_last_block(archive, 1) }
        if status == ARCHIVE_OK { status = output.open(archive) }
        try output.check(archive, status)
        for input in inputs {
            try withBytes(input) { try writeEntry(archive, path: input.path, bytes: $0, output: output) }
        }
        try output.check(archive, archive_write_close(archive))
    }

    static func writeEntry(_ archive: OpaquePointer, path: String, bytes: UnsafeRawBufferPointer, output: ArchiveOutput) throws {
        guard let entry = archive_entry_new() else { throw QZooError.io("libarchive could not allocate an entry") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, path)
        archive_entry_set_filetype(entry, qzoo_AE_IFREG)
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_size(entry, Int64(bytes.count))
        archive_entry_set_mtime(entry, 0, 0)
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        try output.check(archive, archive_write_header(archive, entry))
        try output.writeData(archive, bytes)
    }
}

/// libarchive's output, compressed and hashed on its way into a `FileSink`; `finish` ends the
/// zstd frame and appends the seal.
final class BundleOutput {
    private let sink: UnsafeMutablePointer<FileSink>
    private let encoder: ZstdEncoder
    private var hasher = SHA256()

    init(sink: UnsafeMutablePointer<FileSink>, options: BundleOptions) throws {
        self.sink = sink
        encoder = try ZstdEncoder(level: options.level, threads: options.threads, longDistance: options.longDistance)
    }

    /// Takes the tar stream libarchive writes.
    func compress(_ bytes: UnsafeRawBufferPointer) throws {
        try encoder.compress(bytes) { try emit($0) }
    }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bufferPointer: bytes)
        try sink.pointee.write(bytes)
    }

    func finish() throws {
        try encoder.finish { try emit($0) }
        try sink.pointee.write(BundleSeal.bytes(digest: hasher.finalize()))
    }
}
