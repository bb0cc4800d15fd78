import QZooCore
import QZooMath

/// Accumulates the statistics of every scale group's input during forward passes: the Gram
/// matrix `XᵀX` (upper triangle), the sum of `x`, optionally per-channel max |x| and sum |x|,
/// and the token count. Linear layers that share an input share one accumulation.
///
/// The Gram matrix is summed in float32 by one syrk per observed batch straight into the
/// running sum (half the time of float64, no widened copy of the batch, no pass over the sum
/// per batch) and widened to float64 in `result`: the relative rounding, ~1e-6 over a
/// calibration set, is far below what the float32 rounding loops that consume it resolve. A
/// group's sums are allocated when it is first observed: sequential calibration measures one
/// site at a time.
///
/// With `bfloat16Gram` the Gram matrix multiplies the inputs rounded to bfloat16
/// (`BFloat16Product`, twice the speed where AVX512-BF16 runs): sequential calibration, whose
/// moments only steer a rounding, uses it; calibration files keep float32 moments.
public struct CalibrationAccumulator: LinearInputObserver {
    public let architecture: BertArchitecture
    /// Whether max |x| and mean |x| per channel are kept (AWQ and SmoothQuant read them;
    /// Hessian-based rounding does not).
    public let magnitudes: Bool
    /// Whether the Gram matrix is summed over bfloat16-rounded inputs.
    public let bfloat16Gram: Bool
    /// Each scale group's input width (`architecture.scaleGroups` builds its names per call).
    private let widths: [Int]
    private(set) var groups: [Int: GroupSums] = [:]

    struct GroupSums {
        var width: Int
        var tokens = 0
        var gramUpper: [Float]
        var sum: [Double]
        var absMax: [Float]
        var absSum: [Double]

        init(width: Int, magnitudes: Bool) {
            self.width = width
            gramUpper = [Float](repeating: 0, count: width * width)
            sum = [Double](repeating: 0, count: width)
            absMax = [Float](repeating: 0, count: magnitudes ? width : 0)
            absSum = [Double](repeating: 0, count: magnitudes ? width : 0)
        }
    }

    public init(architecture: BertArchitecture, magnitudes: Bool = true, bfloat16Gram: Bool = false) {
        self.architecture = architecture
        self.magnitudes = magnitudes
        self.bfloat16Gram = bfloat16Gram
        widths = architecture.scaleGroups.map(\.inFeatures)
    }

    public mutating func observe(group: Int, input: UnsafeBufferPointer<Float>, rows: Int, columns: Int) throws {
        try observe(group: group, input: input, rows: rows, columns: columns, packed: nil)
    }

    /// `observe`, with `input` already rounded to bfloat16 in `packed` (for `bfloat16Gram`;
    /// nil: rounded here when needed).
    mutating func observe(group: Int, input: UnsafeBufferPointer<Float>, rows: Int, columns: Int,
                          packed: BFloat16Product.Packed?) throws {
        guard widths.indices.contains(group), widths[group] == columns, input.count >= rows * columns else {
            throw QZooError(.invalidArgument, "calibration input for group \(group) is \(rows)×\(columns); the model expects width "
                            + "\(widths.indices.contains(group) ? widths[group] : 0)")
        }
        guard rows > 0 else { return }
        var sums = groups.removeValue(forKey: group) ?? GroupSums(width: columns, magnitudes: magnitudes)
        let x = UnsafeBufferPointer(rebasing: input[0..<rows * columns])
        if bfloat16Gram {
            let rounded = try packed ?? sums.sum.withUnsafeMutableBufferPointer {
                try BFloat16Product.pack(x, rows: rows, width: columns, addingColumnSumsTo: $0)
            }
            try sums.gramUpper.withUnsafeMutableBufferPointer { try BFloat16Product.addGram(rounded, into: $0) }
        } else {
            try Self.addGram(x, rows: rows, columns: columns, into: &sums.gramUpper)
        }
        // The per-channel sums (the mean input, for bias correction), unless packing here took
        // them in the pass that reads `x` anyway.
        if !bfloat16Gram || packed != nil {
            sums.sum.withUnsafeMutableBufferPointer { addColumnSums(x, rows: rows, columns: columns, into: $0) }
        }
        if magnitudes { Self.addMagnitudes(x, rows: rows, columns: columns, into: &sums) }
        sums.tokens += rows
        groups[group] = sums
    }

