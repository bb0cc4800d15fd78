#if canImport(Glibc)
import Glibc
#endif
import QZooFormats

/// A fresh directory under /tmp, removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/qzoo-test-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestFailure("mkdtemp failed")
        }
        path = String(cString: made)
    }

    deinit { AtomicFile.removeTree(path) }

    /// Runs `body` with a fresh directory that lives until `body` returns.
    static func use<R>(_ body: (String) throws -> R) throws -> R {
        let directory = try TemporaryDirectory()
        return try withExtendedLifetime(directory) { try body(directory.path) }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
