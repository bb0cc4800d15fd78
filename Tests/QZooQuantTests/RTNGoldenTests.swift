import Testing
import QZooCore
import QZooFormats
@testable import QZooQuant

/// RTN against `formats/vectors/rtn/rtn.safetensors`, made by a numpy transcription of the
/// reference GPTQ quantizer (`formats/vectors/make_rtn_vectors.py`).
@Suite struct RTNGoldenTests {
    static let configurations: [(name: String, grid: AffineGrid, clip: Bool)] = [
        ("a4_g8", AffineGrid(bits: 4, symmetric: false, granularity: .group(size: 8)), false),
        ("s3_channel", AffineGrid(bits: 3, symmetric: true, granularity: .perChannel), false),
        ("a8_tensor", AffineGrid(bits: 8, symmetric: false, granularity: .perTensor), false),
        ("s4_channel", AffineGrid(bits: 4, symmetric: true, granularity: .perChannel), false),
        ("a2_channel_clip", AffineGrid(bits: 2, symmetric: false, granularity: .perChannel), true),
        ("s4_g8_clip", AffineGrid(bits: 4, symmetric: true, granularity: .group(size: 8)), true),
        ("a3_tensor_clip", AffineGrid(bits: 3, symmetric: false, granularity: .perTensor), true),
    ]

    static var vectorPath: String {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/formats/vectors/rtn/rtn.safetensors"
    }

    @Test(arguments: configurations.map(\.name))
    func matchesTheNumpyReference(name: String) throws {
        let (vectors, _) = try CheckpointIO.read(path: Self.vectorPath)
        let configuration = try #require(Self.configurations.first { $0.name == name })
        let weight = try #require(vectors.tensors["weight"])
        let quantizer = try RTNQuantizer(grid: configuration.grid, clipSearch: configuration.clip ? ClipSearch() : nil)
        let quantized = try quantizer.quantize(weight)
        #expect(quantized.unpackedCodes() == vectors.tensors[name + ".codes"]?.bytes)
        #expect(quantized.scales == vectors.tensors[name + ".scales"])
        #expect(quantized.zeroPoints == vectors.tensors[name + ".zeros"])
    }
}
