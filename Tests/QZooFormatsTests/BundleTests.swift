#if canImport(Glibc)
import Glibc
#endif
import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats

@Suite struct BundleTests {
    /// Deterministic bytes: a compressible text part and an incompressible pseudo-random part.
    static func content(seed: UInt64, count: Int) -> [UInt8] {
        var state = seed
        return (0 ..< count).map { index in
            if index % 3 == 0 { return UInt8(ascii: "a") + UInt8(index % 7) }
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    static let body: [(key: String, value: JSONValue)] = [("model", .string("tiny")), ("pipeline", .string("test"))]

    /// Writes the two input files into `directory` and bundles them.
    static func build(in directory: String, threads: Int, level: Int = 5) throws -> String {
        try TestFiles.write(content(seed: 1, count: 40_000), to: directory + "/weights.bin")
        try TestFiles.write(Array("{\"hidden\": 4}\n".utf8), to: directory + "/config.json")
        let inputs = [
            BundleInput(path: "weights.bin", source: .file(directory + "/weights.bin")),
            BundleInput(path: "config.json", source: .file(directory + "/config.json")),
            BundleInput(path: "pipeline.yaml", source: .bytes(Array("name: test\n".utf8))),
        ]
        let path = directory + "/out.tar.zst"
        try BundleWriter.write(inputs, body: body, to: path, options: BundleOptions(level: level, threads: threads), overwrite: true)
        return path
    }

    @Test func sameInputsInDifferentFoldersAndThreadCountsGiveIdenticalBytes() throws {
        try TemporaryDirectory.use { first in
            try TemporaryDirectory.use { second in
                let a = try TestFiles.read(Self.build(in: first, threads: 1))
                let b = try TestFiles.read(Self.build(in: second, threads: 2))
                #expect(a == b)
                let otherLevel = try TestFiles.read(Self.build(in: second, threads: 2, level: 6))
                #expect(otherLevel != a, "a different level must change the bytes, or this test proves nothing")
            }
        }
    }

    @Test func verifyListsSortedMembersWithTheirDigests() throws {
        try TemporaryDirectory.use { directory in
            let path = try Self.build(in: directory, threads: 2)
            let result = try BundleVerifier.verify(path: path)
            #expect(result.members.map(\.path) == ["config.json", "manifest.json", "pipeline.yaml", "weights.bin"])
            let weights = try TestFiles.read(directory + "/weights.bin")
            #expect(result.manifest.members.first { $0.path == "weights.bin" }?.sha256 == SHA256Digest.hex(weights))
            #expect(result.manifest["model"] == .string("tiny"))
        }
    }

    @Test func everyFlippedByteIsReported() throws {
        try TemporaryDirectory.use { directory in
            let path = try Self.build(in: directory, threads: 1)
            let original = try TestFiles.read(path)
            var state: UInt64 = 42
            var positions = Array(0 ..< 16) + Array(original.count - BundleSeal.byteCount - 8 ..< original.count)
            for _ in 0 ..< 200 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                positions.append(Int(state >> 33) % original.count)
            }
            for (index, position) in positions.enumerated() {
                var damaged = original
                damaged[position] ^= UInt8(1 + index % 255)
                try TestFiles.write(damaged, to: path)
                #expect(throws: QZooError.self, "flipping byte \(position) of \(original.count) went unnoticed") {
                    try BundleVerifier.verify(path: path)
                }
            }
        }
    }

    @Test func extractWritesEveryMemberAndRefusesAnExistingDirectory() throws {
        try TemporaryDirectory.use { directory in
            let path = try Self.build(in: directory, threads: 2)
            _ = try BundleExtractor.extract(path: path, to: directory + "/x")
            #expect(try TestFiles.read(directory + "/x/weights.bin") == TestFiles.read(directory + "/weights.bin"))
            #expect(try listDirectory(directory + "/x") == ["config.json", "manifest.json", "pipeline.yaml", "weights.bin"])
            expectQZooError(.invalidArgument, containing: "already exists") {
                _ = try BundleExtractor.extract(path: path, to: directory + "/x")
            }
        }
    }

    @Test(arguments: [
        ("../escape", TarFixtures.Entry(name: "../escape", data: [1]), "climbs out"),
        ("absolute", TarFixtures.Entry(name: "/etc/passwd", data: [1]), "absolute path"),
        ("symlink", TarFixtures.Entry(name: "link", type: UInt8(ascii: "2"), linkTarget: "/etc/passwd"), "is a link"),
        ("hardlink", TarFixtures.Entry(name: "hard", type: UInt8(ascii: "1"), linkTarget: "manifest.json"), "is a link"),
        ("device", TarFixtures.Entry(name: "dev", type: UInt8(ascii: "3")), "character device"),
        ("fifo", TarFixtures.Entry(name: "pipe", type: UInt8(ascii: "6")), "named pipe"),
        ("huge", TarFixtures.Entry(name: "big.bin", declaredSize: 0o77777777777), "member limit"),
    ])
    func hostileEntriesAreRefusedAndNothingIsExtracted(label: String, entry: TarFixtures.Entry, fragment: String) throws {
        try TemporaryDirectory.use { directory in
            let benign = TarFixtures.Entry(name: "a.txt", data: Array("fine".utf8))
            let path = directory + "/hostile.tar.zst"
            try TestFiles.write(TarFixtures.sealedBundle(TarFixtures.tar([benign, entry])), to: path)
            let limits = BundleLimits(maxMemberSize: 1 << 30)
            let code: QZooError.Code = label == "huge" ? .limitExceeded : .malformed
            expectQZooError(code, containing: fragment) {
                _ = try BundleExtractor.extract(path: path, to: directory + "/out", limits: limits)
            }
            #expect(try listDirectory(directory) == ["hostile.tar.zst"], "\(label): extraction left files behind")
        }
    }

    @Test func membersMissingFromTheManifestAreReported() throws {
        try TemporaryDirectory.use { directory in
            let manifest = BundleManifest(members: [], body: []).json()
            let tar = TarFixtures.tar([
                TarFixtures.Entry(name: "extra.bin", data: [1, 2, 3]),
                TarFixtures.Entry(name: "manifest.json", data: Array(manifest.utf8)),
            ])
            let path = directory + "/b.tar.zst"
            try TestFiles.write(TarFixtures.sealedBundle(tar), to: path)
            expectQZooError(.checksumMismatch, containing: "'extra.bin' is not listed") { _ = try BundleVerifier.verify(path: path) }
        }
    }
}
