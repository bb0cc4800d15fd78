import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats

/// Reading numpy's npz files, refusing hostile zips, and the npz writer's output.
@Suite struct NpzArchiveTests {
    static let goldenArchives = (NpyVectors.expected["npz"]?.objectMembers ?? []).map(\.key)

    @Test func goldenArchivesIncludeNumpysOwn() {
        #expect(Set(Self.goldenArchives).isSuperset(of: ["stored.npz", "compressed.npz", "no_arrays.npz", "directory_entry.npz"]))
    }

    @Test(arguments: goldenArchives)
    func readsNumpyArchive(_ name: String) throws {
        let expected = try #require(NpyVectors.expected["npz"]?[name]?.objectMembers)
        let checkpoint = try NpzArchive.read(path: NpyVectors.path(name), voidDType: nil)
        let orderJSON = try #require(NpyVectors.expected["npz"]?[name]?["__order__"]?.arrayValue)
        let order = orderJSON.compactMap(\.stringValue)
        #expect(Array(checkpoint.tensors.keys) == order)
        for (key, json) in expected where key != "__order__" {
            let want = try NpyVectors.entry(name: key, json).tensor
            #expect(checkpoint.tensors[key] == want, "\(key)")
        }
    }

    @Test(arguments: NpyVectors.rejected.filter { $0.name.hasSuffix(".npz") }.map(\.name))
    func refusesHostileArchive(_ name: String) throws {
        let code = try #require(NpyVectors.rejected.first { $0.name == name }?.code)
        let error = #expect(throws: QZooError.self) { try NpzArchive.read(path: NpyVectors.path(name), voidDType: nil) }
        #expect(error?.code.rawValue == code, "\(error?.description ?? "")")
        #expect(error?.file == NpyVectors.path(name))
    }

    @Test func memberLimitIsEnforced() throws {
        let path = NpyVectors.path("stored.npz")
        #expect(try NpzArchive.read(path: path, voidDType: nil, limits: NpzLimits(maxMembers: 3)).tensors.count == 3)
        let error = #expect(throws: QZooError.self) {
            try NpzArchive.read(path: path, voidDType: nil, limits: NpzLimits(maxMembers: 2))
        }
        #expect(error?.code == .limitExceeded)
    }

    @Test func totalSizeLimitIsEnforcedBeforeReading() throws {
        let path = NpyVectors.path("compressed.npz")
        let total = 152 + 136 + 129
        #expect(try NpzArchive.read(path: path, voidDType: nil, limits: NpzLimits(maxTotalBytes: total)).tensors.count == 3)
        let error = #expect(throws: QZooError.self) {
            try NpzArchive.read(path: path, voidDType: nil, limits: NpzLimits(maxTotalBytes: total - 1))
        }
        #expect(error?.code == .limitExceeded)
    }

    @Test func refusesFilesThatAreNotZips() throws {
        let error = #expect(throws: QZooError.self) { try NpzArchive.read(path: NpyVectors.path("f4.npy"), voidDType: nil) }
        #expect(error?.code == .malformed)
    }

    @Test func writesStoredDeterministicArchives() throws {
        let dir = try TemporaryDirectory()
        let checkpoint = try NpzArchive.read(path: NpyVectors.path("compressed.npz"), voidDType: nil)
        try NpzArchive.write(checkpoint, to: dir.path + "/a.npz", overwrite: false)
        try NpzArchive.write(checkpoint, to: dir.path + "/b.npz", overwrite: false)
        let bytes = try TestFiles.read(dir.path + "/a.npz")
        #expect(bytes == (try TestFiles.read(dir.path + "/b.npz")))
        #expect(Array(bytes.prefix(4)) == [0x50, 0x4B, 0x03, 0x04])
        #expect(bytes[8] == 0 && bytes[9] == 0, "compression method must be stored")
        #expect(Array(bytes[10..<14]) == [0, 0, 0x21, 0], "DOS time must be 1980-01-01 00:00")
        let back = try NpzArchive.read(path: dir.path + "/a.npz", voidDType: nil)
        #expect(Array(back.tensors.keys) == Array(checkpoint.tensors.keys))
        for (name, tensor) in checkpoint.tensors { #expect(back.tensors[name] == tensor) }
    }

    @Test func writerRefusesUnsafeNamesBeforeWriting() throws {
        let dir = try TemporaryDirectory()
        for name in ["../x", "/abs", "a//b", "a/./b", "", "a\\b"] {
            var checkpoint = Checkpoint()
            try checkpoint.add(name, Tensor(shape: [1], floats: [1]))
            let error = #expect(throws: QZooError.self) { try NpzArchive.write(checkpoint, to: dir.path + "/x.npz", overwrite: false) }
            #expect(error?.code == .invalidArgument, "\(name)")
        }
        #expect(try listDirectory(dir.path).isEmpty)
    }

    @Test func refusesToOverwriteWithoutForce() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/x.npz"
        try NpzArchive.write(Checkpoint(), to: path, overwrite: false)
        #expect(throws: QZooError.self) { try NpzArchive.write(Checkpoint(), to: path, overwrite: false) }
        try NpzArchive.write(Checkpoint(), to: path, overwrite: true)
        #expect(try NpzArchive.read(path: path, voidDType: nil).tensors.isEmpty)
    }

    @Test func keepsNonASCIINames() throws {
        let dir = try TemporaryDirectory()
        var checkpoint = Checkpoint()
        try checkpoint.add("café/Ω", Tensor(shape: [2], floats: [1, 2]))
        try NpzArchive.write(checkpoint, to: dir.path + "/u.npz", overwrite: false)
        let back = try NpzArchive.read(path: dir.path + "/u.npz", voidDType: nil)
        #expect(Array(back.tensors.keys) == ["café/Ω"])
    }
}
