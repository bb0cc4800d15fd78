import QZooCore

/// Golden vectors under `formats/vectors/`, made by reference tools (numpy, ml_dtypes, onnx)
/// with the scripts committed next to them.
enum GoldenVectors {
    /// The repository root: three levels above this file (`<root>/Tests/QZooCoreTests/<file>`).
    static let root: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    /// A raw little-endian array file under `formats/vectors/`, as integers.
    static func load<T: FixedWidthInteger>(_ relative: String, as type: T.Type) throws -> [T] {
        let path = root + "/formats/vectors/" + relative
        let storage = try ByteStorage.map(path: path)
        let size = MemoryLayout<T>.size
        guard storage.count % size == 0 else {
            throw QZooError.malformed("\(storage.count) bytes is not a whole number of \(size)-byte elements", file: path)
        }
        return storage.withBuffer { buffer in (0..<(storage.count / size)).map { T(littleEndian: buffer.loadUnaligned(fromByteOffset: $0 * size, as: T.self)) }
        }
    }
}

/// Disagreements with a golden file, collected so a test over thousands of cases reports one
/// failure with a count and the first few examples instead of thousands of failures.
struct Mismatches: CustomStringConvertible {
    private(set) var count = 0
    private var examples: [String] = []

    mutating func check(_ agrees: Bool, _ example: @autoclosure () -> String) {
        guard !agrees else { return }
        count += 1
        if examples.count < 8 { examples.append(example()) }
    }

    var isEmpty: Bool { count == 0 }
    var description: String { "\(count) mismatches, e.g. " + examples.joined(separator: "; ") }
}

func hex<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16) }
