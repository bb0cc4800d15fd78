import Crypto
import QZooCore

/// SHA-256 digests recorded as provenance in the files qzoo writes (lowercase hex).
enum ContentHash {
    /// The digest of a file's or the built-in corpus's bytes.
    static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        var hasher = SHA256()
        if bytes.count > 0 { hasher.update(bufferPointer: bytes) }
        return hexString(hasher.finalize())
    }

    /// SHA-256 of a checkpoint's dense tensors, in name order (UTF-8 bytes), each contributing
    /// `name NUL dtype NUL d0,d1,... NUL byteCount (u64 LE) bytes` (formats/calibration.md).
    ///
    /// Identifies the weights independently of file format, sharding, tensor order and
    /// metadata, so a calibration file can say which model it belongs to.
    static func checkpoint(_ checkpoint: Checkpoint) -> String {
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

    static func hexString<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: digest.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }, as: UTF8.self)
    }
}
