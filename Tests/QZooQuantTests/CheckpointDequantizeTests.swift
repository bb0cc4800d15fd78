import Testing
@testable import QZooCore
@testable import QZooQuant

@Suite struct CheckpointDequantizeTests {
    /// A 2×3 asymmetric 4-bit per-channel weight with hand-picked codes.
    static func weight(sourceDType: DType) throws -> QuantizedTensor {
        let codes: [UInt8] = [0, 3, 15, 8, 9, 1]
        let packed = BitPacking.pack(codes, bits: 4)
        return try QuantizedTensor(
            rows: 2, columns: 3, grid: AffineGrid(bits: 4, symmetric: false, granularity: .perChannel),
            codes: try Tensor(dtype: .u8, shape: [packed.count], bytes: packed), scales: try Tensor(shape: [2], floats: [0.5, 0.25]),
            zeroPoints: try Tensor(dtype: .u8, shape: [2], bytes: [3, 8]), sourceDType: sourceDType)
    }

    @Test func replacesQuantizedWeightsByFloatsInTheirSourceDType() throws {
        var checkpoint = Checkpoint(metadata: ["k": "v"])
        let bias = try Tensor(shape: [2], floats: [1, 2])
        try checkpoint.add("bias", bias)
        try checkpoint.add("w16", try Self.weight(sourceDType: .f16))
        try checkpoint.add("w32", try Self.weight(sourceDType: .f32))
        let dense = try checkpoint.dequantized()
        #expect(dense.quantized.isEmpty)
        #expect(dense.metadata == ["k": "v"])
        #expect(Array(dense.tensors.keys) == ["bias", "w16", "w32"])
        #expect(dense.tensors["bias"] == bias)
        // (q − z) · s per row: row 0 z=3 s=0.5, row 1 z=8 s=0.25.
        let expected: [Float] = [-1.5, 0, 6, 0, 0.25, -1.75]
        let w16 = try #require(dense.tensors["w16"])
        #expect(w16.dtype == .f16 && w16.shape == [2, 3])
        #expect(w16.floats() == expected)
        let w32 = try #require(dense.tensors["w32"])
        #expect(w32.dtype == .f32 && w32.floats() == expected)
    }
}
