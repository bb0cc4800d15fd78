import QZooCore

/// Dense little-endian bit packing of 1…8-bit codes.
///
/// Element `i` occupies bits `[i·b, (i+1)·b)` of the byte stream read as one little-endian
/// integer: for b = 4 element 0 is the low nibble, for b = 2 element 0 is the two lowest bits —
/// exactly ONNX's raw-data layout — and for b = 3 codes straddle byte boundaries. Trailing bits
/// of the last byte are zero.
public enum BitPacking {
    /// Packs `codes` (each must be < 2^bits; higher bits are masked off).
    public static func pack(_ codes: UnsafeBufferPointer<UInt8>, bits: Int) -> [UInt8] {
        let count = codes.count
        if bits == 8 { return Array(codes) }
        if bits == 4 { return packNibbles(codes) }
        var out = [UInt8](repeating: 0, count: (count * bits + 7) / 8)
        let mask = UInt16((1 << bits) - 1)
        out.withUnsafeMutableBufferPointer { bytes in
            var bitPosition = 0
            for code in codes {
                let value = UInt16(code) & mask
                let byte = bitPosition >> 3
                let shift = bitPosition & 7
                let shifted = value << UInt16(shift)
                bytes[byte] |= UInt8(truncatingIfNeeded: shifted)
                if shift + bits > 8 { bytes[byte + 1] |= UInt8(truncatingIfNeeded: shifted >> 8) }
                bitPosition += bits
            }
        }
        return out
    }

    /// The 4-bit case, two codes per byte (the common grid; the general loop is ~4× slower).
    private static func packNibbles(_ codes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let count = codes.count
        return [UInt8](unsafeUninitializedCapacity: (count + 1) / 2) { out, initialized in
            for i in 0..<(count / 2) { out[i] = (codes[2 * i] & 0x0F) | (codes[2 * i + 1] << 4) }
            if count % 2 == 1 { out[count / 2] = codes[count - 1] & 0x0F }
            initialized = (count + 1) / 2
        }
    }

    public static func pack(_ codes: [UInt8], bits: Int) -> [UInt8] {
        codes.withUnsafeBufferPointer { pack($0, bits: bits) }
    }

    /// Unpacks `count` codes from `packed`; the caller guarantees
    /// `packed.count >= ceil(count·bits/8)` (QuantizedTensor's validation does).
    public static func unpack(_ packed: UnsafeRawBufferPointer, count: Int, bits: Int, into out: UnsafeMutablePointer<UInt8>) {
        if bits == 8 {
            for i in 0..<count { out[i] = packed[i] }
            return
        }
        let mask = UInt16((1 << bits) - 1)
        var bitPosition = 0
        for i in 0..<count {
            let byte = bitPosition >> 3
            let shift = bitPosition & 7
            var window = UInt16(packed[byte])
            if shift + bits > 8 { window |= UInt16(packed[byte + 1]) << 8 }
            out[i] = UInt8(truncatingIfNeeded: (window >> UInt16(shift)) & mask)
            bitPosition += bits
        }
    }

    public static func unpack(_ packed: [UInt8], count: Int, bits: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        packed.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                unpack(raw, count: count, bits: bits, into: base)
            }
        }
        return out
    }
}
