import Foundation
import QZooCore
import QZooMath

/// The scale AWQ chose for one scale group, and why.
public struct AWQScaleChoice: Sendable, Equatable {
    /// Per input channel; the consumers' columns are multiplied by it.
    public var scales: [Float]
    public var ratio: Double
    /// `Σ tr(ΔW H ΔWᵀ)` over the group's linears at the chosen ratio, and at ratio 0 (no scaling).
    public var loss: Double
    public var unscaledLoss: Double
}

/// AWQ's activation-aware scale search (llm-awq `_search_module_scale`) for one scale group.
///
/// For each ratio `α ∈ {0, 1/n, …, (n−1)/n}`: `s = max(x̄^α, 1e-4)` with `x̄` the mean |x| per
/// input channel (duo scaling: `x̄^α / (w̄^(1−α) + 1e-4)`, `w̄` the mean over rows of |W| relative
/// to its group's max), normalised by `√(max s · min s)`; every consumer is rounded as
/// `Q(W·diag(s))·diag(1/s)`, and the loss is the output error on the calibration inputs,
/// `Σ tr(ΔW H ΔWᵀ)` (the reference measures the same on cached activations). The first
/// smallest loss wins.
public struct AWQScaleSearch: Sendable {
    public let parameters: AWQParameters

    public init(parameters: AWQParameters) throws {
        try parameters.validate()
        self.parameters = parameters
    }

    /// `weights`: the group's consumers, each row-major `[rows, columns]` (rows = count / columns);
    /// `hessian`: `XᵀX/n` of their shared input; `absMean`: mean |x| per input channel.
    public func search(weights: [[Float]], columns: Int, hessian: [Double], absMean: [Float]) throws -> AWQScaleChoice {
        guard columns > 0, !weights.isEmpty, weights.allSatisfy({ !$0.isEmpty && $0.count % columns == 0 }),
              hessian.count == columns * columns, absMean.count == columns else {
            throw QZooError(.invalidArgument, "awq: the weights, Hessian (\(hessian.count)) and activation means (\(absMean.count)) do not fit \(columns) input channels")
        }
        guard absMean.allSatisfy({ $0.isFinite && $0 >= 0 }), hessian.allSatisfy(\.isFinite) else {
            throw QZooError.malformed("awq: the calibration statistics hold non-finite or negative values")
        }
        let stacked = weights.flatMap { $0 }
        let rows = stacked.count / columns
        let weightMean = parameters.duoScaling ? Self.relativeMagnitudeMean(stacked, rows: rows, columns: columns, grid: parameters.grid) : nil
        var error = OutputError(hessian: hessian, n: columns)
        var delta = [Float](repeating: 0, count: stacked.count)
        var best: AWQScaleChoice?
        var unscaled = Double.nan
        for step in 0..<parameters.nGrid {
            let ratio = Double(step) / Double(parameters.nGrid)
            let s = Self.scales(absMean: absMean, weightMean: weightMean, ratio: ratio)
            try Self.roundingError(stacked, rows: rows, columns: columns, scales: s, grid: parameters.grid, into: &delta)
            let loss = try delta.withUnsafeBufferPointer { try error($0, rows: rows) }
            if step == 0 { unscaled = loss }
            if loss < best?.loss ?? .infinity {
                best = AWQScaleChoice(scales: s, ratio: ratio, loss: loss, unscaledLoss: unscaled)
            }
        }
        guard let best else {
            throw QZooError.malformed("awq: every ratio gave a non-finite loss (the weights or statistics are degenerate)")
        }
        return best
    }

    /// The candidate scales for one ratio, normalised so that `max · min = 1`; non-finite
    /// values (duo scaling on an all-zero column) become 1.
    static func scales(absMean: [Float], weightMean: [Float]?, ratio: Double) -> [Float] {
        var s = absMean.indices.map { j -> Double in
            var value = pow(Double(absMean[j]), ratio)
            if let weightMean { value /= pow(Double(weightMean[j]), 1 - ratio) + 1e-4 }
            value = max(value, 1e-4)
            return value.isFinite ? value : 1
        }
        let norm = ((s.max() ?? 1) * (s.min() ?? 1)).squareRoot()
        if norm > 0, norm.isFinite { s = s.map { $0 / norm } }
        return s.map { Float($0) }
    }

    /// `delta = Q(W·diag(s))·diag(1/s) − W`, rows split across the cores (the syrk that
    /// follows is BLAS-threaded; this part would otherwise run on one core).
    static func roundingError(_ weight: [Float], rows: Int, columns: Int, scales: [Float], grid: AffineGrid,
                              into delta: inout [Float]) throws {
        let ranges = rowPartRanges(count: rows, parts: 2)
        try delta.withUnsafeMutableBufferPointer { d in
            nonisolated(unsafe) let out = d
            try weight.withUnsafeBufferPointer { w in
                try scales.withUnsafeBufferPointer { s in
                    nonisolated(unsafe) let (weights, factors) = (w, s)
                    _ = try parallelMap(count: ranges.count) { part in
                        try roundingError(weights, rows: ranges[part], columns: columns, scales: factors, grid: grid, into: out)
                    }
                }
            }
        }
    }

    static func roundingError(_ w: UnsafeBufferPointer<Float>, rows: Range<Int>, columns: Int, scales s: UnsafeBufferPointer<Float>,
                              grid: AffineGrid, into d: UnsafeMutableBufferPointer<Float>) throws {
        guard let base = d.baseAddress else { return }
        for r in rows {
            let row = r * columns
            for c in 0..<columns { d[row + c] = w[row + c] * s[c] }
        }
        let block = UnsafeMutableBufferPointer(start: base + rows.lowerBound * columns, count: rows.count * columns)
        try AWQRounding.roundTrip(block, rows: rows.count, columns: columns, grid: grid)
        for r in rows {
            let row = r * columns
            for c in 0..<columns { d[row + c] = d[row + c] / s[c] - w[row + c] }
        }
    }

    /// AutoAWQ's `w_mean`: per column, the mean over rows of |W| divided by the max |W| of the
    /// value's quantization run (group or row).
    static func relativeMagnitudeMean(_ weight: [Float], rows: Int, columns: Int, grid: AffineGrid) -> [Float] {
        var sums = [Double](repeating: 0, count: columns)
        let runs = ScaleRuns(rows: rows, columns: columns, granularity: grid.granularity)
        runs.forEach { _, start, length in
            let peak = weight[start ..< start + length].reduce(Float(0)) { max($0, abs($1)) } + 1e-6
            for i in start ..< start + length { sums[i % columns] += Double(abs(weight[i]) / peak) }
        }
        return sums.map { Float($0 / Double(rows)) }
    }
}
