import Testing
@testable import QZooCore
@testable import QZooFormats

/// The golden `.npy` / `.npz` files made by `formats/vectors/make_npy_vectors.py` (numpy and
/// ml_dtypes), and the tensors they must read as, from the script's `expected.json`.
enum NpyVectors {
    /// `formats/vectors/npy`, found from this source file: the repository root is three levels up.
    static let directory: String = {
        let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3)
        return parts.joined(separator: "/") + "/formats/vectors/npy"
    }()

    static func path(_ name: String) -> String { directory + "/" + name }

    static let expected: JSONValue = {
        do {
            let storage = try ByteStorage.map(path: path("expected.json"))
            return try storage.withBuffer { try JSONParser.parse($0) }
        } catch {
            return .object([])
        }
    }()

    /// An expected tensor and the `--npy-dtype` its file needs.
    struct Entry: CustomTestStringConvertible {
        var name: String
        var tensor: Tensor
        var voidDType: DType?
        var identicalToWriter: Bool
        var testDescription: String { name }
    }

    static func entry(name: String, _ json: JSONValue) throws -> Entry {
        guard let dtypeName = json["dtype"]?.stringValue, let dtype = DType(rawValue: dtypeName),
              let shape = json["shape"]?.arrayValue?.compactMap(\.intValue), let hex = json["hex"]?.stringValue
        else { throw TestFailure("bad expected.json entry for \(name)") }
        let voidDType = json["npy_dtype"]?.stringValue.flatMap { DType(rawValue: $0) }
        let tensor = try Tensor(dtype: dtype, shape: shape, bytes: try bytes(hex: hex))
        return Entry(name: name, tensor: tensor, voidDType: voidDType, identicalToWriter: json["identical_to_writer"]?.boolValue ?? false)
    }

    static let npyEntries: [Entry] = (expected["npy"]?.objectMembers ?? []).compactMap { try? entry(name: $0.key, $0.value) }

    /// File name and expected `QZooError.Code` of every vector qzoo must refuse (read without `--npy-dtype`).
    static let rejected: [(name: String, code: String)] = (expected["rejected"]?.objectMembers ?? []).compactMap { member in
        member.value.stringValue.map { (member.key, $0) }
    }

    static func bytes(hex: String) throws -> [UInt8] {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { throw TestFailure("odd hex length") }
        return try stride(from: 0, to: digits.count, by: 2).map { index in
            guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else {
                throw TestFailure("bad hex")
            }
            return byte
        }
    }

    static func fileBytes(_ path: String) throws -> [UInt8] {
        let storage = try ByteStorage.map(path: path)
        return storage.withBuffer { Array($0) }
    }
}
