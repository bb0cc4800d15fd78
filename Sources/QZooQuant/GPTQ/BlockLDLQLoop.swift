import QZooCore

/// The state of one block-LDLQ rounding (`BlockLDLQ`), laid out as `GPTQLoop`'s: the feedback
/// `P` of finished lazy blocks (`LDLQFactor+Feedback`), the current lazy block's weights `W̃`,
/// negated scaled errors `Ēᵀ` and residuals, and row tiles summing the pending in-block feedback
/// in the same order, so `b = 1` is GPTQ bit for bit.
final class BlockLDLQLoop {
    typealias T = Float
    let rows: Int
    let columns: Int
    let blockWidth: Int
    let span: Int
    let paddedRows: Int
    /// Row-major, dead columns zeroed.
    let original: [Float]
    let factor: LDLQFactor<Float>
    /// `P`, row-major `[rows × columns]`.
    let feedback: UnsafeMutableBufferPointer<Float>
    /// `W̃` of the current lazy block, row-major `[rows × span]`.
    let lazy: UnsafeMutableBufferPointer<Float>
    /// `Ēᵀ` and `(W − Ŵ)ᵀ` of the current lazy block, `span × paddedRows` each.
    let errors: UnsafeMutableBufferPointer<Float>
    let residuals: UnsafeMutableBufferPointer<Float>
    /// The result, row-major `[rows × columns]`.
    let rounded: UnsafeMutableBufferPointer<Float>
    /// Per row tile: the lanes' `Σ err²` then `Σ (ŵ − w)²` over the current lazy block.
    let energies: UnsafeMutableBufferPointer<Float>
    let scratch = LDLQTileScratch<Float>(columns: 1)

    var tiles: Int { paddedRows / T.tileLanes }

    init(weight: [Float], rows: Int, columns: Int, blockWidth: Int, factor: LDLQFactor<Float>, span: Int) {
        self.rows = rows
        self.blockWidth = blockWidth
        self.columns = columns
        self.span = span
        paddedRows = (rows + T.tileLanes - 1) / T.tileLanes * T.tileLanes
        original = weight
        self.factor = factor
        feedback = .allocate(capacity: weight.count)
        feedback.initialize(repeating: 0)
        lazy = .allocate(capacity: rows * span)
        lazy.initialize(repeating: 0)
        errors = .allocate(capacity: span * paddedRows)
        errors.initialize(repeating: 0)
        residuals = .allocate(capacity: span * paddedRows)
        residuals.initialize(repeating: 0)
        rounded = .allocate(capacity: weight.count)
        rounded.initialize(repeating: 0)
        energies = .allocate(capacity: paddedRows * 2)
        energies.initialize(repeating: 0)
    }

    deinit {
        feedback.deallocate()
        lazy.deallocate()
        errors.deallocate()
        residuals.deallocate()
        rounded.deallocate()
        energies.deallocate()
        scratch.deallocate()
    }

    /// Rounds every block; returns `Σ err²` (`E_k = Δ_k·U_kk⁻¹`) and `‖Ŵ − W‖²`.
    func run(round: (Int, UnsafeMutableBufferPointer<Float>) throws -> Void) throws -> (scaledError: Double, delta: Double) {
        let width = blockWidth
        var targets = [Float](repeating: 0, count: width * rows)
        var total = (scaledError: 0.0, delta: 0.0)
        for start in stride(from: 0, to: columns, by: span) {
            let end = Swift.min(start + span, columns)
            let inverse = try factor.inverseBlock(start ..< end)
            try original.withUnsafeBufferPointer {
                try factor.lazyWeights(span: start ..< end, inverse: inverse, weight: $0, feedback: UnsafeBufferPointer(feedback),
                                       rows: rows, into: lazy)
            }
            _ = energies.update(fromContentsOf: repeatElement(0, count: energies.count))
            for first in stride(from: start, to: end, by: width) {
                computeTargets(first: first, span: start ..< end, inverse: inverse, into: &targets)
                let pending = targets
                try targets.withUnsafeMutableBufferPointer { try round(first / width, $0) }
                for tile in 0..<tiles {
                    recordErrors(first: first, span: start ..< end, inverse: inverse, tile: tile, pending: pending, rounded: targets)
                }
            }
            for tile in 0..<tiles {
                // LDLQTileScratch.energy()'s order, so the sums match GPTQ's.
                var error = 0.0, delta = 0.0
                for i in 0..<T.tileLanes {
                    error += Double(energies[tile * 2 * T.tileLanes + i])
                    delta += Double(energies[(tile * 2 + 1) * T.tileLanes + i])
                }
                total.scaledError += error
                total.delta += delta
            }
            try factor.applyFeedback(of: start ..< end, residuals: UnsafeBufferPointer(residuals), paddedRows: paddedRows,
                                     rows: rows, to: feedback)
        }
        return total
    }

