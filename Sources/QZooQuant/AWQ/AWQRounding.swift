import QZooCore

/// Rounds a row-major weight onto its grid and back in place (the "pseudo-quantization" AWQ's
/// searches measure), with exactly the fits `RTNQuantizer` makes, so the searches judge the
/// rounding the final quantizer will do.
enum AWQRounding {
    /// Each run fitted to its own range, every value replaced by its grid value.
    static func roundTrip(_ values: UnsafeMutableBufferPointer<Float>, rows: Int, columns: Int, grid: AffineGrid) throws {
        guard let base = values.baseAddress else { return }
        let runs = ScaleRuns(rows: rows, columns: columns, granularity: grid.granularity)
        try runs.forEach { _, start, length in
            try roundTrip(UnsafeMutableBufferPointer(start: base + start, count: length), grid: grid)
        }
    }

    /// One run fitted to its min..max (widened to contain 0) and rounded, ties to even.
    @inline(__always)
    static func roundTrip(_ run: UnsafeMutableBufferPointer<Float>, grid: AffineGrid) throws {
        let (minimum, maximum) = extremes(run)
        let parameters = try AffineParameters(fitting: QuantizationRange(minimum: minimum, maximum: maximum, symmetric: grid.symmetric), grid: grid)
        let (scale, zero, top) = (parameters.scale, Float(parameters.zeroPoint), Float(grid.maxCode))
        for i in run.indices {
            let q = AffineParameters.clamp((run[i] / scale).rounded(.toNearestOrEven) + zero, top: top)
            run[i] = (q - zero) * scale
        }
    }

    /// Smallest and largest element in branch-free comparisons the compiler vectorizes (the
    /// searches call this for every run of every candidate).
    @inline(__always)
    static func extremes(_ run: UnsafeMutableBufferPointer<Float>) -> (Float, Float) {
        guard var low = run.first else { return (0, 0) }
        var high = low
        for value in run {
            low = value < low ? value : low
            high = value > high ? value : high
        }
        return (low, high)
    }
}
