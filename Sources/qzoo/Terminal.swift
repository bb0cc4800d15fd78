import Foundation

/// Output helpers: results go to stdout, diagnostics and progress to stderr.
enum Terminal {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("qzoo: error: \(message)\n".utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    /// Writes `text` to stderr as is (no newline), for progress lines that rewrite themselves.
    static func progress(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static var stderrIsTerminal: Bool { isatty(2) == 1 }
    static var stdoutIsTerminal: Bool { isatty(1) == 1 }
}
