import Foundation
import Testing
import QZooCore
import QZooFormats
import QZooTestSupport
@testable import QZooQuant

/// The E8P12 codebook's construction, its layout against a numpy transcription of quip-sharp
/// (`formats/vectors/make_e8p_vectors.py`) and the fast encoder against brute force.
@Suite struct E8PCodebookTests {
    static let codewords = E8PCodebook.allCodewords()

    static func golden() throws -> [(key: String, value: JSONValue)] {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        let path = parts.joined(separator: "/") + "/formats/vectors/e8p/e8p.json"
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        return try #require(try JSONParser.parse(bytes).objectMembers)
    }

    static func littleEndianBytes(_ points: [SIMD8<Float>]) -> [UInt8] {
        points.flatMap { point in (0..<8).flatMap { i in withUnsafeBytes(of: point[i].bitPattern.littleEndian, Array.init) } }
    }

    @Test func sourcesAre227DerivedAnd29Listed() {
        let sources = E8PSourcePatterns.doubled
        #expect(sources.count == 256)
        #expect(Set(sources).count == 256)
        var histogram: [Int: Int] = [:]
        for pattern in sources.prefix(227) { histogram[pattern.reduce(0) { $0 + $1 * $1 } / 4, default: 0] += 1 }
        #expect(histogram == [2: 1, 4: 8, 6: 28, 8: 64, 10: 126])
        #expect(sources.suffix(29).allSatisfy { $0.reduce(0) { $0 + $1 * $1 } == 48 })
    }

    @Test func has65536DistinctCodewordsInE8PlusAQuarter() {
        var seen = Set<SIMD8<Int32>>()
        var outside = 0
        for point in Self.codewords {
            let quarters = SIMD8<Int32>(point * 4, rounding: .toNearestOrEven)
            seen.insert(quarters)
            // point − ¼ must be in E8: all integers or all half-integers, with an even sum.
            let lattice = point - 0.25
            let doubled = SIMD8<Int32>(lattice * 2, rounding: .toNearestOrEven)
            let allInteger = (0..<8).allSatisfy { doubled[$0] % 2 == 0 }
            let allHalf = (0..<8).allSatisfy { doubled[$0] % 2 != 0 }
            let evenSum = doubled.wrappedSum() % 4 == 0
            if !((allInteger || allHalf) && evenSum) || SIMD8<Float>(doubled) * 0.5 != lattice { outside += 1 }
        }
        #expect(seen.count == 65536)
        #expect(outside == 0)
        let meanSquare = Self.codewords.reduce(0.0) { $0 + Double(($1 * $1).sum()) } / (65536 * 8)
        #expect(abs(meanSquare - 1.196) < 0.001, "per-dimension mean square \(meanSquare)")
    }

    @Test func layoutMatchesTheNumpyTranscriptionOfQuipSharp() throws {
        let golden = try Self.golden()
        let digest = golden.first { $0.key == "e8p_sha256" }?.value.stringValue
        #expect(SHA256Digest.hex(Self.littleEndianBytes(Self.codewords)) == digest)
        let samples = try #require(golden.first { $0.key == "e8p_samples" }?.value.objectMembers)
        for (code, values) in samples {
            let expected = (values.arrayValue ?? []).compactMap { $0.doubleValue.map(Float.init) }
            let decoded = E8PCodebook.decode(UInt16(code) ?? 0)
            #expect((0..<8).map { decoded[$0] } == expected, "code \(code)")
        }
        let e81b = golden.first { $0.key == "e81b_sha256" }?.value.stringValue
        #expect(E81BGrid.points.count == 256)
        #expect(SHA256Digest.hex(Self.littleEndianBytes(E81BGrid.points)) == e81b)
    }

    /// Index of the nearest codeword by scanning all 2¹⁶ (float64 distances).
    static func bruteForce(_ x: SIMD8<Float>) -> (code: Int, distance: Double) {
        var best = 0, bestDistance = Double.infinity
        for (code, point) in codewords.enumerated() {
            var distance = 0.0
            for i in 0..<8 { let d = Double(x[i]) - Double(point[i]); distance += d * d }
            if distance < bestDistance { (best, bestDistance) = (code, distance) }
        }
        return (best, bestDistance)
    }

    @Test(arguments: [0.3, 1.0, 1.6, 3.0])
    func fastEncoderEqualsBruteForce(scale: Double) {
        var random = SplitMix64(seed: 0xE8 + UInt64(scale * 10))
        var mismatches: [String] = []
        for _ in 0..<600 {
            var x = SIMD8<Float>()
            for i in 0..<8 { x[i] = Float(random.gaussian() * scale) }
            let fast = E8PEncoder.nearest(x)
            let reference = Self.bruteForce(x)
            let fastPoint = Self.codewords[Int(fast.code)]
            var fastDistance = 0.0
            for i in 0..<8 { let d = Double(x[i]) - Double(fastPoint[i]); fastDistance += d * d }
            // Equal codes, or (never seen, but float rounding could allow it) an exact-distance tie.
            if Int(fast.code) != reference.code && abs(fastDistance - reference.distance) > 1e-9 {
                mismatches.append("x \(x): fast \(fast.code) at \(fastDistance), brute force \(reference.code) at \(reference.distance)")
            }
            if fast.value != fastPoint { mismatches.append("x \(x): value \(fast.value) is not codeword \(fast.code)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
    }

    @Test func residualCodebooksDecodeWhatTheyEncode() {
        var random = SplitMix64(seed: 34)
        for codebook in LatticeCodebook.allCases {
            var single = 0.0, total = 0.0
            for _ in 0..<300 {
                var x = SIMD8<Float>()
                for i in 0..<8 { x[i] = Float(random.gaussian()) }
                let (value, code) = codebook.quantize(x)
                #expect(codebook.decode(code) == value)
                let first = E8PEncoder.nearest(x).value
                single += Double(((x - first) * (x - first)).sum())
                total += Double(((x - value) * (x - value)).sum())
            }
            // A second stage must remove most of the first stage's error.
            if codebook != .e8p { #expect(total < 0.5 * single, "\(codebook): \(total) vs \(single)") }
        }
    }
}

extension SplitMix64 {
    /// A standard normal sample (Box–Muller).
    mutating func gaussian() -> Double {
        let u = max(unit(), 1e-300), v = unit()
        return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
    }
}
