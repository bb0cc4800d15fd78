import QZooCore

/// The member names a bundle may hold: relative, `/`-separated paths with no empty, `.` or `..`
/// component and no control characters, so extracting one can never leave the target directory.
/// The writer and the extractor apply the same rule.
public enum BundlePath {
    public static let maxLength = 1024

    public static func validate(_ name: String, file path: String) throws {
        guard let problem = problem(with: name) else { return }
        throw QZooError.malformed("member '\(name)': \(problem)", file: path)
    }

    static func problem(with name: String) -> String? {
        if name.isEmpty { return "empty path" }
        if name.utf8.count > maxLength { return "path longer than \(maxLength) bytes" }
        if name.hasPrefix("/") { return "absolute path" }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" }) {
            return "control character or backslash in the path"
        }
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains("..") { return "path climbs out of the bundle ('..')" }
        if components.contains(where: { $0.isEmpty || $0 == "." }) { return "empty or '.' path component" }
        return nil
    }
}
