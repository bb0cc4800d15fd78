import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats

/// A flipped byte anywhere must be an error; in a section, a checksum error naming the tensor.
@Suite struct QPackCorruptionTests {
    static func fixtureBytes() throws -> [UInt8] {
        try TemporaryDirectory.use { directory in
            try QPackWriter.write(try Fixtures.checkpoint(), to: directory + "/model.qpack", overwrite: false)
            return try TestFiles.read(directory + "/model.qpack")
        }
    }

    static func read(_ bytes: [UInt8]) throws -> Checkpoint {
        try QPackReader.read(storage: ByteStorage(owning: bytes))
    }

    @Test func flippedByteInEverySectionNamesTheTensorAndSection() throws {
        let bytes = try Self.fixtureBytes()
        let index = try bytes.withUnsafeBytes { try QPackIndex.parse($0) }
        var checked = 0
        for record in index.records {
            for (label, section) in record.sections where section.length > 0 {
                for position in Set([0, section.length / 2, section.length - 1]) {
                    var corrupt = bytes
                    corrupt[index.dataStart + section.offset + position] ^= 0x10
                    expectQZooError(.checksumMismatch, containing: label, tensor: record.name) { _ = try Self.read(corrupt) }
                    checked += 1
                }
            }
        }
        #expect(checked > 300)
    }

    @Test func flippedByteInPreambleIndexOrPaddingIsAnError() throws {
        let bytes = try Self.fixtureBytes()
        let index = try bytes.withUnsafeBytes { try QPackIndex.parse($0) }
        let indexEnd = 48 + Int(bytes[8]) + Int(bytes[9]) << 8 + Int(bytes[10]) << 16
        for position in [20, 47, 48, 60, indexEnd / 2, indexEnd - 1] {
            var corrupt = bytes
            corrupt[position] ^= 0x01
            expectQZooError(.checksumMismatch, containing: "index checksum") { _ = try Self.read(corrupt) }
        }
        if indexEnd < index.dataStart {
            var corrupt = bytes
            corrupt[indexEnd] = 0x20
            expectQZooError(.malformed, containing: "non-zero byte") { _ = try Self.read(corrupt) }
        }
        let gaps = index.records.flatMap(\.sections).map(\.section).filter { $0.length % 64 != 0 }
        let gap = try #require(gaps.first)
        var corrupt = bytes
        corrupt[index.dataStart + gap.offset + gap.length] = 1
        expectQZooError(.malformed, containing: "non-zero byte") { _ = try Self.read(corrupt) }
    }

    @Test func badMagicVersionAndIndexLength() throws {
        let bytes = try Self.fixtureBytes()
        var magic = bytes
        magic[3] = UInt8(ascii: "X")
        expectQZooError(.malformed, containing: "magic") { _ = try Self.read(magic) }
        var version = bytes
        version[4] = 2
        expectQZooError(.unsupported, containing: "version 2") { _ = try Self.read(version) }
        var huge = bytes
        huge[13] = 1
        expectQZooError(.limitExceeded, containing: "index length") { _ = try Self.read(huge) }
        var long = bytes
        long[10] = 0x7F
        expectQZooError(.malformed, containing: "runs past the end") { _ = try Self.read(long) }
    }

    @Test func truncatedAndExtendedFilesAreRejected() throws {
        let bytes = try Self.fixtureBytes()
        let index = try bytes.withUnsafeBytes { try QPackIndex.parse($0) }
        for length in [0, 3, 40, 47, 48, 100, index.dataStart - 1, index.dataStart, index.dataStart + 1, bytes.count / 2, bytes.count - 1] {
            #expect(throws: QZooError.self, "truncated to \(length)") { _ = try Self.read(Array(bytes.prefix(length))) }
        }
        expectQZooError(.malformed, containing: "unexpected bytes after the last section") { _ = try Self.read(bytes + [0]) }
    }

    @Test func valueChecksRunAfterChecksums() throws {
        var checkpoint = Checkpoint()
        try checkpoint.add("w", try Fixtures.weight(bits: 4, symmetric: false, granularity: .group(size: 4), seed: 5,
                                                    transforms: [try Fixtures.permutation(11, seed: 2)]))
        let bytes = try TemporaryDirectory.use { directory in
            try QPackWriter.write(checkpoint, to: directory + "/w.qpack", overwrite: false)
            return try TestFiles.read(directory + "/w.qpack")
        }
        let index = try bytes.withUnsafeBytes { try QPackIndex.parse($0) }
        guard case .affine(let record) = try #require(index.records.first) else { Issue.record("not affine"); return }
        let zeros = try #require(record.zeroPoints)

        let zeroPoint = try QPackSurgery.editData(bytes) { $0[zeros.offset] = 200 }
        expectQZooError(.malformed, containing: "zero point 200", tensor: "w") { _ = try Self.read(zeroPoint) }
        let padding = try QPackSurgery.editData(bytes) { $0[record.codes.offset + record.codes.length - 1] |= 0xF0 }
        expectQZooError(.malformed, containing: "padding bits", tensor: "w") { _ = try Self.read(padding) }
        let scale = try QPackSurgery.editData(bytes) { data in
            withUnsafeBytes(of: Float.infinity.bitPattern.littleEndian) { data.replaceSubrange(record.scales.offset..<(record.scales.offset + 4), with: $0) }
        }
        expectQZooError(.malformed, containing: "infinity", tensor: "w") { _ = try Self.read(scale) }
        let permutation = try QPackSurgery.editData(bytes) { data in
            let start = record.transforms[0].data.offset
            data.replaceSubrange(start..<(start + 4), with: data[(start + 4)..<(start + 8)])
        }
        expectQZooError(.malformed, containing: "not a permutation", tensor: "w") { _ = try Self.read(permutation) }
        #expect(try Self.read(try QPackSurgery.editData(bytes) { _ in }).quantized["w"] == checkpoint.quantized["w"])
    }
}
