import Foundation
import QZooCore
import QZooPipeline

/// Shows a run as it happens on stderr. On a terminal: one line per finished stage and a status
/// line, redrawn in place, naming the stages running now. Otherwise: plain lines, one per event,
/// which read well in CI logs and `make` output.
final class RunProgress: RunObserver, @unchecked Sendable {
    private let interactive: Bool
    private let lock = NSLock()
    private var running: [String: Date] = [:]

    init(interactive: Bool) {
        self.interactive = interactive
    }

    func handle(_ event: RunEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .started(let stage, let pass):
            running[stage] = Date()
            if !interactive { emit("  \(stage) (\(pass)): running\n") }
        case .finished(let outcome):
            running[outcome.id] = nil
            emit(line(outcome) + "\n")
        case .wrote(let path, let upToDate):
            emit("  wrote \(path)\(upToDate ? " (up to date)" : "")\n")
        }
        if interactive && !running.isEmpty {
            let now = Date()
            let names = running.sorted { $0.key < $1.key }.map { "\($0.key) \(Int(now.timeIntervalSince($0.value)))s" }
            FileHandle.standardError.write(Data("\u{1B}[2m… running: \(names.joined(separator: ", "))\u{1B}[0m".utf8))
        }
    }

    private func line(_ outcome: StageOutcome) -> String {
        let seconds = outcome.started.flatMap { start in outcome.finished.map { String(format: " in %.1fs", $0 - start) } } ?? ""
        let mark: String
        switch outcome.status {
        case .ran: mark = interactive ? "\u{1B}[32m✓\u{1B}[0m" : "ok"
        case .cached: mark = interactive ? "\u{1B}[36m↺\u{1B}[0m" : "ok"
        case .failed: mark = interactive ? "\u{1B}[31m✗\u{1B}[0m" : "FAILED"
        default: mark = "-"
        }
        let what = outcome.status == .cached ? "cached" : outcome.status.rawValue
        var text = "  \(mark) \(outcome.id) (\(outcome.pass)): \(what)\(seconds)"
        if let error = outcome.error { text += ": \(error.message)" }
        return text
    }

    /// Clears the status line before anything else is printed.
    private func emit(_ text: String) {
        FileHandle.standardError.write(Data(((interactive ? "\r\u{1B}[K" : "") + text).utf8))
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    func summary(_ report: RunReport) {
        let ran = report.stages.filter { $0.status == .ran }.count
        let cached = report.stages.filter { $0.status == .cached }.count
        let verdict = ran == 0 ? "nothing to do, every output was cached" : "\(ran) stage(s) ran, \(cached) cached"
        Terminal.note("\(report.pipeline): \(verdict)")
    }
}
