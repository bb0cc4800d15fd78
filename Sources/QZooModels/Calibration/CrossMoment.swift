import QZooCore
import QZooMath

/// The cross moment of a site's input in the float model and in the quantized model,
/// `X_floatᵀ X / n` (float model's channels as rows), and the float model's mean input: what
/// asymmetric calibration (`AsymmetricCalibration`) fits each weight's target with.
///
/// Summed like sequential calibration's Gram matrices (`CalibrationAccumulator` with
/// `bfloat16Gram`): one product of the bfloat16-rounded inputs per batch straight into the
/// float32 running sum, widened to float64 at the end. The quantized model's input is rounded
/// the same way in both, so their difference, which the target is fitted to, sees the same
/// values. Unlike a Gram matrix it is not symmetric, so it costs a full product.
struct CrossMoment: Sendable {
    let width: Int
    private(set) var tokens = 0
    private var product: [Float]
    private var referenceSum: [Double]

    init(width: Int) {
        self.width = width
        product = [Float](repeating: 0, count: width * width)
        referenceSum = [Double](repeating: 0, count: width)
    }

    /// Adds one batch: `reference` is the `rows × width` input of the site in the float model,
    /// `input` the same tokens' input in the quantized model, already rounded to bfloat16 (the
    /// Gram matrix shares it).
    mutating func add(reference: UnsafeBufferPointer<Float>, input: BFloat16Product.Packed) throws {
        let rows = input.rows
        guard reference.count == rows * width, input.width == width else {
            throw QZooError(.invalidArgument, "the float and the quantized model's inputs differ in size (\(reference.count) values "
                            + "and \(rows)×\(input.width) for width \(width))")
        }
        guard rows > 0 else { return }
        let rounded = try referenceSum.withUnsafeMutableBufferPointer {
            try BFloat16Product.pack(reference, rows: rows, width: width, addingColumnSumsTo: $0)
        }
        try product.withUnsafeMutableBufferPointer { try BFloat16Product.addTransposedProduct(rounded, input, into: $0) }
        tokens += rows
    }

    /// `X_floatᵀ X / n` (row-major, float model's channels as rows) and the float model's mean,
    /// of `parts` together (the lanes of one site, in order): each entry the float32 sum of the
    /// parts' entries in order, then widened and scaled (`widenedSum`).
    static func result(merging parts: [CrossMoment]) -> (cross: [Double], referenceMean: [Double]) {
        guard let first = parts.first else { return ([], []) }
        let width = first.width
        let tokens = parts.reduce(0) { $0 + $1.tokens }
        let scale = tokens > 0 ? 1 / Double(tokens) : 0
        let cross = widenedSum(parts.map(\.product), n: width, scale: scale, mirroringUpper: false)
        return (cross, CalibrationAccumulator.summed(parts.map(\.referenceSum)).map { $0 * scale })
    }
}

/// Keeps a copy of the inputs a forward step shows its observer (the consumed view, per
/// scale group): the float model's side of a `CrossMoment`.
struct InputCapture: LinearInputObserver {
    private(set) var inputs: [Int: [Float]] = [:]

    mutating func observe(group: Int, input: UnsafeBufferPointer<Float>, rows: Int, columns: Int) throws {
        inputs[group] = Array(input.prefix(rows * columns))
    }
}
