import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats

/// Checkpoint → npz / npy-dir → checkpoint must give back every byte, for every dtype.
@Suite struct NpyRoundTripTests {
    /// Tensors of `dtype` covering a scalar, an empty array, a matrix and a nested name, filled
    /// with bytes that differ per tensor and dtype (every bit pattern, including NaNs, must survive).
    static func checkpoint(_ dtype: DType) throws -> Checkpoint {
        var checkpoint = Checkpoint()
        let shapes: [(String, [Int])] = [("scalar", []), ("empty", [0, 3]), ("layer.0.weight", [3, 5]), ("enc/block.1/bias", [7])]
        for (index, (name, shape)) in shapes.enumerated() {
            let count = shape.reduce(1, *) * dtype.byteSize
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ index &* 11 &+ dtype.byteSize) }
            try checkpoint.add(name + "." + dtype.rawValue.lowercased(), Tensor(dtype: dtype, shape: shape, bytes: bytes))
        }
        return checkpoint
    }

    static func mixedNonVoid() throws -> Checkpoint {
        var mixed = Checkpoint()
        for dtype in DType.allCases where ![.bf16, .f8e4m3, .f8e5m2].contains(dtype) {
            for (name, tensor) in try checkpoint(dtype).tensors { try mixed.add(name, tensor) }
        }
        return mixed
    }

    static func expectIdentical(_ back: Checkpoint, _ original: Checkpoint) {
        #expect(Set(back.tensors.keys) == Set(original.tensors.keys))
        for (name, tensor) in original.tensors { #expect(back.tensors[name] == tensor, "\(name)") }
    }

    @Test(arguments: DType.allCases)
    func npzRoundTripIsBitIdentical(_ dtype: DType) throws {
        let dir = try TemporaryDirectory()
        let original = try Self.checkpoint(dtype)
        try NpzArchive.write(original, to: dir.path + "/m.npz", overwrite: false)
        let back = try NpzArchive.read(path: dir.path + "/m.npz", voidDType: dtype)
        #expect(Array(back.tensors.keys) == Array(original.tensors.keys))
        Self.expectIdentical(back, original)
    }

    @Test(arguments: DType.allCases)
    func npyDirectoryRoundTripIsBitIdentical(_ dtype: DType) throws {
        let dir = try TemporaryDirectory()
        let original = try Self.checkpoint(dtype)
        try NpyDirectory.write(original, to: dir.path + "/m", overwrite: false)
        Self.expectIdentical(try NpyDirectory.read(path: dir.path + "/m", voidDType: dtype), original)
    }

    /// bf16 and both float8 types are written as void descrs, so a checkpoint mixing all other
    /// dtypes with one of them reads back once that one is named, and only then.
    @Test func mixedCheckpointNeedsNoDTypeWithoutVoidArrays() throws {
        let dir = try TemporaryDirectory()
        var original = try Self.mixedNonVoid()
        for (name, tensor) in try Self.checkpoint(.bf16).tensors { try original.add(name, tensor) }
        try NpzArchive.write(original, to: dir.path + "/m.npz", overwrite: false)
        let error = #expect(throws: QZooError.self) { try NpzArchive.read(path: dir.path + "/m.npz", voidDType: nil) }
        #expect(error?.tensor != nil)
        let back = try NpzArchive.read(path: dir.path + "/m.npz", voidDType: .bf16)
        #expect(throws: QZooError.self) { try NpzArchive.read(path: dir.path + "/m.npz", voidDType: .f8e4m3) }
        Self.expectIdentical(back, original)
    }

    @Test func npzToNpyDirectoryAndBack() throws {
        let dir = try TemporaryDirectory()
        let original = try Self.checkpoint(.f32)
        try NpzArchive.write(original, to: dir.path + "/a.npz", overwrite: false)
        let viaNpz = try NpzArchive.read(path: dir.path + "/a.npz", voidDType: nil)
        try CheckpointIO.write(viaNpz, to: dir.path + "/d", format: .npyDirectory)
        let (viaDirectory, format) = try CheckpointIO.read(path: dir.path + "/d")
        #expect(format == .npyDirectory)
        try CheckpointIO.write(viaDirectory, to: dir.path + "/b.npz", format: .npz)
        let (final, finalFormat) = try CheckpointIO.read(path: dir.path + "/b.npz")
        #expect(finalFormat == .npz)
        Self.expectIdentical(final, original)
    }
}