    /// Adds a batch that exists only rounded to bfloat16 (FFN up's output as the kernel lands it,
    /// `BFloat16Product.linearRounded`): `rounding` receives the group's running column sums,
    /// adds the batch's columns to them and returns the batch packed for the Gram matrix — the
    /// sums and Gram `observe` would add for the float32 batch. Only for `bfloat16Gram` without
    /// magnitudes, which need the float32 values.
    mutating func observeRounded(group: Int, rows: Int, columns: Int,
                                 _ rounding: (UnsafeMutableBufferPointer<Double>) throws -> BFloat16Product.Packed) throws {
        guard bfloat16Gram, !magnitudes, widths.indices.contains(group), widths[group] == columns, rows > 0 else {
            throw QZooError(.invalidArgument, "a rounded \(rows)×\(columns) batch for group \(group) needs bfloat16 Gram sums without "
                            + "magnitudes and the group's width \(widths.indices.contains(group) ? widths[group] : 0)")
        }
        var sums = groups.removeValue(forKey: group) ?? GroupSums(width: columns, magnitudes: false)
        let packed = try sums.sum.withUnsafeMutableBufferPointer { try rounding($0) }
        guard packed.rows == rows, packed.width == columns else {
            throw QZooError(.invalidArgument, "group \(group) expected \(rows)×\(columns) rounded values, got \(packed.rows)×\(packed.width)")
        }
        try sums.gramUpper.withUnsafeMutableBufferPointer { try BFloat16Product.addGram(packed, into: $0) }
        sums.tokens += rows
        groups[group] = sums
    }

    /// `gram += xᵀx` on the upper triangle (float32 syrk into the running sum).
    private static func addGram(_ x: UnsafeBufferPointer<Float>, rows: Int, columns: Int, into gram: inout [Float]) throws {
        try gram.withUnsafeMutableBufferPointer { gram in
            try BLAS.syrkTransposedUpper(n: columns, k: rows, a: x, lda: columns, beta: 1, c: gram)
        }
    }

    private static func addMagnitudes(_ x: UnsafeBufferPointer<Float>, rows: Int, columns: Int, into sums: inout GroupSums) {
        for r in 0..<rows {
            for c in 0..<columns {
                let magnitude = abs(x[r * columns + c])
                sums.absSum[c] += Double(magnitude)
                sums.absMax[c] = max(sums.absMax[c], magnitude)
            }
        }
    }

    /// The statistics per linear layer of every observed group, in model order: `H = XᵀX / n`
    /// (symmetric), max |x| and mean |x| (when kept), `n`.
    public func result(metadata: [String: String] = [:]) -> CalibrationSet {
        Self.result(merging: [self], metadata: metadata)
    }

    /// The statistics of `parts` together (the same model measured on different batches, as
    /// sequential calibration's lanes measure it): each sum taken over the parts in order, the
    /// Gram matrix in float32 as every batch was added, then widened, scaled and mirrored into
    /// the float64 Hessian on both cores (`widenedSum`).
    public static func result(merging parts: [CalibrationAccumulator], metadata: [String: String] = [:]) -> CalibrationSet {
        var layers: [String: LayerCalibration] = [:]
        var order: [String] = []
        guard let first = parts.first else { return CalibrationSet(layers: layers, order: order, metadata: metadata) }
        for (index, group) in first.architecture.scaleGroups.enumerated() {
            let sums = parts.compactMap { $0.groups[index] }
            guard !sums.isEmpty else { continue }
            let statistics = finish(sums, magnitudes: first.magnitudes)
            for consumer in group.consumers {
                layers[consumer] = statistics
                order.append(consumer)
            }
        }
        return CalibrationSet(layers: layers, order: order, metadata: metadata)
    }

    /// One group's statistics from its sums in `parts` (same width, in order).
    static func finish(_ parts: [GroupSums], magnitudes: Bool) -> LayerCalibration {
        let n = parts[0].width
        let tokens = parts.reduce(0) { $0 + $1.tokens }
        let scale = tokens > 0 ? 1 / Double(tokens) : 0
        let sum = summed(parts.map(\.sum)), absSum = summed(parts.map(\.absSum))
        let absMax = parts.dropFirst().reduce(parts[0].absMax) { zip($0, $1.absMax).map { max($0, $1) } }
        return LayerCalibration(inFeatures: n, tokens: tokens, hessian: widenedSum(parts.map(\.gramUpper), n: n, scale: scale, mirroringUpper: true),
                                absMax: magnitudes ? absMax : nil, absMean: magnitudes ? absSum.map { Float($0 * scale) } : nil,
                                mean: sum.map { $0 * scale })
    }

    /// `Σ parts` element by element, in part order (also `CrossMoment`'s lane merge).
    static func summed(_ parts: [[Double]]) -> [Double] {
        parts.dropFirst().reduce(parts[0]) { zip($0, $1).map(+) }
    }
}
