import QZooCore

/// The three files of a QDQ JSON checkpoint, derived from the JSON's path:
/// `NAME.qdq.json`, the weights' raw data `NAME.qdq.bin`, and the dense tensors
/// `NAME.dense.safetensors`, all in one directory and referenced by plain file name.
public struct QDQFileNames: Sendable, Equatable {
    public static let jsonSuffix = ".qdq.json"

    public let directory: String
    /// File name of the raw-data sidecar.
    public let binName: String
    /// File name of the dense companion.
    public let denseName: String

    /// Names for an output path, which must end in `.qdq.json` after a non-empty stem.
    public init(jsonPath: String) throws {
        let fileName = jsonPath.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? jsonPath
        guard fileName.hasSuffix(Self.jsonSuffix), fileName.count > Self.jsonSuffix.count else {
            throw QZooError(.invalidArgument, "a QDQ JSON path must be NAME\(Self.jsonSuffix)", file: jsonPath)
        }
        let stem = String(fileName.dropLast(Self.jsonSuffix.count))
        directory = AtomicFile.parentDirectory(of: jsonPath)
        binName = stem + ".qdq.bin"
        denseName = stem + ".dense.safetensors"
    }

    public func path(of name: String) -> String { directory + "/" + name }

    /// Whether `name` is a plain file name in the JSON's directory (no path separators, not
    /// `.` or `..`), which is all a reference may be: a JSON file must not point elsewhere.
    static func isPlainFileName(_ name: String) -> Bool {
        ShardedSafetensors.isPlainFileName(name)
    }
}
