import QZooCore

/// Writes `.npy` headers byte-for-byte as numpy ≥ 2 does (`numpy/lib/_format_impl.py`).
///
/// The dict has sorted keys and a trailing `, `; numpy then adds spare spaces so the first
/// dimension can grow in place (`GROWTH_AXIS_MAX_DIGITS` = 21 minus its digit count, none for
/// scalars), and pads with spaces plus a final `\n` so that magic, version, length and header
/// end on a 64-byte boundary (`ARRAY_ALIGN`), always adding at least one space. Version 1.0 is
/// used unless the header needs more than 65535 bytes, then 2.0; qzoo's headers are ASCII, so
/// 3.0 is never needed.
enum NpyHeaderEncoder {
    static let arrayAlign = 64
    static let growthAxisMaxDigits = 21

    static func header(dtype: DType, shape: [Int]) -> [UInt8] {
        var text = "{'descr': '\(NpyDescr.descr(for: dtype))', 'fortran_order': False, 'shape': \(shapeRepr(shape)), }"
        if let first = shape.first {
            text += String(repeating: " ", count: max(0, growthAxisMaxDigits - String(first).count))
        }
        let body = Array(text.utf8)
        return wrap(body, major: paddedLength(body.count, fieldSize: 2) <= Int(UInt16.max) ? 1 : 2)
    }

    /// Python's `repr` of a tuple of ints: `()`, `(5,)`, `(2, 3)`.
    static func shapeRepr(_ shape: [Int]) -> String {
        if shape.count == 1 { return "(\(shape[0]),)" }
        return "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    /// The header length field's value: text plus `\n` plus padding to the alignment.
    static func paddedLength(_ bodyCount: Int, fieldSize: Int) -> Int {
        let textLength = bodyCount + 1
        return textLength + arrayAlign - (NpyHeader.magic.count + 2 + fieldSize + textLength) % arrayAlign
    }

    /// Magic, version, length field and the space-padded, newline-terminated header.
    static func wrap(_ body: [UInt8], major: UInt8) -> [UInt8] {
        let fieldSize = major == 1 ? 2 : 4
        let length = paddedLength(body.count, fieldSize: fieldSize)
        var bytes = NpyHeader.magic + [major, 0]
        for shift in stride(from: 0, to: fieldSize * 8, by: 8) { bytes.append(UInt8(truncatingIfNeeded: length >> shift)) }
        bytes += body
        bytes += [UInt8](repeating: 0x20, count: length - body.count - 1)
        bytes.append(0x0A)
        return bytes
    }
}
