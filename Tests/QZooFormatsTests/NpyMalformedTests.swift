import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats

/// A hand-made `.npy` that qzoo must refuse with a specific error code.
struct HostileNpy: CustomTestStringConvertible, Sendable {
    var label: String
    var bytes: [UInt8]
    var code: QZooError.Code
    var voidDType: DType? = nil
    var testDescription: String { label }

    /// Magic, version, length field (the true length unless `length` lies) and header text.
    static func file(_ header: String, major: UInt8 = 1, length: Int? = nil, data: [UInt8] = []) -> [UInt8] {
        let text = Array(header.utf8)
        let declared = length ?? text.count
        var bytes = NpyHeader.magic + [major, 0]
        let fieldSize = major == 1 ? 2 : 4
        for shift in stride(from: 0, to: fieldSize * 8, by: 8) { bytes.append(UInt8(truncatingIfNeeded: declared >> shift)) }
        return bytes + text + data
    }

    static func dict(descr: String = "'<f4'", order: String = "False", shape: String = "(2,)", extra: String = "") -> String {
        "{'descr': \(descr), 'fortran_order': \(order), 'shape': \(shape), \(extra)}"
    }

    static let eightBytes = [UInt8](repeating: 0, count: 8)

    static let all: [HostileNpy] = [
        HostileNpy(label: "empty file", bytes: [], code: .malformed),
        HostileNpy(label: "truncated magic", bytes: [0x93, 0x4E, 0x55], code: .malformed),
        HostileNpy(label: "no header length", bytes: NpyHeader.magic + [1, 0, 5], code: .malformed),
        HostileNpy(label: "v2 without full length", bytes: NpyHeader.magic + [2, 0, 5, 0], code: .malformed),
        HostileNpy(label: "lying HEADER_LEN", bytes: file(dict(), length: 5000, data: eightBytes), code: .malformed),
        HostileNpy(label: "HEADER_LEN over the cap", bytes: file(dict(), major: 2, length: Int(UInt32.max)), code: .limitExceeded),
        HostileNpy(label: "version 4.0", bytes: file(dict(), major: 4), code: .unsupported),
        HostileNpy(label: "version 1.1", bytes: NpyHeader.magic + [1, 1, 0, 0], code: .unsupported),
        HostileNpy(label: "pickle", bytes: [0x80, 0x04, 0x95] + eightBytes, code: .unsupported),
        HostileNpy(label: "other magic", bytes: Array("PK\u{3}\u{4}0000000".utf8), code: .malformed),
        HostileNpy(label: "header is a list", bytes: file("['descr', '<f4']", data: eightBytes), code: .malformed),
        HostileNpy(label: "header is an int", bytes: file("42"), code: .malformed),
        HostileNpy(label: "header is code", bytes: file("__import__('os').system('true')"), code: .malformed),
        HostileNpy(label: "unknown key", bytes: file(dict(extra: "'extra': 1, "), data: eightBytes), code: .malformed),
        HostileNpy(label: "missing key", bytes: file("{'descr': '<f4', 'shape': (2,)}", data: eightBytes), code: .malformed),
        HostileNpy(label: "duplicate key", bytes: file(dict(extra: "'shape': (2,), "), data: eightBytes), code: .malformed),
        HostileNpy(label: "integer key", bytes: file("{1: 2}"), code: .malformed),
        HostileNpy(label: "negative dimension", bytes: file(dict(shape: "(-1, 2)")), code: .malformed),
        HostileNpy(label: "huge dimension literal", bytes: file(dict(shape: "(123456789012345678901234567890,)")), code: .malformed),
        HostileNpy(label: "overflowing product", bytes: file(dict(shape: "(4611686018427387904, 4)")), code: .malformed),
        HostileNpy(label: "overflowing bytes", bytes: file(dict(shape: "(4611686018427387904,)")), code: .malformed),
        HostileNpy(label: "shape is a list", bytes: file(dict(shape: "[2]"), data: eightBytes), code: .malformed),
        HostileNpy(label: "shape is a parenthesised int", bytes: file(dict(shape: "(2)"), data: eightBytes), code: .malformed),
        HostileNpy(label: "bool dimension", bytes: file(dict(shape: "(True,)"), data: [0, 0, 0, 0]), code: .malformed),
        HostileNpy(label: "float dimension", bytes: file(dict(shape: "(2.0,)"), data: eightBytes), code: .malformed),
        HostileNpy(label: "fortran_order not a bool", bytes: file(dict(order: "1"), data: eightBytes), code: .malformed),
        HostileNpy(label: "descr not a string", bytes: file(dict(descr: "4"), data: eightBytes), code: .malformed),
        HostileNpy(label: "data shorter than declared", bytes: file(dict(), data: [0, 0, 0, 0]), code: .malformed),
        HostileNpy(label: "trailing bytes", bytes: file(dict(), data: eightBytes + [0]), code: .malformed),
        HostileNpy(label: "unterminated string", bytes: file("{'descr: 1}"), code: .malformed),
        HostileNpy(label: "unsupported escape", bytes: file(dict(descr: "'<f\\x34'"), data: eightBytes), code: .malformed),
        HostileNpy(label: "nesting bomb", bytes: file(dict(shape: String(repeating: "(", count: 100_000))), code: .malformed),
        HostileNpy(label: "v3 header not UTF-8", bytes: file(dict(), major: 3, data: eightBytes).replacingHeaderByte(at: 20, with: 0xFF), code: .malformed),
        HostileNpy(label: "object descr", bytes: file(dict(descr: "'|O'"), data: eightBytes), code: .unsupported),
        HostileNpy(label: "descr containing O", bytes: file(dict(descr: "'<O8'"), data: eightBytes), code: .unsupported),
        HostileNpy(label: "structured descr", bytes: file(dict(descr: "[('a', '<f4')]"), data: eightBytes), code: .unsupported),
        HostileNpy(label: "complex descr", bytes: file(dict(descr: "'<c8'"), data: eightBytes), code: .unsupported),
        HostileNpy(label: "string descr", bytes: file(dict(descr: "'|S4'"), data: eightBytes), code: .unsupported),
        HostileNpy(label: "datetime descr", bytes: file(dict(descr: "'<M8[ns]'"), data: eightBytes), code: .unsupported),
        HostileNpy(label: "long double descr", bytes: file(dict(descr: "'<f16'"), data: eightBytes), code: .unsupported),
        HostileNpy(label: "odd width", bytes: file(dict(descr: "'<f3'"), data: eightBytes), code: .unsupported),
        HostileNpy(label: "signed width", bytes: file(dict(descr: "'<f+4'"), data: eightBytes), code: .unsupported),
        HostileNpy(label: "'|' on a multi-byte type", bytes: file(dict(descr: "'|f4'"), data: eightBytes), code: .malformed),
        HostileNpy(label: "void without a dtype", bytes: file(dict(descr: "'|V2'"), data: [0, 0, 0, 0]), code: .unsupported),
        HostileNpy(label: "void of the wrong width", bytes: file(dict(descr: "'|V2'"), data: [0, 0, 0, 0]), code: .invalidArgument, voidDType: .u8),
        HostileNpy(label: "zero-width void", bytes: file(dict(descr: "'|V0'")), code: .unsupported, voidDType: .u8),
    ]
}

