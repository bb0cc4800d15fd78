import QZooCore
import QZooMath

/// The cross moment of a site's input in the float model and in the quantized model,
/// `X_floatᵀ X / n` (float model's channels as rows), and the float model's mean input: what
/// asymmetric calibration (`AsymmetricCalibration`) fits each weight's target with.
///
/// Summed like the Gram matrices (`CalibrationAccumulator`): one float32 gemm per batch straight
/// into the running sum, widened to float64 at the end. Unlike a Gram matrix it is not
/// symmetric, so it costs a full product.
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

    /// Adds one batch: `reference` and `input` are the same tokens' `rows × width` inputs of the
    /// site in the float and the quantized model.
    mutating func add(reference: UnsafeBufferPointer<Float>, input: UnsafeBufferPointer<Float>, rows: Int) throws {
        guard reference.count == rows * width, input.count == rows * width else {
            throw QZooError(.invalidArgument, "the float and the quantized model's inputs differ in size (\(reference.count) and "
                            + "\(input.count) values for \(rows) tokens × \(width))")
        }
        guard rows > 0 else { return }
        try product.withUnsafeMutableBufferPointer { c in
            try BLAS.gemm(transA: true, m: width, n: width, k: rows, a: reference, lda: width, b: input, ldb: width, beta: 1, c: c, ldc: width)
        }
        referenceSum.withUnsafeMutableBufferPointer { sum in
            for r in 0..<rows {
                for c in 0..<width { sum[c] += Double(reference[r * width + c]) }
            }
        }
        tokens += rows
    }

    /// Adds `other`'s sums (other batches of the same site).
    mutating func add(_ other: CrossMoment) {
        for i in product.indices { product[i] += other.product[i] }
        for i in referenceSum.indices { referenceSum[i] += other.referenceSum[i] }
        tokens += other.tokens
    }

    /// `X_floatᵀ X / n` (row-major, float model's channels as rows) and the float model's mean.
    func result() -> (cross: [Double], referenceMean: [Double]) {
        let scale = tokens > 0 ? 1 / Double(tokens) : 0
        return (product.map { Double($0) * scale }, referenceSum.map { $0 * scale })
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
