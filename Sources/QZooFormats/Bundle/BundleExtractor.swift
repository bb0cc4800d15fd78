#if canImport(Glibc)
import Glibc
#endif
import QZooCore

/// Extracts a bundle into a new directory, all or nothing: members go into a temporary sibling
/// directory, which becomes `directory` only after every member was written and the whole bundle
/// verified (seal, frame, manifest checksums). Unsafe entries are refused before anything of
/// theirs is written (see `BundleReader`); files are created with O_EXCL | O_NOFOLLOW inside the
/// temporary directory, so nothing can be written through a link.
public enum BundleExtractor {
    public static func extract(path: String, to directory: String, limits: BundleLimits = BundleLimits(),
                               overwrite: Bool = false) throws -> BundleVerification {
        var verification: BundleVerification?
        try AtomicFile.writeDirectory(at: directory, overwrite: overwrite) { temporary in
            var manifestBytes: [UInt8] = []
            var open: OutputFile?
            let reader = BundleReader(path: path, limits: limits)
            let members = try reader.scan { name, size in
                try open?.close()
                let file = try OutputFile(root: temporary, member: name, bundle: path)
                open = file
                if name == BundleManifest.fileName {
                    guard size <= limits.maxManifestSize else {
                        throw QZooError(.limitExceeded, "manifest.json declares \(size) bytes, over the \(limits.maxManifestSize)-byte limit", file: path)
                    }
                    return { bytes in manifestBytes.append(contentsOf: bytes); try file.write(bytes) }
                }
                return { try file.write($0) }
            }
            try open?.close()
            let manifest = try BundleManifest.parse(manifestBytes, file: path)
            try BundleVerifier.compare(manifest: manifest, found: members.filter { $0.path != BundleManifest.fileName }, file: path)
            verification = BundleVerification(manifest: manifest, members: members)
        }
        guard let verification else { throw QZooError.io("extraction produced no result", file: path) }
        return verification
    }
}

/// One member being written inside the extraction directory.
final class OutputFile {
    private let fd: Int32
    private let path: String
    private var closed = false

    init(root: String, member: String, bundle: String) throws {
        let components = member.split(separator: "/").map(String.init)
        var directory = root
        for component in components.dropLast() {
            directory += "/" + component
            if mkdir(directory, 0o755) != 0 && errno != EEXIST {
                throw QZooError.io("cannot create directory for '\(member)': \(errnoText())", file: bundle)
            }
            var info = stat()
            guard lstat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                throw QZooError.malformed("member '\(member)' needs '\(component)' to be a directory", file: bundle)
            }
        }
        path = root + "/" + member
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw QZooError.io("cannot create '\(member)': \(errnoText())", file: bundle) }
    }

    deinit { if !closed { Glibc.close(fd) } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try writeFully(fd, bytes, path: path)
    }

    func close() throws {
        guard !closed else { return }
        closed = true
        guard fsync(fd) == 0, Glibc.close(fd) == 0 else { throw QZooError.io("cannot flush: \(errnoText())", file: path) }
    }
}
