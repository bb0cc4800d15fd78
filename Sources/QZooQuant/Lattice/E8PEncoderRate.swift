import QZooMath

/// The E8P12 encoder's throughput, for `qzoo bench`: nearest codewords of Gaussian-like vectors
/// (a fixed pseudo-random set at the scale QuIP# codes at) per second, best of 3 runs, through
/// the eight-lane batch search that QuIP#'s rounding uses.
public enum E8PEncoderRate {
    /// The rate, and a checksum of the codes (returned so the work cannot be optimised away).
    public static func measure(vectors count: Int = 200_000) -> (vectorsPerSecond: Double, checksum: UInt64) {
        var state: UInt64 = 0x5EED
        func uniform() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
        // Sum of four uniforms, centred and scaled: close enough to N(0, 1) for timing.
        let inputs = (0..<count).map { _ in
            SIMD8<Float>((0..<8).map { _ in (uniform() + uniform() + uniform() + uniform() - 2) * 1.7 })
        }
        var best = Double.infinity
        var checksum: UInt64 = 0
        for _ in 0..<3 {
            let start = MonotonicClock.seconds()
            for first in stride(from: 0, to: count - count % 8, by: 8) {
                let codes = E8PEncoder.nearest(Octet { inputs[first + $0] }).codes
                checksum &+= UInt64(truncatingIfNeeded: codes.wrappedSum())
            }
            best = min(best, MonotonicClock.seconds() - start)
        }
        return (Double(count - count % 8) / best, checksum)
    }
}