extension Array where Element == UInt8 {
    func replacingHeaderByte(at index: Int, with byte: UInt8) -> [UInt8] {
        var copy = self
        copy[index] = byte
        return copy
    }
}

@Suite struct NpyMalformedTests {
    @Test(arguments: HostileNpy.all)
    func refusesHostileInput(_ input: HostileNpy) throws {
        let error = #expect(throws: QZooError.self) {
            try NpyFile.readTensor(storage: ByteStorage(owning: input.bytes), voidDType: input.voidDType)
        }
        #expect(error?.code == input.code, "\(error?.description ?? "")")
    }

    @Test func refusesTruncationAtEveryLength() throws {
        let full = HostileNpy.file(HostileNpy.dict(shape: "(2, 3)"), data: [UInt8](repeating: 7, count: 24))
        #expect(try NpyFile.readTensor(storage: ByteStorage(owning: full), voidDType: nil).shape == [2, 3])
        for length in 0..<full.count {
            #expect(throws: QZooError.self) {
                try NpyFile.readTensor(storage: ByteStorage(owning: Array(full.prefix(length))), voidDType: nil)
            }
        }
    }

    @Test func errorsNameTheFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/bad.npy"
        try AtomicFile.write(to: path, overwrite: false) { try $0.write(HostileNpy.file(HostileNpy.dict(), data: [1])) }
        let error = #expect(throws: QZooError.self) { try NpyFile.readCheckpoint(path: path, voidDType: nil) }
        #expect(error?.file == path)
        #expect(error?.message.contains("needs 8") == true)
    }
}
