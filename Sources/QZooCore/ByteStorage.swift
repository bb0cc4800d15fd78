#if canImport(Glibc)
import Glibc
#endif

/// Immutable bytes that tensors view: either a read-only memory map of a file or an owned buffer.
///
/// Tensors read from a file keep a slice of the map, so loading a checkpoint copies nothing until
/// a caller asks for values. The class exists only to own the mapping (and unmap it once); all
/// access is read-only, which is what makes sharing across threads safe.
public final class ByteStorage: @unchecked Sendable {
    public let base: UnsafeRawPointer?
    public let count: Int
    private let ownership: Ownership

    private enum Ownership { case allocated, mapped, none }

    private init(base: UnsafeRawPointer?, count: Int, ownership: Ownership) {
        self.base = base
        self.count = count
        self.ownership = ownership
    }

    deinit {
        guard let base else { return }
        switch ownership {
        case .allocated: UnsafeMutableRawPointer(mutating: base).deallocate()
        case .mapped: _ = munmap(UnsafeMutableRawPointer(mutating: base), count)
        case .none: break
        }
    }

    /// Takes ownership of `bytes` (copied once into an aligned allocation).
    public convenience init(owning bytes: [UInt8]) {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        bytes.withUnsafeBytes { source in
            if let src = source.baseAddress { buffer.copyMemory(from: src, byteCount: bytes.count) }
        }
        self.init(base: UnsafeRawPointer(buffer), count: bytes.count, ownership: .allocated)
    }

    /// Allocates `count` zeroed, 64-byte aligned bytes and lets `fill` write them once.
    public static func make(count: Int, _ fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows -> ByteStorage {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        let view = UnsafeMutableRawBufferPointer(start: buffer, count: count)
        view.initializeMemory(as: UInt8.self, repeating: 0)
        do { try fill(view) } catch {
            buffer.deallocate()
            throw error
        }
        return ByteStorage(base: UnsafeRawPointer(buffer), count: count, ownership: .allocated)
    }

    /// Maps `path` read-only. An empty file maps to an empty storage.
    public static func map(path: String) throws -> ByteStorage {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw QZooError.io("cannot open: \(errnoText())", file: path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw QZooError.io("cannot stat: \(errnoText())", file: path) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw QZooError.io("not a regular file", file: path) }
        let size = Int(info.st_size)
        if size == 0 { return ByteStorage(base: nil, count: 0, ownership: .none) }
        guard let region = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), region != MAP_FAILED else {
            throw QZooError.io("cannot map \(size) bytes: \(errnoText())", file: path)
        }
        return ByteStorage(base: UnsafeRawPointer(region), count: size, ownership: .mapped)
    }

    /// The bytes. Valid only while this storage is alive: Swift may release a local reference
    /// right after its last use, so a caller holding the storage only in a local variable must
    /// use `withBuffer` instead (or otherwise keep a reference past its last use of the bytes).
    public var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// The bytes, valid only inside `body` (the storage is kept alive until it returns).
    public func withBuffer<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(UnsafeRawBufferPointer(start: base, count: count)) }
    }
}

/// The text of the current `errno`.
public func errnoText() -> String {
    String(cString: strerror(errno))
}
