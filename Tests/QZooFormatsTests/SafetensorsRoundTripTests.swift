import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats

@Suite struct SafetensorsRoundTripTests {
    @Test func writesAndReadsBackEveryDType() throws {
        let dir = try TemporaryDirectory()
        var checkpoint = Checkpoint(metadata: ["format": "pt", "b": "2"])
        for (i, dtype) in DType.allCases.enumerated() {
            let bytes = (0..<(6 * dtype.byteSize)).map { UInt8(truncatingIfNeeded: $0 * 7 + i) }
            try checkpoint.add("t.\(dtype.rawValue.lowercased())", try Tensor(dtype: dtype, shape: [2, 3], bytes: bytes))
        }
        try checkpoint.add("scalar", try Tensor(dtype: .f32, shape: [], bytes: [0, 0, 128, 63]))
        try checkpoint.add("empty", try Tensor(dtype: .f16, shape: [0, 4], bytes: []))
        let path = dir.path + "/all.safetensors"
        try SafetensorsWriter.write(checkpoint, to: path, overwrite: false)
        let back = try SafetensorsReader.read(path: path)
        #expect(back.metadata == checkpoint.metadata)
        #expect(Set(back.tensors.keys) == Set(checkpoint.tensors.keys))
        for (name, tensor) in checkpoint.tensors { #expect(back.tensors[name] == tensor) }
    }

    @Test func refusesToOverwriteWithoutForce() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/a.safetensors"
        try SafetensorsWriter.write(Checkpoint(), to: path, overwrite: false)
        #expect(throws: QZooError.self) { try SafetensorsWriter.write(Checkpoint(), to: path, overwrite: false) }
        try SafetensorsWriter.write(Checkpoint(), to: path, overwrite: true)
    }
}
