import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats

/// The golden `.npy` / `.npz` files made by `formats/vectors/make_npy_vectors.py` (numpy and
/// ml_dtypes), and the tensors they must read as, from the script's `expected.json`.
enum NpyVectors {
    static func path(_ name: String) -> String { GoldenFiles.path("npy/" + name) }

    /// The script's expectations; an unreadable file yields an empty object, which the
    /// `expectedFileListsEveryVector` test turns into a failure.
    static let expected: JSONValue = (try? GoldenFiles.json("npy/expected.json")) ?? .object([])

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
        let tensor = try Tensor(dtype: dtype, shape: shape, bytes: try QZooFormatsTests.bytes(hex: hex))
        return Entry(name: name, tensor: tensor, voidDType: voidDType, identicalToWriter: json["identical_to_writer"]?.boolValue ?? false)
    }

    static let npyEntries: [Entry] = (expected["npy"]?.objectMembers ?? []).compactMap { try? entry(name: $0.key, $0.value) }

    /// File name and expected `QZooError.Code` of every vector qzoo must refuse (read without `--npy-dtype`).
    static let rejected: [(name: String, code: String)] = (expected["rejected"]?.objectMembers ?? []).compactMap { member in
        member.value.stringValue.map { (member.key, $0) }
    }
}
