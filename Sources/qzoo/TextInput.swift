import QZooCore
import QZooFormats
import QZooModels

/// The texts a command runs on: one per line of a file, or the built-in calibration corpus,
/// with the SHA-256 of the bytes they came from (recorded in outputs as provenance).
struct TextInput {
    let source: String
    let lines: [String]
    let sha256: String

    static func load(_ path: String?) throws -> TextInput {
        guard let path else {
            let bytes = DefaultCorpus.bytes
            return bytes.withUnsafeBytes { TextInput(source: DefaultCorpus.name, lines: TextLines.parse($0), sha256: SHA256Digest.hex($0)) }
        }
        let input = try ByteStorage.map(path: path).withBuffer { raw in
            TextInput(source: path, lines: TextLines.parse(raw), sha256: SHA256Digest.hex(raw))
        }
        guard !input.lines.isEmpty else { throw QZooError(.invalidArgument, "no text: every line is blank", file: path) }
        return input
    }
}

/// "embedding: 96/512 sentences" on stderr while a long run goes on: rewritten in place on a
/// terminal, a line per quarter otherwise.
struct SentenceProgress {
    let label: String
    let total: Int
    private var lastQuarter = 0

    init(label: String, total: Int) {
        self.label = label
        self.total = total
    }

    mutating func update(_ done: Int) {
        if Terminal.stderrIsTerminal {
            Terminal.progress("\r\u{1B}[K\(label): \(done)/\(total) sentences" + (done == total ? "\n" : ""))
            return
        }
        let quarter = total > 0 ? done * 4 / total : 4
        guard quarter > lastQuarter else { return }
        lastQuarter = quarter
        Terminal.note("\(label): \(done)/\(total) sentences")
    }
}
