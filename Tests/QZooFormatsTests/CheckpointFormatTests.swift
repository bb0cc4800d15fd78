import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats

@Suite struct CheckpointFormatTests {
    @Test func detectsQPackByMagicAndQDQJSONByName() throws {
        var checkpoint = Checkpoint()
        try checkpoint.add("w", try Fixtures.weight(bits: 4, symmetric: true, granularity: .perChannel, seed: 1))
        try TemporaryDirectory.use { directory in
            try QPackWriter.write(checkpoint, to: directory + "/model.bin", overwrite: false)
            #expect(try CheckpointFormat.detect(path: directory + "/model.bin") == .qpack)
            try QDQJSONWriter.write(QDQDocument(checkpoint: checkpoint), to: directory + "/model.qdq.json", overwrite: false)
            #expect(try CheckpointFormat.detect(path: directory + "/model.qdq.json") == .qdqJSON)
        }
        #expect(CheckpointFormat.forOutput(path: "out/m.qpack") == .qpack)
        #expect(CheckpointFormat.forOutput(path: "out/m.qdq.json") == .qdqJSON)
        #expect(CheckpointFormat.forOutput(path: "out/m.json") == nil)
        #expect(CheckpointFormat.allCases.filter(\.holdsQuantized) == [.qpack, .qdqJSON])
    }

    @Test func denseFormatsRefuseQuantizedWeightsSuggestingDequantize() throws {
        var checkpoint = Checkpoint()
        try checkpoint.add("w", try Fixtures.weight(bits: 4, symmetric: true, granularity: .perChannel, seed: 1))
        try TemporaryDirectory.use { directory in
            expectQZooError(.unsupported, containing: "--dequantize", tensor: "w") {
                try CheckpointIO.write(checkpoint, to: directory + "/m.safetensors", format: .safetensors)
            }
            try CheckpointIO.write(checkpoint, to: directory + "/m.qpack", format: .qpack)
            #expect(try CheckpointIO.read(path: directory + "/m.qpack").0.quantized["w"] == checkpoint.quantized["w"])
        }
    }
}
