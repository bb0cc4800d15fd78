/// The fixed numbers of the qpack container (formats/qpack.md §2).
enum QPackLayout {
    /// "QZPK".
    static let magic: [UInt8] = [0x51, 0x5A, 0x50, 0x4B]
    /// The only version this reader understands; bumped on any incompatible change.
    static let version: UInt32 = 1
    /// Magic (4) + version (4) + index length (8) + SHA-256 of the index (32).
    static let preambleSize = 48
    /// Alignment of the data region and of every section, in bytes: a cache line and a
    /// multiple of every element size, so an mmap'ed section is usable in place by SIMD code.
    static let alignment = 64
    /// Largest index accepted (the same cap as safetensors headers).
    static let maxIndexLength = 100_000_000

    /// `value` rounded up to the next multiple of `alignment`, or nil on overflow.
    static func alignUp(_ value: Int) -> Int? {
        let remainder = value % alignment
        if remainder == 0 { return value }
        let (result, overflow) = value.addingReportingOverflow(alignment - remainder)
        return overflow ? nil : result
    }
}
