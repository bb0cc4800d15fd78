#if canImport(Glibc)
import Glibc
#endif
import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats

/// Directories of `.npy` files: layout, ordering, what is skipped and what is refused.
@Suite struct NpyDirectoryTests {
    func tensor(_ value: Float) throws -> Tensor { try Tensor(shape: [1], floats: [value]) }

    @Test func writesOneFilePerTensorWithNestedFolders() throws {
        let dir = try TemporaryDirectory()
        var checkpoint = Checkpoint()
        try checkpoint.add("emb.weight", tensor(1))
        try checkpoint.add("enc/layer.0/w", tensor(2))
        try NpyDirectory.write(checkpoint, to: dir.path + "/out", overwrite: false)
        #expect(try listDirectory(dir.path + "/out") == ["emb.weight.npy", "enc"])
        #expect(try listDirectory(dir.path + "/out/enc/layer.0") == ["w.npy"])
        let single = try NpyFile.readTensor(path: dir.path + "/out/enc/layer.0/w.npy", voidDType: nil)
        #expect(single == checkpoint.tensors["enc/layer.0/w"])
    }

    @Test func readsTensorsSortedByName() throws {
        let dir = try TemporaryDirectory()
        var checkpoint = Checkpoint()
        for (index, name) in ["z", "a/b", "a.c", "B", "a/a/x"].enumerated() { try checkpoint.add(name, tensor(Float(index))) }
        try NpyDirectory.write(checkpoint, to: dir.path + "/d", overwrite: false)
        let back = try NpyDirectory.read(path: dir.path + "/d", voidDType: nil)
        #expect(Array(back.tensors.keys) == ["B", "a.c", "a/a/x", "a/b", "z"])
        for (name, tensor) in checkpoint.tensors { #expect(back.tensors[name] == tensor) }
    }

    @Test func skipsHiddenEntriesOtherFilesAndSymlinkedFolders() throws {
        let dir = try TemporaryDirectory()
        var checkpoint = Checkpoint()
        try checkpoint.add("w", tensor(1))
        try NpyDirectory.write(checkpoint, to: dir.path + "/d", overwrite: false)
        try NpyFile.write(tensor(2), to: dir.path + "/d/.hidden.npy", overwrite: false)
        try AtomicFile.write(to: dir.path + "/d/config.json", overwrite: false) { try $0.write(Array("{}".utf8)) }
        try NpyDirectory.write(checkpoint, to: dir.path + "/elsewhere", overwrite: false)
        #expect(symlink(dir.path + "/elsewhere", dir.path + "/d/linked") == 0)
        let back = try NpyDirectory.read(path: dir.path + "/d", voidDType: nil)
        #expect(Array(back.tensors.keys) == ["w"])
    }

    @Test func refusesNamesThatCannotBeSafeRelativePaths() throws {
        let dir = try TemporaryDirectory()
        for name in ["../escape", "/abs", "a//b", "a/../b", ".hidden", "a/.b", "", "trailing/"] {
            var checkpoint = Checkpoint()
            try checkpoint.add("fine", tensor(0))
            try checkpoint.add(name, tensor(1))
            let error = #expect(throws: QZooError.self) { try NpyDirectory.write(checkpoint, to: dir.path + "/d", overwrite: false) }
            #expect(error?.code == .invalidArgument, "\(name)")
            #expect(error?.tensor == name)
        }
        #expect(try listDirectory(dir.path).isEmpty)
    }

    @Test func directoryWithOnlyNestedArraysIsDetected() throws {
        let dir = try TemporaryDirectory()
        var checkpoint = Checkpoint()
        try checkpoint.add("enc/w", tensor(3))
        try CheckpointIO.write(checkpoint, to: dir.path + "/d", format: .npyDirectory)
        let (back, format) = try CheckpointIO.read(path: dir.path + "/d")
        #expect(format == .npyDirectory)
        #expect(back.tensors["enc/w"] == checkpoint.tensors["enc/w"])
        #expect(mkdir(dir.path + "/empty", 0o755) == 0 && mkdir(dir.path + "/empty/sub", 0o755) == 0)
        #expect(throws: QZooError.self) { try CheckpointFormat.detect(path: dir.path + "/empty") }
    }

    @Test func fileAndFolderClashIsReportedAtTheFinalPath() throws {
        let dir = try TemporaryDirectory()
        var checkpoint = Checkpoint()
        try checkpoint.add("a", tensor(1))
        try checkpoint.add("a.npy/x", tensor(2))
        let error = #expect(throws: QZooError.self) { try NpyDirectory.write(checkpoint, to: dir.path + "/d", overwrite: false) }
        #expect(error?.file == dir.path + "/d/a.npy/x.npy")
        #expect(try listDirectory(dir.path).isEmpty)
    }

    @Test func replacesAnExistingDirectoryOnlyWhenAsked() throws {
        let dir = try TemporaryDirectory()
        var first = Checkpoint()
        try first.add("old", tensor(1))
        try NpyDirectory.write(first, to: dir.path + "/d", overwrite: false)
        var second = Checkpoint()
        try second.add("new", tensor(2))
        #expect(throws: QZooError.self) { try NpyDirectory.write(second, to: dir.path + "/d", overwrite: false) }
        try NpyDirectory.write(second, to: dir.path + "/d", overwrite: true)
        #expect(Array(try NpyDirectory.read(path: dir.path + "/d", voidDType: nil).tensors.keys) == ["new"])
    }

    @Test func errorsNameTheTensorAndFile() throws {
        let dir = try TemporaryDirectory()
        var checkpoint = Checkpoint()
        try checkpoint.add("w", try Tensor(dtype: .bf16, shape: [1], bytes: [0, 0]))
        try NpyDirectory.write(checkpoint, to: dir.path + "/d", overwrite: false)
        let error = #expect(throws: QZooError.self) { try NpyDirectory.read(path: dir.path + "/d", voidDType: nil) }
        #expect(error?.tensor == "w")
        #expect(error?.file == dir.path + "/d/w.npy")
    }
}
