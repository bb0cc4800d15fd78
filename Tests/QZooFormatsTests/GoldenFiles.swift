import QZooCore
import QZooTestSupport

/// Golden files under `formats/vectors/`, made by reference tools with the scripts committed
/// next to them.
enum GoldenFiles {
    /// The repository root: three levels above this file (`<root>/Tests/QZooFormatsTests/<file>`).
    static let root: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    static func path(_ relative: String) -> String { root + "/formats/vectors/" + relative }

    static func json(_ relative: String) throws -> JSONValue {
        try JSONParser.parse(try TestFiles.read(path(relative)))
    }
}

/// The bytes a hex string spells (two lowercase or uppercase digits per byte).
func bytes(hex text: String) throws -> [UInt8] {
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0 else { throw TestFailure("odd-length hex string") }
    return try stride(from: 0, to: digits.count, by: 2).map { start in
        guard let byte = UInt8(String(decoding: digits[start..<start + 2], as: UTF8.self), radix: 16) else {
            throw TestFailure("bad hex digits at \(start)")
        }
        return byte
    }
}
