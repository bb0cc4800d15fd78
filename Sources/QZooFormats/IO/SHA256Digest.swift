import Crypto
import QZooCore

/// SHA-256 digests as lowercase hex, the spelling qzoo's containers and manifests store.
///
/// One helper so every format hashes the same way and compares digests as text (a stored digest
/// with upper-case letters or the wrong length simply never matches).
public enum SHA256Digest {
    public static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        var hasher = SHA256()
        if bytes.count > 0 { hasher.update(bufferPointer: bytes) }
        return hexString(hasher.finalize())
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { hex($0) }
    }

    public static func hex(_ tensor: Tensor) -> String {
        tensor.withBytes { hex($0) }
    }

    /// The raw 32-byte digest (for binary headers).
    public static func raw(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256()
        if bytes.count > 0 { hasher.update(bufferPointer: bytes) }
        return Array(hasher.finalize())
    }

    /// SHA-256 of a checkpoint's dense tensors, in name order (UTF-8 bytes), each contributing
    /// `name NUL dtype NUL d0,d1,... NUL byteCount (u64 LE) bytes` (formats/calibration.md).
    ///
    /// Identifies the weights independently of file format, sharding, tensor order and
    /// metadata, so a calibration file can say which model it belongs to.
    public static func checkpoint(_ checkpoint: Checkpoint) -> String {
        var hasher = SHA256()
        let names = checkpoint.tensors.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        for name in names {
            guard let tensor = checkpoint.tensors[name] else { continue }
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            hasher.update(data: Array(name.utf8) + [0] + Array(tensor.dtype.rawValue.utf8) + [0] + Array(shape.utf8) + [0])
            var count = UInt64(tensor.byteCount).littleEndian
            withUnsafeBytes(of: &count) { hasher.update(bufferPointer: $0) }
            tensor.withBytes { if $0.count > 0 { hasher.update(bufferPointer: $0) } }
        }
        return hexString(hasher.finalize())
    }

    /// Whether `text` is a well-formed digest: 64 lowercase hex digits.
    public static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    static func hexString<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
