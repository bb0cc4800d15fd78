import QZooCore

/// A search for the clipping range of each run that minimises `Σ |Q(x) − x|^norm`.
///
/// Rounding to the full min–max range wastes levels on rare outliers; shrinking the range clips
/// them but rounds everything else more finely. Like the reference GPTQ quantizer's `mse`
/// option, this tries `p = 1 − i/grid` for `i ∈ 0 ..< maxShrink·grid` (80 steps by default),
/// fits the parameters to the range scaled by `p`, and keeps the first `p` with the smallest
/// error. `p = 1` is the unclipped fit, so the search never does worse than no search (up to the
/// 5e-7 relative accuracy of the power it sums).
public struct ClipSearch: Sendable, Equatable {
    /// Candidate spacing: shrink factors step by `1/grid`.
    public let grid: Int
    /// The smallest factor tried is about `1 − maxShrink`.
    public let maxShrink: Double
    /// The exponent of the error; above 2 it weights large errors (clipped outliers) more.
    public let norm: Double

    /// The reference settings: grid 100, maxShrink 0.8, norm 2.4.
    public init() {
        grid = 100
        maxShrink = 0.8
        norm = 2.4
    }

    /// Other settings, checked here so that no invalid search exists.
    public init(grid: Int, maxShrink: Double, norm: Double) throws {
        guard (1...10_000).contains(grid) else {
            throw QZooError(.invalidArgument, "clip search grid must be 1...10000, got \(grid)")
        }
        guard maxShrink >= 0, maxShrink < 1 else {
            throw QZooError(.invalidArgument, "clip search maxShrink must be in [0, 1), got \(maxShrink)")
        }
        guard norm > 0, norm <= 64 else {
            throw QZooError(.invalidArgument, "clip search norm must be in (0, 64], got \(norm)")
        }
        self.grid = grid
        self.maxShrink = maxShrink
        self.norm = norm
    }

    /// The shrink factors tried, largest first (always at least `1`).
    public var factors: [Float] {
        let steps = Swift.max(1, Int(maxShrink * Double(grid)))
        return (0..<steps).map { Float(1 - Double($0) / Double(grid)) }
    }

    /// The best parameters for `values` (finite, non-empty) whose unclipped range is `range`.
    func parameters(for values: UnsafeBufferPointer<Float>, range: QuantizationRange, grid affine: AffineGrid) throws -> AffineParameters {
        let power = PowerApproximation(exponent: Float(norm))
        // Errors are measured relative to the range's magnitude so their powers stay in range.
        let inverseMagnitude = 1 / Swift.max(range.magnitude, Float.leastNormalMagnitude)
        var best = try AffineParameters(fitting: range, grid: affine)
        var bestError = Double.infinity
        for factor in factors {
            let candidate = try AffineParameters(fitting: range.shrunk(by: factor), grid: affine)
            let error = Self.error(values, candidate, maxCode: affine.maxCode, inverseMagnitude: inverseMagnitude, power: power)
            if error < bestError {
                bestError = error
                best = candidate
            }
        }
        return best
    }

    /// `Σ |(Q(x) − x) / magnitude|^norm` for one candidate. Each chunk's terms go to a small
    /// buffer first: that loop has no reduction, so the compiler vectorizes it; the buffer is
    /// then summed eight lanes at a time and the chunk sums in float64.
    static func error(_ values: UnsafeBufferPointer<Float>, _ parameters: AffineParameters, maxCode: Int,
                      inverseMagnitude: Float, power: PowerApproximation) -> Double {
        guard let base = values.baseAddress else { return 0 }
        let scale = parameters.scale, zero = Float(parameters.zeroPoint), top = Float(maxCode)
        let chunk = 512
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: chunk) { buffer in
            guard let terms = buffer.baseAddress else { return 0 }
            var total = 0.0
            var start = 0
            while start < values.count {
                let length = Swift.min(chunk, values.count - start)
                let x = base + start
                for i in 0..<length {
                    let q = AffineParameters.clamp((x[i] / scale).rounded(.toNearestOrEven) + zero, top: top)
                    terms[i] = power(Swift.abs(((q - zero) * scale - x[i]) * inverseMagnitude))
                }
                total += sum(terms, length)
                start += length
            }
            return total
        }
    }

    private static func sum(_ terms: UnsafePointer<Float>, _ count: Int) -> Double {
        var lanes = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            lanes += UnsafeRawPointer(terms + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var total = Double(lanes.sum())
        while i < count {
            total += Double(terms[i])
            i += 1
        }
        return total
    }
}
