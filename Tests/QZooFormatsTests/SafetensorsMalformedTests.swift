import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats

/// A hostile safetensors file and how qzoo must refuse it.
struct HostileFile: Sendable, CustomStringConvertible {
    let description: String
    let bytes: [UInt8]
    let code: QZooError.Code
    /// Words the message must contain, so that it names the problem.
    let keywords: [String]
    /// The tensor the error must name, when the problem belongs to one.
    let tensor: String?

    init(_ description: String, _ bytes: [UInt8], _ keywords: [String], code: QZooError.Code = .malformed, tensor: String? = nil) {
        self.description = description
        self.bytes = bytes
        self.code = code
        self.keywords = keywords
        self.tensor = tensor
    }

    /// 8-byte little-endian header length (the real one unless `declaredLength`), the header
    /// text, `padding`, then `data`.
    static func file(_ header: String, padding: [UInt8] = [], data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        let text = Array(header.utf8) + padding
        let length = declaredLength ?? UInt64(text.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: length >> UInt64(8 * $0)) } + text + data
    }

    /// A header with one tensor entry for `name`.
    static func entry(_ name: String = "w", dtype: String = "F32", shape: String = "[2]", offsets: String = "[0,8]", extra: String = "") -> String {
        #"{"\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)\#(extra)}}"#
    }

    static let eight = [UInt8](repeating: 1, count: 8)
    static let valid = file(entry(), data: eight)

    static let framing: [HostileFile] = [
        HostileFile("empty file", [], ["8-byte"]),
        HostileFile("shorter than the length field", [3, 0, 0], ["8-byte"]),
        HostileFile("truncated data", Array(valid.dropLast()), ["past the end"], tensor: "w"),
        HostileFile("truncated header", Array(valid.prefix(20)), ["past the end"]),
        HostileFile("header length past the end", file(entry(), data: eight, declaredLength: 1000), ["past the end"]),
        HostileFile("header length over the cap", file("{}", declaredLength: 100_000_001), ["limit"], code: .limitExceeded),
        HostileFile("header length 2^64-1", file("{}", declaredLength: .max), ["limit"], code: .limitExceeded),
        HostileFile("zero header length", file("", data: eight), ["'{'"]),
        HostileFile("leading space", file(" {}      "), ["'{'"]),
        HostileFile("non-object JSON", file("[]      "), ["'{'"]),
        HostileFile("tab padding", file("{}", padding: [9, 9, 9, 9, 9, 9]), ["padding"]),
        HostileFile("NUL padding", file("{}", padding: [0, 0, 0, 0, 0, 0]), ["padding"]),
        HostileFile("invalid UTF-8", file("{\"", padding: [0xC3, 0x28] + Array("\":{}}".utf8)), ["UTF-8"]),
        HostileFile("invalid JSON", file(#"{"w":}"#), ["header"]),
        HostileFile("trailing bytes after the data", file(entry(), data: eight + [0, 0, 0]), ["trailing"]),
        HostileFile("exact duplicate entry", file(#"{"dup.w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"dup.w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, data: [7]), ["duplicate", "dup.w"]),
    ]

    static let entries: [HostileFile] = [
        HostileFile("entry not an object", file(#"{"w":[1]}"#), ["not an object"], tensor: "w"),
        HostileFile("unknown dtype", file(entry(dtype: "F33"), data: eight), ["unknown dtype", "F33"], tensor: "w"),
        HostileFile("lowercase dtype", file(entry(dtype: "f32"), data: eight), ["unknown dtype", "f32"], tensor: "w"),
        HostileFile("known unsupported dtype", file(entry(dtype: "F4", shape: "[2]", offsets: "[0,1]"), data: [0]), ["F4"], code: .unsupported, tensor: "w"),
        HostileFile("missing dtype", file(#"{"w":{"shape":[2],"data_offsets":[0,8]}}"#, data: eight), ["dtype"], tensor: "w"),
        HostileFile("shape not an array", file(entry(shape: "2"), data: eight), ["shape"], tensor: "w"),
        HostileFile("negative dimension", file(entry(shape: "[-2]"), data: eight), ["shape", "non-negative"], tensor: "w"),
        HostileFile("fractional dimension", file(entry(shape: "[2.0]"), data: eight), ["shape", "integer"], tensor: "w"),
        HostileFile("dimension beyond Int64", file(entry(shape: "[99999999999999999999]"), data: eight), ["shape"], tensor: "w"),
        HostileFile("negative offset", file(entry(offsets: "[-1,7]"), data: eight), ["data_offsets"], tensor: "w"),
        HostileFile("float offsets", file(entry(offsets: "[0.0,8.0]"), data: eight), ["data_offsets"], tensor: "w"),
        HostileFile("three offsets", file(entry(offsets: "[0,8,8]"), data: eight), ["data_offsets"], tensor: "w"),
        HostileFile("reversed offsets", file(entry(offsets: "[8,0]"), data: eight), ["data_offsets"], tensor: "w"),
        HostileFile("unknown field", file(entry(extra: #","quant":"int4""#), data: eight), ["unexpected field", "quant"], tensor: "w"),
        HostileFile("metadata value not a string", file(#"{"__metadata__":{"step":1}}"#), ["__metadata__", "step", "string"]),
        HostileFile("metadata not an object", file(#"{"__metadata__":"pt"}"#), ["__metadata__", "object"]),
    ]

    static let layout: [HostileFile] = [
        HostileFile("span does not match shape", file(entry(shape: "[3]"), data: eight), ["does not match", "[3]"], tensor: "w"),
        HostileFile("shape product overflows", file(entry(shape: "[4611686018427387904,4]"), data: eight), ["overflows"], tensor: "w"),
        HostileFile("end past the data", file(entry(shape: "[250]", offsets: "[0,1000]"), data: eight), ["past the end", "1000"], tensor: "w"),
        HostileFile("overlapping tensors", file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: eight + [0, 0, 0, 0]), ["overlap"], tensor: "b"),
        HostileFile("hole between tensors", file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#, data: eight + [0, 0, 0, 0]), ["hole"], tensor: "b"),
        HostileFile("data not starting at 0", file(entry(shape: "[1]", offsets: "[4,8]"), data: eight), ["hole"], tensor: "w"),
    ]
}

@Suite struct SafetensorsMalformedTests {
    @Test func baseFileIsValid() throws {
        let checkpoint = try SafetensorsReader.read(storage: ByteStorage(owning: HostileFile.valid))
        #expect(checkpoint.tensors["w"]?.byteCount == 8)
    }

    @Test(arguments: HostileFile.framing + HostileFile.entries + HostileFile.layout)
    func rejects(_ hostile: HostileFile) throws {
        let error = try #require(throws: QZooError.self) {
            try SafetensorsReader.read(storage: ByteStorage(owning: hostile.bytes))
        }
        #expect(error.code == hostile.code, "\(error)")
        for word in hostile.keywords { #expect(error.message.contains(word), "\(error) lacks \"\(word)\"") }
        #expect(error.tensor == hostile.tensor, "\(error)")
    }

    @Test func errorNamesTheFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/hostile.safetensors"
        let bytes = HostileFile.file(HostileFile.entry(dtype: "F33"), data: HostileFile.eight)
        try AtomicFile.write(to: path, overwrite: false) { try $0.write(bytes) }
        let error = try #require(throws: QZooError.self) { try SafetensorsReader.read(path: path) }
        #expect(error.file == path)
        #expect(error.description.contains(path) && error.description.contains("'w'") && error.description.contains("F33"))
    }
}
