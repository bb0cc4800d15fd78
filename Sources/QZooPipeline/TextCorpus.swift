import QZooCore
import QZooFormats
import QZooModels

/// The texts a command or a pass runs on: one per line of a file, or the built-in calibration
/// corpus, with the SHA-256 of the bytes they came from (recorded in outputs as provenance and
/// in cache keys).
public struct TextCorpus: Sendable {
    public let source: String
    public let lines: [String]
    public let sha256: String

    /// The lines of `path` (blank lines skipped), or the built-in corpus when `path` is nil.
    public static func load(_ path: String?) throws -> TextCorpus {
        guard let path else {
            let bytes = DefaultCorpus.bytes
            return bytes.withUnsafeBytes { TextCorpus(source: DefaultCorpus.name, lines: TextLines.parse($0), sha256: SHA256Digest.hex($0)) }
        }
        let input = try ByteStorage.map(path: path).withBuffer { raw in
            TextCorpus(source: path, lines: TextLines.parse(raw), sha256: SHA256Digest.hex(raw))
        }
        guard !input.lines.isEmpty else { throw QZooError(.invalidArgument, "no text: every line is blank", file: path) }
        return input
    }
}
