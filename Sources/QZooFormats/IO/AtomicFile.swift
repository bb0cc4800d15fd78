#if canImport(Glibc)
import Glibc
#endif
import QZooCore

/// Writes files and directories so that readers see either the old state or the complete new
/// one: content goes to a temporary sibling (same file system), is flushed, then renamed into place.
/// A failure removes the temporary and leaves the destination untouched.
public enum AtomicFile {
    /// Writes `path` through `body`; refuses to replace an existing path unless `overwrite`.
    public static func write(to path: String, overwrite: Bool, _ body: (inout FileSink) throws -> Void) throws {
        try checkDestination(path, overwrite: overwrite)
        let directory = parentDirectory(of: path)
        var fd: Int32 = -1
        guard let temporary = fillTemplate("\(directory)/.qzoo-tmp-", { fd = mkstemp($0); return fd >= 0 }) else {
            throw QZooError.io("cannot create a temporary file in \(directory): \(errnoText())", file: path)
        }
        do {
            var sink = FileSink(fd: fd, path: path)
            try body(&sink)
            try sink.flush()
            _ = fchmod(fd, 0o644)
            guard fsync(fd) == 0 else { throw QZooError.io("cannot flush: \(errnoText())", file: path) }
            close(fd)
            guard rename(temporary, path) == 0 else { throw QZooError.io("cannot rename into place: \(errnoText())", file: path) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
    }

    /// Builds a directory at `path`: `body` fills a temporary sibling directory, which then
    /// replaces `path` (an existing one only when `overwrite`).
    public static func writeDirectory(at path: String, overwrite: Bool, _ body: (String) throws -> Void) throws {
        try checkDestination(path, overwrite: overwrite)
        let directory = parentDirectory(of: path)
        guard let temporary = fillTemplate("\(directory)/.qzoo-tmpdir-", { mkdtemp($0) != nil }) else {
            throw QZooError.io("cannot create a temporary directory in \(directory): \(errnoText())", file: path)
        }
        do {
            _ = chmod(temporary, 0o755)
            try body(temporary)
            try replace(path, with: temporary)
        } catch {
            removeTree(temporary)
            throw error
        }
    }

    /// Runs `create` (mkstemp or mkdtemp) on `prefix` + "XXXXXX" and returns the name it made,
    /// or nil when it failed.
    static func fillTemplate(_ prefix: String, _ create: (UnsafeMutablePointer<CChar>) -> Bool) -> String? {
        var template = Array((prefix + "XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map(create) ?? false }
        guard made else { return nil }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Moves `temporary` to `path`, first moving an existing `path` aside and deleting it after.
    static func replace(_ path: String, with temporary: String) throws {
        var info = stat()
        if lstat(path, &info) == 0 {
            let aside = temporary + ".old"
            guard rename(path, aside) == 0 else { throw QZooError.io("cannot replace: \(errnoText())", file: path) }
            guard rename(temporary, path) == 0 else {
                _ = rename(aside, path)
                throw QZooError.io("cannot rename into place: \(errnoText())", file: path)
            }
            removeTree(aside)
        } else {
            guard rename(temporary, path) == 0 else { throw QZooError.io("cannot rename into place: \(errnoText())", file: path) }
        }
    }

    /// Fails as `write` would on `path` (exists without `overwrite`, or no such directory):
    /// commands call it before long work, so a wrong output path costs nothing.
    public static func checkDestination(_ path: String, overwrite: Bool) throws {
        var info = stat()
        if lstat(path, &info) == 0 && !overwrite {
            throw QZooError(.invalidArgument, "already exists; pass --force to replace it", file: path)
        }
        let directory = parentDirectory(of: path)
        guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw QZooError.io("output directory \(directory) does not exist", file: path)
        }
    }

    public static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    /// Removes a file or a directory tree (used only on qzoo's own temporaries).
    public static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR, let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." { removeTree(path + "/" + name) }
            }
            closedir(dir)
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}

/// A buffered writer over a file descriptor.
public struct FileSink {
    let fd: Int32
    let path: String
    private var buffer: [UInt8] = []
    private static let capacity = 1 << 20
    public private(set) var bytesWritten = 0

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        buffer.reserveCapacity(Self.capacity)
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        bytesWritten += bytes.count
        ProgressReporter.current?.advance(by: bytes.count)
        if buffer.count + bytes.count <= Self.capacity {
            buffer.append(contentsOf: bytes)
            return
        }
        try flush()
        if bytes.count >= Self.capacity {
            try writeFully(fd, bytes, path: path)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    public mutating func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Runs `body` with the file as `ChunkedOutput` (written straight to the disk where the file
    /// system allows), for a format whose parts are laid out in advance and may be written in
    /// any order, from any thread; afterwards the file is cut to `size` bytes. It bypasses the
    /// buffer: use one or the other for a file, not both.
    public func withChunks<R>(size: Int, _ body: (ChunkedOutput) throws -> R) throws -> R {
        _ = ChunkedOutput.setDirect(fd, true)
        let result = try body(ChunkedOutput(fd: fd, path: path, size: size, progress: ProgressReporter.current))
        guard ftruncate(fd, off_t(size)) == 0 else { throw QZooError.io("cannot set the length to \(size) bytes: \(errnoText())", file: path) }
        return result
    }

    mutating func flush() throws {
        try buffer.withUnsafeBytes { try writeFully(fd, $0, path: path) }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Writes all of `bytes` to `fd` at its current position, retrying short writes and EINTR;
/// errors name `path`.
func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
    var done = 0
    while done < bytes.count, let base = bytes.baseAddress {
        let n = Glibc.write(fd, base + done, bytes.count - done)
        if n < 0 {
            if errno == EINTR { continue }
            throw QZooError.io("write failed: \(errnoText())", file: path)
        }
        done += n
    }
}
