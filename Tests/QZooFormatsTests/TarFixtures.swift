import Crypto
@testable import QZooFormats

/// Hand-made tar archives for the hostile-bundle tests: ustar headers written byte by byte, so a
/// test can declare anything (a traversal path, a link, a device, a size with no data behind it).
enum TarFixtures {
    struct Entry {
        var name: String
        var type: UInt8 = UInt8(ascii: "0")
        var declaredSize: Int? = nil
        var data: [UInt8] = []
        var linkTarget = ""
    }

    static func header(_ entry: Entry) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
        }
        put(entry.name, at: 0, width: 100)
        put(octal(0o644, width: 8), at: 100, width: 7)
        put(octal(0, width: 8), at: 108, width: 7)
        put(octal(0, width: 8), at: 116, width: 7)
        put(octal(entry.declaredSize ?? entry.data.count, width: 12), at: 124, width: 11)
        put(octal(0, width: 12), at: 136, width: 11)
        block[156] = entry.type
        put(entry.linkTarget, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        for index in 148 ..< 156 { block[index] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7), at: 148, width: 6)
        block[154] = 0
        return block
    }

    static func tar(_ entries: [Entry]) -> [UInt8] {
        var out: [UInt8] = []
        for entry in entries {
            out += header(entry)
            out += entry.data
            out += [UInt8](repeating: 0, count: (512 - entry.data.count % 512) % 512)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    /// `tar` as a bundle file would hold it: compressed into one zstd frame and sealed, so a reader
    /// gets past the seal and the frame and meets the entries themselves.
    static func sealedBundle(_ tar: [UInt8]) throws -> [UInt8] {
        let encoder = try ZstdEncoder(level: 3, threads: 1)
        var frame: [UInt8] = []
        try tar.withUnsafeBytes { try encoder.compress($0) { frame.append(contentsOf: $0) } }
        try encoder.finish { frame.append(contentsOf: $0) }
        return frame + BundleSeal.bytes(digest: SHA256.hash(data: frame))
    }
}
