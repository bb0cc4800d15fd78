import Testing
@testable import QZooCore

@Suite struct SHA256Tests {
    func hex(_ text: String) -> String {
        Array(text.utf8).withUnsafeBytes { SHA256.hex($0) }
    }

    /// FIPS 180-4 example vectors (and the empty message).
    @Test func matchesStandardVectors() {
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func streamingInPiecesEqualsOneShot() {
        let message = Array((0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        var hasher = SHA256()
        for chunk in stride(from: 0, to: message.count, by: 37) {
            hasher.update(message[chunk..<min(chunk + 37, message.count)])
        }
        let streamed = SHA256.hexString(hasher.finalize())
        #expect(streamed == message.withUnsafeBytes { SHA256.hex($0) })
    }

    @Test func millionAs() {
        var hasher = SHA256()
        let block = [UInt8](repeating: 0x61, count: 1000)
        for _ in 0..<1000 { hasher.update(block) }
        #expect(SHA256.hexString(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func contentHashIgnoresOrderAndMetadataButNotValues() throws {
        let a = try Tensor(shape: [2], floats: [1, 2]), b = try Tensor(shape: [1], floats: [3])
        var first = Checkpoint(metadata: ["x": "1"])
        try first.add("a", a)
        try first.add("b", b)
        var second = Checkpoint()
        try second.add("b", b)
        try second.add("a", a)
        #expect(first.contentSHA256() == second.contentSHA256())
        second.tensors["b"] = try Tensor(shape: [1], floats: [4])
        #expect(first.contentSHA256() != second.contentSHA256())
    }
}
