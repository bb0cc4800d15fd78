import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats

/// Reads and writes the numpy-made golden files in formats/vectors/npy.
@Suite struct NpyGoldenTests {
    @Test func expectedFileListsEveryVector() throws {
        let listed = NpyVectors.expected["npy"]?.objectMembers?.count ?? 0
        #expect(listed >= 30)
        #expect(NpyVectors.npyEntries.count == listed)
        #expect(NpyVectors.rejected.count >= 10)
    }

    @Test(arguments: NpyVectors.npyEntries)
    func readsGoldenFile(_ entry: NpyVectors.Entry) throws {
        let checkpoint = try NpyFile.readCheckpoint(path: NpyVectors.path(entry.name), voidDType: entry.voidDType)
        let name = String(entry.name.dropLast(4))
        #expect(Array(checkpoint.tensors.keys) == [name])
        let tensor = try #require(checkpoint.tensors[name])
        #expect(tensor.dtype == entry.tensor.dtype)
        #expect(tensor.shape == entry.tensor.shape)
        #expect(tensor.bytes == entry.tensor.bytes)
    }

    @Test(arguments: NpyVectors.npyEntries.filter(\.identicalToWriter))
    func writerMatchesNumpyByteForByte(_ entry: NpyVectors.Entry) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/" + entry.name
        try NpyFile.write(entry.tensor, to: path, overwrite: false)
        #expect(try TestFiles.read(path) == TestFiles.read(NpyVectors.path(entry.name)))
    }

    @Test(arguments: NpyVectors.rejected.filter { $0.name.hasSuffix(".npy") }.map(\.name))
    func refusesGoldenFile(_ name: String) throws {
        let code = try #require(NpyVectors.rejected.first { $0.name == name }?.code)
        let error = #expect(throws: QZooError.self) {
            try NpyFile.readCheckpoint(path: NpyVectors.path(name), voidDType: nil)
        }
        #expect(error?.code.rawValue == code)
        #expect(error?.file == NpyVectors.path(name))
    }

    @Test func littleEndianCOrderArraysViewTheMap() throws {
        let tensor = try NpyFile.readTensor(path: NpyVectors.path("f4.npy"), voidDType: nil)
        #expect(tensor.offset == 128)
        #expect(tensor.storage.count == 128 + tensor.byteCount)
    }

    @Test func bigEndianAndFortranArraysAreCopiedIntoOwnedStorage() throws {
        for name in ["be_f4.npy", "fortran_f8.npy", "fortran_be_i4.npy"] {
            let tensor = try NpyFile.readTensor(path: NpyVectors.path(name), voidDType: nil)
            #expect(tensor.offset == 0, "\(name)")
            #expect(tensor.storage.count == tensor.byteCount, "\(name)")
        }
    }

    @Test func voidWidthMustMatchTheGivenDType() throws {
        let error = #expect(throws: QZooError.self) {
            try NpyFile.readCheckpoint(path: NpyVectors.path("bf16.npy"), voidDType: .f8e4m3)
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("V2") == true)
    }

    @Test func voidWithoutDTypeTellsTheUserWhatToPass() throws {
        let error = #expect(throws: QZooError.self) {
            try NpyFile.readCheckpoint(path: NpyVectors.path("f8_e4m3.npy"), voidDType: nil)
        }
        #expect(error?.message.contains("--npy-dtype") == true)
    }

    @Test func voidDTypeIsIgnoredForNumericArrays() throws {
        let tensor = try NpyFile.readTensor(path: NpyVectors.path("f2.npy"), voidDType: .bf16)
        #expect(tensor.dtype == .f16)
    }

    @Test func writingAnythingButOneTensorIsAnError() throws {
        let dir = try TemporaryDirectory()
        var checkpoint = Checkpoint()
        #expect(throws: QZooError.self) { try NpyFile.writeCheckpoint(checkpoint, to: dir.path + "/x.npy", overwrite: false) }
        try checkpoint.add("a", Tensor(shape: [1], floats: [1]))
        try checkpoint.add("b", Tensor(shape: [1], floats: [2]))
        let error = #expect(throws: QZooError.self) { try NpyFile.writeCheckpoint(checkpoint, to: dir.path + "/x.npy", overwrite: false) }
        #expect(error?.message.contains("2 tensors") == true)
    }

    @Test func singleFileTensorIsNamedAfterTheFile() throws {
        let dir = try TemporaryDirectory()
        var checkpoint = Checkpoint()
        try checkpoint.add("ignored", Tensor(shape: [2], floats: [1, 2]))
        try NpyFile.writeCheckpoint(checkpoint, to: dir.path + "/layer.0.weight.npy", overwrite: false)
        let back = try NpyFile.readCheckpoint(path: dir.path + "/layer.0.weight.npy", voidDType: nil)
        #expect(Array(back.tensors.keys) == ["layer.0.weight"])
        #expect(back.tensors["layer.0.weight"] == checkpoint.tensors["ignored"])
    }
}
