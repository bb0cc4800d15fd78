import QZooCore
import Yams

/// A stage's `with:` map as a pass decodes it: typed, range-checked reads that record the
/// decoded value (defaults included) in canonical form for the cache key, and a final check that
/// every key was read, so a misspelt parameter is an error rather than silently ignored.
public struct PassParameters {
    let entries: [(key: String, keyNode: Node, value: Node)]
    let file: String
    let stage: String
    /// Where the stage starts: missing parameters are reported there.
    let stageLocation: SpecLocation
    private var read: Set<String> = []
    /// Decoded values by name; `JSONWriter` sorts them, so spelling order in the file is irrelevant.
    private(set) var canonical: [(key: String, value: JSONValue)] = []

    init(entries: [(key: String, keyNode: Node, value: Node)], file: String, stage: String, stageLocation: SpecLocation) {
        self.entries = entries
        self.file = file
        self.stage = stage
        self.stageLocation = stageLocation
    }

    private mutating func node(_ key: String) -> Node? {
        read.insert(key)
        return entries.first { $0.key == key }?.value
    }

    /// An error about parameter `key` (for checks that span several parameters), at its line.
    public func error(at key: String, _ message: String) -> QZooError {
        fail(entries.first { $0.key == key }?.keyNode, message)
    }

    private func fail(_ node: Node?, _ message: String) -> QZooError {
        (node.map { SpecLocation(file: file, node: $0) } ?? stageLocation).error(message, stage: stage)
    }

    /// An integer in `range`; `fallback` when absent, an error when absent without one.
    public mutating func int(_ key: String, in range: ClosedRange<Int>, default fallback: Int? = nil) throws -> Int {
        guard let value = try optionalInt(key, in: range) ?? fallback else {
            throw fail(nil, "missing parameter '\(key)' (an integer \(range.lowerBound)...\(range.upperBound))")
        }
        canonical.removeAll { $0.key == key }
        canonical.append((key, .int(value)))
        return value
    }

    public mutating func optionalInt(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let node = node(key) else { return nil }
        guard let value = node.scalar.flatMap({ Int($0.string) }) else {
            throw fail(node, "parameter '\(key)' must be an integer, got '\(node.scalar?.string ?? "a \(kind(node))")'")
        }
        guard range.contains(value) else {
            throw fail(node, "parameter '\(key)' must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
        }
        canonical.append((key, .int(value)))
        return value
    }

    /// A finite number in `range`; `fallback` when absent.
    public mutating func double(_ key: String, in range: ClosedRange<Double>, default fallback: Double) throws -> Double {
        var value = fallback
        if let node = node(key) {
            guard let number = node.scalar.flatMap({ Double($0.string) }), number.isFinite else {
                throw fail(node, "parameter '\(key)' must be a number, got '\(node.scalar?.string ?? "a \(kind(node))")'")
            }
            guard range.contains(number) else {
                throw fail(node, "parameter '\(key)' must be in \(range.lowerBound)...\(range.upperBound), got \(number)")
            }
            value = number
        }
        canonical.append((key, .double(value)))
        return value
    }

    public mutating func bool(_ key: String, default fallback: Bool) throws -> Bool {
        var value = fallback
        if let node = node(key) {
            guard let flag = node.bool, node.scalar?.style == .plain else {
                throw fail(node, "parameter '\(key)' must be true or false, got '\(node.scalar?.string ?? "a \(kind(node))")'")
            }
            value = flag
        }
        canonical.append((key, .bool(value)))
        return value
    }

    /// One of `Choice`'s spellings.
    public mutating func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, default fallback: Choice? = nil) throws -> Choice
    where Choice.RawValue == String {
        let spellings = Choice.allCases.map(\.rawValue).joined(separator: ", ")
        let value: Choice
        if let node = node(key) {
            guard let text = node.scalar?.string, let chosen = Choice(rawValue: text) else {
                throw fail(node, "parameter '\(key)' must be one of \(spellings), got '\(node.scalar?.string ?? "a \(kind(node))")'")
            }
            value = chosen
        } else if let fallback {
            value = fallback
        } else {
            throw fail(nil, "missing parameter '\(key)' (one of \(spellings))")
        }
        canonical.append((key, .string(value.rawValue)))
        return value
    }

    /// Text that `isValid` accepts (it returns nil, or the reason it refuses).
    public mutating func string(_ key: String, default fallback: String?, check isValid: (String) -> String? = { _ in nil }) throws -> String? {
        guard let node = node(key) else {
            if let fallback { canonical.append((key, .string(fallback))) }
            return fallback
        }
        guard let text = node.scalar?.string else { throw fail(node, "parameter '\(key)' must be text, got a \(kind(node))") }
        if let problem = isValid(text) { throw fail(node, "parameter '\(key)': \(problem)") }
        canonical.append((key, .string(text)))
        return text
    }

    /// Throws for the first key no read asked for.
    func checkAllRead(pass: String) throws {
        guard let unknown = entries.first(where: { !read.contains($0.key) }) else { return }
        let list = read.sorted().joined(separator: ", ")
        throw SpecLocation(file: file, node: unknown.keyNode).error(
            "unknown parameter '\(unknown.key)' for pass '\(pass)'" + (list.isEmpty ? " (it takes none)" : "; it takes: \(list)"), stage: stage)
    }

    private func kind(_ node: Node) -> String {
        switch node {
        case .mapping: return "mapping"
        case .sequence: return "list"
        case .scalar: return "scalar"
        case .alias: return "alias"
        }
    }
}

extension PassParameters {
    /// `bias_correction` and `asymmetric_calibration` of a calibrated rounding stage: on by default when
    /// `sequential` (what they need is measured then); asking for either without `sequential`
    /// is an error, since a calibrate stage's statistics carry neither the mean input nor the
    /// float model's input.
    mutating func sequentialCorrections(sequential: Bool) throws -> SequentialCorrections {
        let corrections = SequentialCorrections(biasCorrection: try bool("bias_correction", default: sequential),
                                                asymmetric: try bool("asymmetric_calibration", default: sequential))
        guard !corrections.biasCorrection || sequential else {
            throw error(at: "bias_correction", "bias_correction needs sequential: true (the mean input is measured during sequential calibration)")
        }
        guard !corrections.asymmetric || sequential else {
            throw error(at: "asymmetric_calibration", "asymmetric_calibration needs sequential: true (the float model's input is measured during sequential calibration)")
        }
        return corrections
    }
}
