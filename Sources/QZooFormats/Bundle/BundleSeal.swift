import Crypto
import QZooCore

/// The last 44 bytes of a bundle: a zstd *skippable frame* holding the SHA-256 of every byte
/// before it (formats/bundle.md).
///
/// zstd's own content checksum covers the decompressed data only; a flipped bit in a frame
/// header field the decoder tolerates (a larger window size, say) would go unnoticed. The seal
/// covers every compressed byte, and any change to the seal itself breaks its fixed layout or its
/// digest. zstd decoders (the `zstd` CLI, libarchive, `tar --zstd`) skip such frames.
public enum BundleSeal {
    /// Skippable-frame magic 0x184D2A5E, little-endian.
    static let magic: [UInt8] = [0x5E, 0x2A, 0x4D, 0x18]
    /// Frame content size (36), little-endian.
    static let frameSize: [UInt8] = [36, 0, 0, 0]
    static let tag = Array("QZS1".utf8)
    public static let byteCount = 44

    /// The seal for a bundle whose preceding bytes hash to `digest`.
    static func bytes(digest: SHA256.Digest) -> [UInt8] {
        magic + frameSize + tag + Array(digest)
    }

    /// Checks the seal at the end of `bytes`-long file `path`; `digest` is the SHA-256 of the
    /// file without its last `byteCount` bytes. Throws `.checksumMismatch` naming what is wrong.
    static func check(_ seal: [UInt8], digest: SHA256.Digest, file path: String) throws {
        guard seal.count == byteCount, Array(seal[0 ..< 12]) == magic + frameSize + tag else {
            throw QZooError.malformed("no qzoo bundle seal at the end of the file (not a qzoo bundle, truncated, or its last 44 bytes are damaged)", file: path)
        }
        let stored = SHA256Digest.hexString(seal[12...])
        let actual = SHA256Digest.hexString(digest)
        guard stored == actual else {
            throw QZooError(.checksumMismatch, "the bundle's bytes hash to \(actual) but its seal records \(stored): the file is damaged", file: path)
        }
    }
}
