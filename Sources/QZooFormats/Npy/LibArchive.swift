import CArchive

/// Small helpers over libarchive's C API shared by the npz reader and writer.
enum LibArchive {
    static func errorText(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error"
    }

    /// The entry's path as UTF-8, independent of the process locale (zip names are UTF-8 or
    /// CP437; libarchive converts them).
    static func pathname(_ entry: OpaquePointer) -> String {
        if let utf8 = archive_entry_pathname_utf8(entry) { return String(cString: utf8) }
        return archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
    }
}
