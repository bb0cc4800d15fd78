import QZooCore
import QZooMath

/// Accumulates the statistics of every scale group's input during forward passes: the
/// float64 Gram matrix `XᵀX` (BLAS dsyrk, upper triangle), per-channel max |x| and sum |x|,
/// and the token count. Linear layers that share an input share one accumulation.
public struct CalibrationAccumulator: LinearInputObserver {
    public let architecture: BertArchitecture
    private(set) var groups: [GroupSums]
    private var scratch: [Double] = []

    struct GroupSums {
        var width: Int
        var tokens = 0
        var gramUpper: [Double]
        var absMax: [Float]
        var absSum: [Double]

        init(width: Int) {
            self.width = width
            gramUpper = [Double](repeating: 0, count: width * width)
            absMax = [Float](repeating: 0, count: width)
            absSum = [Double](repeating: 0, count: width)
        }
    }

    public init(architecture: BertArchitecture) {
        self.architecture = architecture
        groups = architecture.scaleGroups.map { GroupSums(width: $0.inFeatures) }
    }

    public mutating func observe(group: Int, input: UnsafeBufferPointer<Float>, rows: Int, columns: Int) throws {
        guard groups.indices.contains(group), groups[group].width == columns, input.count >= rows * columns else {
            throw QZooError(.invalidArgument, "calibration input for group \(group) is \(rows)×\(columns); the model expects width \(groups.indices.contains(group) ? groups[group].width : 0)")
        }
        guard rows > 0 else { return }
        if scratch.count < rows * columns { scratch = [Double](repeating: 0, count: rows * columns) }
        for i in 0..<rows * columns { scratch[i] = Double(input[i]) }
        try scratch.withUnsafeBufferPointer { x in
            try groups[group].gramUpper.withUnsafeMutableBufferPointer { gram in
                try BLAS.syrkTransposedUpper(n: columns, k: rows, a: UnsafeBufferPointer(rebasing: x[0..<rows * columns]), lda: columns, c: gram)
            }
        }
        accumulateMagnitudes(group: group, rows: rows, columns: columns)
        groups[group].tokens += rows
    }

    private mutating func accumulateMagnitudes(group: Int, rows: Int, columns: Int) {
        var sums = groups[group]
        for r in 0..<rows {
            for c in 0..<columns {
                let magnitude = abs(scratch[r * columns + c])
                sums.absSum[c] += magnitude
                sums.absMax[c] = max(sums.absMax[c], Float(magnitude))
            }
        }
        groups[group] = sums
    }

    /// The statistics per linear layer: `H = XᵀX / n` (symmetric), max |x|, mean |x|, `n`.
    public func result(metadata: [String: String] = [:]) -> CalibrationSet {
        var layers: [String: LayerCalibration] = [:]
        var order: [String] = []
        for (group, sums) in zip(architecture.scaleGroups, groups) {
            let statistics = Self.finish(sums)
            for consumer in group.consumers {
                layers[consumer] = statistics
                order.append(consumer)
            }
        }
        return CalibrationSet(layers: layers, order: order, metadata: metadata)
    }

    static func finish(_ sums: GroupSums) -> LayerCalibration {
        let n = sums.width
        let scale = sums.tokens > 0 ? 1 / Double(sums.tokens) : 0
        var hessian = sums.gramUpper.map { $0 * scale }
        hessian.withUnsafeMutableBufferPointer { BLAS.symmetrizeUpper($0, n: n) }
        let absMean = sums.absSum.map { Float($0 * scale) }
        return LayerCalibration(inFeatures: n, tokens: sums.tokens, hessian: hessian, absMax: sums.absMax, absMean: absMean)
    }
}
