import Foundation
import Testing
import QZooCore
import QZooFormats
@testable import QZooQuant

/// RTN on all-MiniLM-L6-v2 (set QZOO_MODEL_DIR; run with `swift test -c release`): checks the
/// error ordering every sane quantizer shows and prints time, bits per weight and error.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["QZOO_MODEL_DIR"] != nil, "QZOO_MODEL_DIR is not set"))
struct RealModelQuantizationTests {
    struct Outcome {
        var seconds: Double
        var bitsPerWeight: Double
        var meanRelativeError: Double
        var count: Int
    }

    static func model() throws -> Checkpoint {
        let directory = ProcessInfo.processInfo.environment["QZOO_MODEL_DIR"] ?? ""
        return try CheckpointIO.read(path: directory + "/model.safetensors").0
    }

    func run(_ model: Checkpoint, bits: Int, granularity: Granularity, clip: Bool) throws -> Outcome {
        let quantizer = try RTNQuantizer(grid: AffineGrid(bits: bits, symmetric: false, granularity: granularity),
                                         clipSearch: clip ? ClipSearch() : nil)
        let clock = ContinuousClock()
        var result: CheckpointQuantization?
        let elapsed = try clock.measure { result = try quantizeCheckpoint(model, with: quantizer) }
        let reports = result?.reports ?? []
        let mean = reports.reduce(0) { $0 + $1.error.relativeRMS } / Double(max(reports.count, 1))
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let outcome = Outcome(seconds: seconds, bitsPerWeight: result?.bitsPerWeight ?? 0, meanRelativeError: mean, count: reports.count)
        let label = "\(bits)-bit \(granularity == .perChannel ? "per-channel" : "g128")\(clip ? " +clip" : "")"
        print("MiniLM RTN \(label): \(reports.count) tensors, \(String(format: "%.3f", outcome.seconds)) s, "
              + "\(String(format: "%.3f", outcome.bitsPerWeight)) bpw, mean rel. error \(String(format: "%.5f", mean))")
        return outcome
    }

    @Test func errorFallsWithBitsGroupsAndClipping() throws {
        let model = try Self.model()
        var previous: [Granularity: Outcome] = [:]
        for bits in [2, 3, 4, 8] {
            for granularity in [Granularity.perChannel, .group(size: 128)] {
                let plain = try run(model, bits: bits, granularity: granularity, clip: false)
                let clipped = try run(model, bits: bits, granularity: granularity, clip: true)
                #expect(plain.count == 37)
                if let coarser = previous[granularity] { #expect(plain.meanRelativeError < coarser.meanRelativeError) }
                #expect(clipped.meanRelativeError <= plain.meanRelativeError)
                previous[granularity] = plain
            }
            if let channel = previous[.perChannel], let grouped = previous[.group(size: 128)] {
                #expect(grouped.meanRelativeError < channel.meanRelativeError)
                #expect(grouped.bitsPerWeight > channel.bitsPerWeight)
            }
        }
        #expect((previous[.perChannel]?.meanRelativeError ?? 1) < 0.01)
    }
}
