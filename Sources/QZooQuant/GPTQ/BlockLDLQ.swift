import QZooCore
import QZooMath

/// GPTQ's loop over blocks of `b` consecutive columns rounded together (block LDLQ, QuIP#):
/// a caller-supplied rounder maps each block to points of its codebook (e.g. E8 lattice points
/// for `b = 8`), and the error feedback uses the block-LDL form of the same factor.
///
/// With `H⁻¹ = UᵀU` (`U` upper), a block `k` rounded with error `Δ_k = W_k − Ŵ_k` is propagated
/// as `E_k = Δ_k · U_kk⁻¹` and `W_{>k} −= E_k · U_{k,>k}` — the block analogue of
/// `err = (w − q) / d`, and for `b = 1` exactly scalar GPTQ. Equivalently `H = V D Vᵀ` with `V`
/// unit block-upper-triangular: QuIP#'s `block_LDL` with the column order reversed.
public enum BlockLDLQ {
    public struct Result: Sendable {
        /// The rounded weight, row-major `[rows × columns]`.
        public var weight: [Float]
        /// `tr(ΔW H ΔWᵀ)` with the undamped Hessian.
        public var proxyLoss: Double
        /// The λ added to the diagonal; nil when plain rounding was used (see `GPTQResult`).
        public var damping: Double?
    }

    /// Rounds `weight` (`[rows × columns]`, row-major) block by block. `round(block, values)`
    /// receives block `block`'s `b × rows` targets (row `j` = column `block·b + j`) and must
    /// overwrite them with the rounded values. `columns` must be a multiple of `blockWidth`.
    public static func quantize(
        weight: [Float], rows: Int, columns: Int, hessian: [Double], blockWidth: Int, damp: Double = 0.01,
        lazyBlock: Int = 128, round: (Int, UnsafeMutableBufferPointer<Float>) throws -> Void
    ) throws -> Result {
        try validate(weight: weight, rows: rows, columns: columns, hessian: hessian, blockWidth: blockWidth)
        var h = hessian.map { Float($0) }
        var w = weight
        for c in 0..<columns where h[c * columns + c] == 0 {
            h[c * columns + c] = 1
            for r in 0..<rows { w[r * columns + c] = 0 }
        }
        let factorization = try HessianFactorization(hessian: h, n: columns, damp: damp)
        var transposed = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows { for c in 0..<columns { transposed[c * rows + r] = w[r * columns + c] } }
        let span = Swift.max(blockWidth, Swift.min(lazyBlock, columns) / blockWidth * blockWidth)
        let workspace = LDLQWorkspace(transposedWeight: transposed, rows: rows, columns: columns,
                                      upper: factorization.upper, lazyBlock: span)
        var rounded = [Float](repeating: 0, count: rows * columns)
        var energy = 0.0
        for start in stride(from: 0, to: columns, by: span) {
            let end = Swift.min(start + span, columns)
            for first in stride(from: start, to: end, by: blockWidth) {
                energy += try roundBlock(first: first, width: blockWidth, lazyStart: start, lazyEnd: end,
                                         workspace: workspace, into: &rounded, round: round)
            }
            try workspace.finishBlock(start: start, end: end)
        }
        var result = [Float](repeating: 0, count: rows * columns)
        for c in 0..<columns { for r in 0..<rows { result[r * columns + c] = rounded[c * rows + r] } }
        let delta = zip(result, w).map { $0 - $1 }
        let proxy = try ProxyTrace.undamped(errorEnergy: energy, damping: factorization.damping, delta: delta,
                                            hessian: h, rows: rows, columns: columns)
        return Result(weight: result, proxyLoss: proxy, damping: factorization.damping)
    }

    static func validate(weight: [Float], rows: Int, columns: Int, hessian: [Double], blockWidth: Int) throws {
        guard rows > 0, columns > 0, let count = CheckedMath.multiply(rows, columns), weight.count == count else {
            throw QZooError(.invalidArgument, "block LDLQ needs a [\(rows), \(columns)] weight, got \(weight.count) values")
        }
        guard blockWidth >= 1, columns % blockWidth == 0 else {
            throw QZooError(.invalidArgument, "block LDLQ needs the \(columns) columns to be a multiple of the block width \(blockWidth)")
        }
        guard hessian.count == columns * columns, hessian.allSatisfy(\.isFinite), weight.allSatisfy(\.isFinite) else {
            throw QZooError(.invalidArgument, "block LDLQ needs a finite weight and a finite \(columns)×\(columns) Hessian")
        }
    }

    /// Rounds columns `first ..< first+width`, stores `E = Δ·U_kk⁻¹` as the lazy block's error
    /// rows and propagates it to the rest of the lazy block. Returns `‖E‖²`.
    private static func roundBlock(
        first: Int, width: Int, lazyStart: Int, lazyEnd: Int, workspace: LDLQWorkspace, into rounded: inout [Float],
        round: (Int, UnsafeMutableBufferPointer<Float>) throws -> Void
    ) throws -> Double {
        let rows = workspace.rows, columns = workspace.columns
        let targets = Array(workspace.weight[(first * rows) ..< ((first + width) * rows)])
        try rounded.withUnsafeMutableBufferPointer { out in
            let block = UnsafeMutableBufferPointer(rebasing: out[(first * rows) ..< ((first + width) * rows)])
            _ = block.update(from: targets)
            try round(first / width, block)
        }
        var energy = 0.0
        for j in 0..<width {
            // Forward substitution: e_j = (δ_j − Σ_{i<j} e_i U[i, j]) / U[j, j].
            let e = workspace.errorRow(first - lazyStart + j)
            for r in 0..<rows { e[r] = targets[j * rows + r] - rounded[(first + j) * rows + r] }
            for i in 0..<j {
                let factor = workspace.upper[(first + i) * columns + first + j]
                let previous = workspace.errorRow(first - lazyStart + i)
                for r in 0..<rows { e[r] -= factor * previous[r] }
            }
            let d = workspace.upper[(first + j) * columns + first + j]
            for r in 0..<rows {
                e[r] /= d
                energy += Double(e[r]) * Double(e[r])
            }
        }
        for j in 0..<width {
            workspace.propagate(error: workspace.errorRow(first - lazyStart + j), from: first + j,
                                to: (first + width) ..< lazyEnd)
        }
        return energy
    }
}
