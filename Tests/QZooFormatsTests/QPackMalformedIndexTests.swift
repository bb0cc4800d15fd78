import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats

/// Corruptions of a valid qpack index (the test re-hashes it so the index checksum still matches).
extension JSONCorruption {
    /// Paths into the fixture index: record 0 is dense "a", record 1 the affine weight "w".
    static let dense: [JSONStep] = [.key("tensors"), .index(0)]
    static let affine: [JSONStep] = [.key("tensors"), .index(1)]

    static let qpackIndexCases: [JSONCorruption] = [
        JSONCorruption(name: "misaligned offset", code: .malformed, fragment: "not a multiple of 64", tensor: "w",
                        edit: set(affine + [.key("codes")], "offset", .int(72))),
        JSONCorruption(name: "overlapping sections", code: .malformed, fragment: "begins before the previous section", tensor: "w",
                        edit: set(affine + [.key("codes")], "offset", .int(0))),
        JSONCorruption(name: "offset past the end", code: .malformed, fragment: "runs past the end", tensor: "w",
                        edit: set(affine + [.key("transforms"), .index(0), .key("data")], "offset", .int(1 << 40))),
        JSONCorruption(name: "offset + length overflows", code: .malformed, fragment: "runs past the end", tensor: "w",
                        edit: set(affine + [.key("scales")], "offset", .int(Int.max - 63))),
        JSONCorruption(name: "length not matching shape", code: .malformed, fragment: "does not match shape", tensor: "a",
                        edit: set(dense + [.key("data")], "length", .int(20))),
        JSONCorruption(name: "shape overflows", code: .malformed, fragment: "overflows", tensor: "a",
                        edit: set(dense + [.key("data")], "shape", .array([.int(1 << 62), .int(4)]))),
        JSONCorruption(name: "negative offset", code: .malformed, fragment: "outside 0...", tensor: "a",
                        edit: set(dense + [.key("data")], "offset", .int(-64))),
        JSONCorruption(name: "unknown tensor kind", code: .unsupported, fragment: "tensor kind \"codebook\"", tensor: "w",
                        edit: set(affine, "kind", .string("codebook"))),
        JSONCorruption(name: "unknown transform", code: .unsupported, fragment: "transform kind \"hadamard\"", tensor: "w",
                        edit: set(affine + [.key("transforms"), .index(0)], "kind", .string("hadamard"))),
        JSONCorruption(name: "unknown granularity", code: .unsupported, fragment: "granularity \"row\"", tensor: "w",
                        edit: set(affine + [.key("scheme")], "granularity", .string("row"))),
        JSONCorruption(name: "bits out of range", code: .malformed, fragment: "outside 1...8", tensor: "w",
                        edit: set(affine + [.key("scheme")], "bits", .int(9))),
        JSONCorruption(name: "group size zero", code: .malformed, fragment: "group_size", tensor: "w",
                        edit: set(affine + [.key("scheme")], "group_size", .int(0))),
        JSONCorruption(name: "bits not matching codes", code: .malformed, fragment: "codes must be U8 of shape", tensor: "w",
                        edit: set(affine + [.key("scheme")], "bits", .int(3))),
        JSONCorruption(name: "asymmetric without zero points", code: .malformed, fragment: "needs a zero_points", tensor: "w",
                        edit: { $0.editing(affine + [.key("zero_points")]) { _ in nil } }),
        JSONCorruption(name: "symmetric with zero points", code: .malformed, fragment: "stores no zero_points", tensor: "w",
                        edit: set(affine + [.key("scheme")], "symmetric", .bool(true))),
        JSONCorruption(name: "integer source dtype", code: .malformed, fragment: "source_dtype", tensor: "w",
                        edit: set(affine, "source_dtype", .string("I8"))),
        JSONCorruption(name: "unknown dtype", code: .malformed, fragment: "unknown dtype \"F12\"", tensor: "a",
                        edit: set(dense + [.key("data")], "dtype", .string("F12"))),
        JSONCorruption(name: "duplicate name", code: .malformed, fragment: "duplicate tensor name", tensor: "a",
                        edit: set(affine, "name", .string("a"))),
        JSONCorruption(name: "unknown field", code: .malformed, fragment: "unexpected field \"extra\"", tensor: "a",
                        edit: set(dense, "extra", .int(1))),
        JSONCorruption(name: "malformed digest", code: .malformed, fragment: "64 lowercase hex", tensor: "a",
                        edit: set(dense + [.key("data")], "sha256", .string("ABC"))),
        JSONCorruption(name: "stale digest", code: .checksumMismatch, fragment: "checksum mismatch in data", tensor: "a",
                        edit: set(dense + [.key("data")], "sha256", .string(String(repeating: "0", count: 64)))),
        JSONCorruption(name: "non-string metadata", code: .malformed, fragment: "must be a string", tensor: nil,
                        edit: set([.key("metadata")], "n", .int(1))),
        JSONCorruption(name: "missing tensors", code: .malformed, fragment: "missing field \"tensors\"", tensor: nil,
                        edit: { $0.editing([.key("tensors")]) { _ in nil } }),
        JSONCorruption(name: "index not an object", code: .malformed, fragment: "must be a JSON object", tensor: nil,
                        edit: { _ in .array([]) }),
    ]
}

@Suite struct QPackMalformedIndexTests {
    static func fixture() throws -> [UInt8] {
        var checkpoint = Checkpoint(metadata: ["k": "v"])
        try checkpoint.add("a", try Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]))
        try checkpoint.add("w", try Fixtures.weight(bits: 4, symmetric: false, granularity: .group(size: 4), seed: 5,
                                                    transforms: [try Fixtures.permutation(11, seed: 2)]))
        return try TemporaryDirectory.use { directory in
            try QPackWriter.write(checkpoint, to: directory + "/w.qpack", overwrite: false)
            return try TestFiles.read(directory + "/w.qpack")
        }
    }

    @Test func unmodifiedRebuildStillReads() throws {
        let bytes = try Self.fixture()
        let rebuilt = try QPackSurgery.editIndex(bytes) { $0 }
        #expect(rebuilt == bytes)
        #expect(try QPackReader.read(storage: ByteStorage(owning: rebuilt)).quantized.count == 1)
    }

    @Test(arguments: JSONCorruption.qpackIndexCases)
    func corruptIndexIsRejected(_ corruption: JSONCorruption) throws {
        let corrupt = try QPackSurgery.editIndex(try Self.fixture(), corruption.edit)
        expectQZooError(corruption.code, containing: corruption.fragment, tensor: corruption.tensor) {
            _ = try QPackReader.read(storage: ByteStorage(owning: corrupt))
        }
    }
}
