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
