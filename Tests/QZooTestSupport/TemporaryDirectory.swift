#if canImport(Glibc)
import Glibc
#endif
import QZooFormats

/// A fresh directory under /tmp, removed (with its contents) when the value is released.
public final class TemporaryDirectory {
    public let path: String

    public init() throws {
        var template = Array("/tmp/qzoo-test-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw TestFailure("mkdtemp failed")
        }
        path = String(cString: made)
    }

    deinit { AtomicFile.removeTree(path) }

    /// Runs `body` with a fresh directory that lives until `body` returns.
    public static func use<R>(_ body: (String) throws -> R) throws -> R {
        let directory = try TemporaryDirectory()
        return try withExtendedLifetime(directory) { try body(directory.path) }
    }
}

/// A test's own failure (as opposed to an error from the code under test).
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
