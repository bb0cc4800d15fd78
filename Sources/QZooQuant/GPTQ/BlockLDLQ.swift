import QZooCore
import QZooMath

/// GPTQ's loop over blocks of `b` consecutive columns rounded together (block LDLQ, QuIP#):
/// a caller-supplied rounder maps each block to points of its codebook (e.g. E8 lattice points
/// for `b = 8`), and the error feedback uses the block-LDL form of the same factor.
///
/// With `H⁻¹ = UᵀU` (`U` upper), a block `k` rounded with error `Δ_k = W_k − Ŵ_k` is propagated
/// as `E_k = Δ_k · U_kk⁻¹` and `W_{>k} −= E_k · U_{k,>k}` — the block analogue of
/// `err = (w − q) / d`, and for `b = 1` exactly scalar GPTQ. Equivalently `H = V D Vᵀ` with `V`
/// unit block-upper-triangular: QuIP#'s `block_LDL` with the column order reversed. Within a
/// lazy block the feedback is summed per row tile as GPTQ's is; past it, one gemm.
public enum BlockLDLQ {
    public struct Result: Sendable {
        /// The rounded weight, row-major `[rows × columns]`.
        public var weight: [Float]
        /// `tr(ΔW H ΔWᵀ)` with the undamped Hessian.
        public var proxyLoss: Double
        /// The λ added to the diagonal; nil when plain rounding was used (see `GPTQResult`).
        public var damping: Double?
    }

    /// What a rounding takes from the Hessian alone (its dead inputs and the LDL factor), so
    /// row ranges of one weight rounded separately factor it once.
    /// The Hessian may be float64 or float32 (`H`); it is factored in float32 either way.
    struct Factorization<H: LDLQScalar & Sendable>: Sendable {
        let columns: Int
        let hessian: [H]
        let dead: [Bool]
        let factor: LDLQFactor<Float>

        init(hessian: [H], columns: Int, damp: Double = 0.01) throws {
            guard columns > 0, hessian.count == columns * columns, hessian.withUnsafeBufferPointer(H.allFinite) else {
                throw QZooError(.invalidArgument, "block LDLQ needs a finite \(columns)×\(columns) Hessian, got \(hessian.count) values")
            }
            self.columns = columns
            self.hessian = hessian
            dead = (0..<columns).map { Float(hessian[$0 * columns + $0]) == 0 }
            factor = try LDLQFactor<Float>(hessian: hessian, n: columns, order: nil, dead: dead, damp: damp)
        }
    }

    /// Rounds `weight` (`[rows × columns]`, row-major) block by block. `round(block, values)`
    /// receives block `block`'s `b × rows` targets (row `j` = column `block·b + j`) and must
    /// overwrite them with the rounded values. `columns` must be a multiple of `blockWidth`.
    public static func quantize(
        weight: [Float], rows: Int, columns: Int, hessian: [Double], blockWidth: Int, damp: Double = 0.01,
        lazyBlock: Int = 128, round: (Int, UnsafeMutableBufferPointer<Float>) throws -> Void
    ) throws -> Result {
        try validate(weight: weight, rows: rows, columns: columns, blockWidth: blockWidth)
        return try quantize(weight: weight, rows: rows, factorization: try Factorization(hessian: hessian, columns: columns, damp: damp),
                            blockWidth: blockWidth, lazyBlock: lazyBlock, round: round)
    }

    /// `quantize` with the Hessian already factored.
    static func quantize<H>(
        weight: [Float], rows: Int, factorization: Factorization<H>, blockWidth: Int,
        lazyBlock: Int = 128, round: (Int, UnsafeMutableBufferPointer<Float>) throws -> Void
    ) throws -> Result {
        let (columns, hessian, factor) = (factorization.columns, factorization.hessian, factorization.factor)
        try validate(weight: weight, rows: rows, columns: columns, blockWidth: blockWidth)
        var w = weight
        for c in 0..<columns where factorization.dead[c] {
            for r in 0..<rows { w[r * columns + c] = 0 }
        }
        let span = Swift.max(blockWidth, Swift.min(lazyBlock, columns) / blockWidth * blockWidth)
        let loop = BlockLDLQLoop(weight: w, rows: rows, columns: columns, blockWidth: blockWidth, factor: factor, span: span)
        let energy = try loop.run(round: round)
        let result = Array(loop.rounded)
        guard let damping = factor.damping else {
            return Result(weight: result, proxyLoss: try ProxyTrace.direct(candidate: result, weight: w, hessian: hessian.map { Double($0) },
                                                                            rows: rows, columns: columns),
                          damping: nil)
        }
        return Result(weight: result, proxyLoss: ProxyTrace.undamped(errorEnergy: energy.scaledError, damping: damping, deltaEnergy: energy.delta),
                      damping: damping)
    }

    /// The weight's shape, block width and values; the Hessian is checked once, by `Factorization`.
    static func validate(weight: [Float], rows: Int, columns: Int, blockWidth: Int) throws {
        guard rows > 0, columns > 0, let count = CheckedMath.multiply(rows, columns), weight.count == count else {
            throw QZooError(.invalidArgument, "block LDLQ needs a [\(rows), \(columns)] weight, got \(weight.count) values")
        }
        guard blockWidth >= 1, columns % blockWidth == 0 else {
            throw QZooError(.invalidArgument, "block LDLQ needs the \(columns) columns to be a multiple of the block width \(blockWidth)")
        }
        guard weight.withUnsafeBufferPointer(Float.allFinite) else {
            throw QZooError(.invalidArgument, "block LDLQ needs a finite weight")
        }
    }
}