    /// `W̃_t` for the block's columns `t = first + j`: the lazily updated weight plus the pending
    /// feedback of the span's columns before the block, stored as row `j` of `targets`.
    /// `inverse` is `U` on the span (column-major).
    private func computeTargets(first: Int, span: Range<Int>, inverse: [Float], into targets: inout [Float]) {
        let lanes = T.tileLanes, pending = scratch.pending, width = span.count, lazyStart = span.lowerBound
        inverse.withUnsafeBufferPointer { u in
            for firstRow in stride(from: 0, to: rows, by: lanes) {
                let valid = Swift.min(lanes, rows - firstRow)
                scratch.clearLanes(after: valid)
                for j in 0..<blockWidth {
                    let t = first + j
                    for i in 0..<valid { pending[i] = lazy[(firstRow + i) * width + t - lazyStart] }
                    T.feedback(pending, errors: errors.baseAddress.unsafelyUnwrapped + firstRow, stride: paddedRows,
                               coefficients: u.baseAddress.unsafelyUnwrapped + (t - lazyStart) * width, count: first - lazyStart)
                    for i in 0..<valid { targets[j * rows + firstRow + i] = pending[i] }
                }
            }
        }
    }

    /// Stores one row tile's rounded values, residuals and negated scaled errors for the block at
    /// `first` (forward substitution, `ē_j = ((ŵ_j − w̃_j) − Σ_{i<j} ē_i·U[i, j]) / U[j, j]`, for
    /// `b = 1` exactly GPTQ's `(q − w) / d`), and adds the lanes' `ē²` and `(ŵ − w)²` to the
    /// tile's sums. `inverse` is `U` on the span (column-major).
    private func recordErrors(first: Int, span: Range<Int>, inverse upper: [Float], tile: Int, pending: [Float],
                              rounded values: [Float]) {
        let lanes = T.tileLanes, firstRow = tile * lanes, lazyStart = span.lowerBound, width = span.count
        let valid = Swift.min(lanes, rows - firstRow)
        let s = scratch
        let errorEnergy = energies.baseAddress.unsafelyUnwrapped + tile * 2 * lanes, deltaEnergy = errorEnergy + lanes
        let errorRow = { (column: Int) in self.errors.baseAddress.unsafelyUnwrapped + (column - lazyStart) * self.paddedRows + firstRow }
        let residualRow = { (column: Int) in self.residuals.baseAddress.unsafelyUnwrapped + (column - lazyStart) * self.paddedRows + firstRow }
        s.clearLanes(after: valid)
        for j in 0..<blockWidth {
            let t = first + j
            for i in 0..<valid {
                s.code[i] = values[j * rows + firstRow + i]
                s.pending[i] = pending[j * rows + firstRow + i]
                s.original[i] = original[(firstRow + i) * columns + t]
                rounded[(firstRow + i) * columns + t] = s.code[i]
            }
            for v in 0..<T.tileVectors {
                let q = T.load(s.code, vector: v)
                let d = q - T.load(s.original, vector: v)
                var residual = q - T.load(s.pending, vector: v)
                for i in 0..<j { residual -= T.load(errorRow(first + i), vector: v) * upper[(first + i - lazyStart) + (t - lazyStart) * width] }
                let error = residual / upper[(t - lazyStart) * (width + 1)]
                var errorSum = T.load(errorEnergy, vector: v), deltaSum = T.load(deltaEnergy, vector: v)
                errorSum.addProduct(error, error)
                deltaSum.addProduct(d, d)
                T.store(error, to: errorRow(t), vector: v)
                T.store(-d, to: residualRow(t), vector: v)
                T.store(errorSum, to: errorEnergy, vector: v)
                T.store(deltaSum, to: deltaEnergy, vector: v)
            }
        }
    }
}
