import Testing
import QZooTestSupport
@testable import QZooQuant

@Suite struct BitPackingTests {
    @Test(arguments: 1...8)
    func roundTripsEveryWidthAndOddLengths(bits: Int) {
        var generator = SplitMix64(seed: UInt64(bits))
        for count in [0, 1, 2, 3, 5, 7, 8, 9, 13, 31, 64, 127, 1001] {
            let codes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) & UInt8((1 << bits) - 1) }
            let packed = BitPacking.pack(codes, bits: bits)
            #expect(packed.count == (count * bits + 7) / 8)
            #expect(BitPacking.unpack(packed, count: count, bits: bits) == codes)
        }
    }

    @Test func matchesONNXRawDataLayout() {
        // ONNX int4 [1, -2, 7] as uint4 codes [1, 14, 7] packs to e1 07; int2 [1,-2,1,0,-1] → 19 03.
        #expect(BitPacking.pack([1, 14, 7], bits: 4) == [0xE1, 0x07])
        #expect(BitPacking.pack([1, 2, 1, 0, 3], bits: 2) == [0x19, 0x03])
    }

    @Test func packsThreeBitCodesAcrossBytes() {
        // 8 codes × 3 bits = 24 bits: 0b111_110_101_100_011_010_001_000 read LSB first.
        let packed = BitPacking.pack([0, 1, 2, 3, 4, 5, 6, 7], bits: 3)
        #expect(packed == [0x88, 0xC6, 0xFA])
    }
}
