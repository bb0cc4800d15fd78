import Testing
import QZooTestSupport
@testable import QZooCore
@testable import QZooFormats
import QZooQuant

/// Lattice-coded (QuIP#) weights in qpack: round trip, determinism, index corruptions, and the
/// QDQ JSON writer's refusal.
@Suite struct QPackLatticeTests {
    /// Record 0 is dense "a", record 1 the lattice weight "q" (E8P RVQ3, 24 × 40, with its RHT).
    static let lattice: [JSONStep] = [.key("tensors"), .index(1)]

    static func weight(_ codebook: LatticeCodebook, rows: Int = 24, columns: Int = 40, seed: UInt64 = 1) throws -> QuantizedTensor {
        var random = SplitMix64(seed: seed)
        let values = (0 ..< rows * columns).map { _ in Float(random.unit() * 2 - 1) }
        var hessian = [Double](repeating: 0, count: columns * columns)
        for i in 0..<columns { hessian[i * columns + i] = 1 + Double(i % 5) }
        let quantizer = try QuIPSharpQuantizer(parameters: QuIPSharpParameters(codebook: codebook, tunePasses: 1))
        return try HadamardIncoherence().quantizeWeight(name: "q", try Tensor(shape: [rows, columns], floats: values), hessian: hessian) {
            try quantizer.quantizeWeight(name: "q", $0, hessian: $1)
        }.tensor
    }

    static func checkpoint() throws -> Checkpoint {
        var checkpoint = Checkpoint(metadata: ["k": "v"])
        try checkpoint.add("a", try Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]))
        try checkpoint.add("q", try weight(.e8pRVQ3))
        return checkpoint
    }

    static func bytes(_ checkpoint: Checkpoint) throws -> [UInt8] {
        try TemporaryDirectory.use { directory in
            try QPackWriter.write(checkpoint, to: directory + "/q.qpack", overwrite: false)
            return try TestFiles.read(directory + "/q.qpack")
        }
    }

    @Test(arguments: LatticeCodebook.allCases)
    func roundTripKeepsCodesScaleAndSigns(codebook: LatticeCodebook) throws {
        var checkpoint = Checkpoint()
        let weight = try Self.weight(codebook)
        try checkpoint.add("q", weight)
        let file = try Self.bytes(checkpoint)
        let back = try QPackReader.read(storage: ByteStorage(owning: file))
        let read = try #require(back.quantized["q"])
        #expect(read == weight)
        #expect(read.codebook == codebook)
        #expect(try read.dequantize().floats() == (try weight.dequantize().floats()))
        #expect(Double(read.codes.byteCount * 8) / Double(24 * 40) == Double(codebook.bitsPerWeight))
        #expect(try Self.bytes(checkpoint) == file)
    }

    static let corruptions: [JSONCorruption] = [
        JSONCorruption(name: "unknown codebook", code: .unsupported, fragment: "lattice codebook \"e8p-rvq9\"", tensor: "q",
                       edit: JSONCorruption.set(lattice + [.key("scheme")], "codebook", .string("e8p-rvq9"))),
        JSONCorruption(name: "codebook not matching codes", code: .malformed, fragment: "codes must be U8 of shape", tensor: "q",
                       edit: JSONCorruption.set(lattice + [.key("scheme")], "codebook", .string("e8p"))),
        JSONCorruption(name: "columns not a multiple of 8", code: .malformed, fragment: "multiple of 8 columns", tensor: "q",
                       edit: JSONCorruption.set(lattice, "shape", .array([.int(24), .int(41)]))),
        JSONCorruption(name: "scale of the wrong shape", code: .malformed, fragment: "scales must be F32 of shape [1]", tensor: "q",
                       edit: JSONCorruption.set(lattice + [.key("scales")], "shape", .array([.int(1), .int(1)]))),
        JSONCorruption(name: "signs of the wrong length", code: .malformed, fragment: "I8 of shape [64]", tensor: "q",
                       edit: { index in
                           let data = lattice + [.key("transforms"), .index(0), .key("data")]
                           return JSONCorruption.set(data, "length", .int(63))(JSONCorruption.set(data, "shape", .array([.int(63)]))(index))
                       }),
        JSONCorruption(name: "unknown scheme member", code: .malformed, fragment: "unexpected field \"bits\"", tensor: "q",
                       edit: JSONCorruption.set(lattice + [.key("scheme")], "bits", .int(2))),
        JSONCorruption(name: "zero points on a lattice", code: .malformed, fragment: "unexpected field \"zero_points\"", tensor: "q",
                       edit: JSONCorruption.set(lattice, "zero_points", .null)),
    ]

    @Test(arguments: corruptions)
    func corruptLatticeIndexIsRejected(_ corruption: JSONCorruption) throws {
        let corrupt = try QPackSurgery.editIndex(try Self.bytes(try Self.checkpoint()), corruption.edit)
        expectQZooError(corruption.code, containing: corruption.fragment, tensor: corruption.tensor) {
            _ = try QPackReader.read(storage: ByteStorage(owning: corrupt))
        }
    }

    @Test func signsOtherThanPlusOrMinusOneAreRejected() throws {
        let checkpoint = try Self.checkpoint()
        let signsStart = try #require(try QPackSurgery.split(try Self.bytes(checkpoint)).index
            .objectMembers?.first { $0.key == "tensors" }?.value.arrayValue?[1].objectMembers?
            .first { $0.key == "transforms" }?.value.arrayValue?[0].objectMembers?
            .first { $0.key == "data" }?.value.objectMembers?.first { $0.key == "offset" }?.value.intValue)
        let corrupt = try QPackSurgery.editData(try Self.bytes(checkpoint)) { data in data[signsStart + 3] = 0 }
        expectQZooError(.malformed, containing: "+1 or −1", tensor: "q") {
            _ = try QPackReader.read(storage: ByteStorage(owning: corrupt))
        }
    }

    @Test func rotationOnASizeWithoutHadamardIsRejected() throws {
        let codes = try Tensor(dtype: .u8, shape: [44 * 16 / 8 * 2], bytes: [UInt8](repeating: 0, count: 44 * 16 / 8 * 2))
        let signs = try Tensor(dtype: .i8, shape: [60], bytes: [UInt8](repeating: 1, count: 60))
        #expect(throws: QZooError.self) {
            try QuantizedTensor(rows: 44, columns: 16, lattice: .e8p, codes: codes, scale: try Tensor(shape: [1], floats: [1]),
                                transforms: [.randomizedHadamard(signs)])
        }
    }

    @Test func qdqJSONRefusesLatticeWeights() throws {
        let checkpoint = try Self.checkpoint()
        _ = try TemporaryDirectory.use { directory in
            expectQZooError(.unsupported, containing: "QDQ JSON", tensor: "q") {
                try QDQJSONWriter.write(QDQDocument(checkpoint: checkpoint), to: directory + "/q.qdq.json", overwrite: false)
            }
        }
    }
}
