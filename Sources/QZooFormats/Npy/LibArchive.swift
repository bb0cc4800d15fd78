#if canImport(Glibc)
import Glibc
#endif
import CArchive

/// Small helpers over libarchive's C API shared by the npz reader and writer.
enum LibArchive {
    static func errorText(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error"
    }

    /// The entry's path as UTF-8, or nil when libarchive could not decode it.
    static func pathname(_ entry: OpaquePointer) -> String? {
        archive_entry_pathname_utf8(entry).map { String(cString: $0) }
    }

    /// Runs `body` with this thread's character type locale set to C.UTF-8.
    ///
    /// libarchive converts zip member names to the current locale's charset, and the process
    /// locale is "C" (ASCII) unless a program calls `setlocale`, so any non-ASCII name would fail
    /// to decode. `uselocale` changes only the calling thread, leaving the rest of the process alone.
    static func withUTF8Locale<R>(_ body: () throws -> R) rethrows -> R {
        guard let utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil) else { return try body() }
        let previous = uselocale(utf8)
        defer {
            uselocale(previous)
            freelocale(utf8)
        }
        return try body()
    }
}
