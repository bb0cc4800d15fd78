#if canImport(Glibc)
import Glibc
#endif

/// Progress for long work, on stderr: a self-rewriting line on a terminal, a few plain lines
/// otherwise (so logs stay readable). Small jobs print nothing: a bar that flashes for 10 ms is noise.
public final class ProgressReporter: @unchecked Sendable {
    /// The reporter that low-level writers (which know bytes, not the job) advance. Set around a
    /// job with `ProgressReporter.$current.withValue(reporter) { ... }`, so progress needs no
    /// parameter threaded through every format's writer.
    @TaskLocal public static var current: ProgressReporter?

    private let label: String
    private let total: Int
    private let interactive: Bool
    private let enabled: Bool
    private var done = 0
    private var lastPercent = -1
    private let lock = PthreadMutex()

    /// `total` is in bytes; reporting starts only for totals of at least `threshold` bytes.
    public init(label: String, total: Int, threshold: Int = 64 << 20) {
        self.label = label
        self.total = max(total, 1)
        self.interactive = isatty(2) == 1
        self.enabled = total >= threshold
    }

    public func advance(by bytes: Int) {
        guard enabled else { return }
        lock.locked {
            done += bytes
            let percent = min(100, done * 100 / total)
            let step = interactive ? 1 : 25
            guard percent / step != lastPercent / step else { return }
            lastPercent = percent
            let text = "\(label): \(percent)% (\(ByteCountText.format(done)) of \(ByteCountText.format(total)))"
            emit(interactive ? "\r\u{1B}[K" + text : text + "\n")
        }
    }

    public func finish() {
        guard enabled, interactive else { return }
        emit("\n")
    }

    private func emit(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }
}

/// A minimal pthread mutex, so Core needs no Foundation.
public final class PthreadMutex: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    public init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    public func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}

/// Human-readable byte counts (binary units).
public enum ByteCountText {
    public static func format(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        if unit == 0 { return "\(bytes) B" }
        return String(format1: value) + " " + units[unit]
    }
}

extension String {
    /// `value` with one decimal, without Foundation's formatter.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}
