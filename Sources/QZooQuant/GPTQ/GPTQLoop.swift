import QZooCore
import QZooMath

/// GPTQ's column loop (reference step 7) over one weight, in precision `T`.
///
/// Rows are independent (each has its own grid parameters, and the feedback mixes columns only),
/// so each lazy block of columns is rounded one tile of `T.tileLanes` rows at a time: the tile's
/// scaled errors stay in a small local buffer, and each column's pending in-block feedback
/// `Σ_{j<t} err_j·U_jt` is summed straight into SIMD registers just before the column is rounded
/// (the reference applies the same terms one rank-1 update at a time); tiles spread over the
/// cores. At each block start the reference's lazily updated weights are recovered from `P`
/// (`LDLQFactor+Feedback`), and after the block one gemm adds its residuals to `P`.
final class GPTQLoop<T: LDLQScalar>: @unchecked Sendable {
    let problem: GPTQProblem<T>
    let factor: LDLQFactor<T>
    let blockSize: Int
    /// `[rows × columns]` row-major, loop order: `P`, the feedback of finished blocks through `V`.
    let feedback: UnsafeMutableBufferPointer<T>
    /// `[rows × spanWidth]` row-major: the lazily updated weights `W̃` of the current span.
    let lazy: UnsafeMutableBufferPointer<T>
    /// `[blockSize × paddedRows]`: the current block's residuals `W − Ŵ`, one row per column.
    let residuals: UnsafeMutableBufferPointer<T>
    let paddedRows: Int
    /// `[rows × columns]` row-major, stored column order (`storesPermutation` ? loop : original).
    let codes: UnsafeMutableBufferPointer<UInt8>
    /// `problem.groups`, filled in place at group starts when groups are fitted during the loop.
    let scales: UnsafeMutableBufferPointer<Float>
    let zeros: UnsafeMutableBufferPointer<UInt8>

    static var lanes: Int { T.tileLanes }

    init(problem: GPTQProblem<T>, factor: LDLQFactor<T>) {
        self.problem = problem
        self.factor = factor
        blockSize = Swift.max(1, Swift.min(problem.parameters.blockSize, problem.columns))
        paddedRows = (problem.rows + Self.lanes - 1) / Self.lanes * Self.lanes
        feedback = .allocate(capacity: problem.weight.count)
        feedback.initialize(repeating: 0)
        lazy = .allocate(capacity: problem.rows * Swift.min(problem.columns, blockSize + (problem.parameters.groupSize ?? 0)))
        lazy.initialize(repeating: 0)
        residuals = .allocate(capacity: blockSize * paddedRows)
        residuals.initialize(repeating: 0)
        codes = .allocate(capacity: problem.weight.count)
        codes.initialize(repeating: 0)
        scales = .allocate(capacity: problem.groups.scales.count)
        _ = scales.initialize(from: problem.groups.scales)
        zeros = .allocate(capacity: problem.groups.zeros.count)
        _ = zeros.initialize(from: problem.groups.zeros)
    }

    deinit {
        feedback.deallocate()
        lazy.deallocate()
        residuals.deallocate()
        codes.deallocate()
        scales.deallocate()
        zeros.deallocate()
    }

    /// Rounds every column; returns `Σ err²` (`err = (w̃ − q) / U_tt`, the scaled errors) and
    /// `‖Ŵ − W‖²`.
    func run() throws -> (scaledError: Double, delta: Double) {
        let tiles = paddedRows / Self.lanes
        let workers = Self.workerCount(tiles: tiles, columns: problem.columns)
        var total = (scaledError: 0.0, delta: 0.0)
        for start in stride(from: 0, to: problem.columns, by: blockSize) {
            let end = Swift.min(start + blockSize, problem.columns)
            let span = start ..< reach(ofBlock: start ..< end)
            let inverse = try factor.inverseBlock(span)
            try problem.weight.withUnsafeBufferPointer {
                try factor.lazyWeights(span: span, inverse: inverse, weight: $0, feedback: UnsafeBufferPointer(feedback),
                                       rows: problem.rows, into: lazy)
            }
            let sums = try parallelMap(count: workers) { worker in
                try self.roundTiles(tiles * worker / workers ..< tiles * (worker + 1) / workers, block: start ..< end,
                                    span: span, inverse: inverse)
            }
            for sum in sums {
                total.scaledError += sum.scaledError
                total.delta += sum.delta
            }
            try factor.applyFeedback(of: start ..< end, residuals: UnsafeBufferPointer(residuals), paddedRows: paddedRows,
                                     rows: problem.rows, to: feedback)
        }
        return total
    }

    /// Where the span of the block `block` ends: at the block's end, or past it at the end of a
    /// group that starts inside the block and is fitted there from `W̃` (the reference fits it on
    /// `W[:, t : t + groupsize]`, lazily updated up to the block).
    func reach(ofBlock block: Range<Int>) -> Int {
        guard let size = problem.parameters.groupSize, !problem.parameters.staticGroups else { return block.upperBound }
        let lastStart = (block.upperBound - 1) / size * size
        return lastStart >= block.lowerBound ? Swift.max(block.upperBound, Swift.min(lastStart + size, problem.columns))
                                             : block.upperBound
    }

    /// Splits a block's tiles over the cores BLAS may use (one when weights already run in
    /// parallel), and only when each share is worth a thread hand-off.
    static func workerCount(tiles: Int, columns: Int) -> Int {
        tiles >= 8 && columns >= 512 ? Swift.max(1, Swift.min(BLAS.threadCount, tiles / 4)) : 1
    }

    /// One worker's share of a block: its row tiles in order, with its own scratch buffers.
    private func roundTiles(_ tiles: Range<Int>, block: Range<Int>, span: Range<Int>,
                            inverse: [T]) throws -> (scaledError: Double, delta: Double) {
        let scratch = LDLQTileScratch<T>(columns: block.count)
        defer { scratch.deallocate() }
        var total = (scaledError: 0.0, delta: 0.0)
        try problem.weight.withUnsafeBufferPointer { original in
            try inverse.withUnsafeBufferPointer { inverse in
                for tile in tiles {
                    let sums = try roundTile(firstRow: tile * Self.lanes, block: block, span: span, scratch: scratch,
                                             original: original, inverse: inverse)
                    total.scaledError += sums.scaledError
                    total.delta += sums.delta
                }
            }
        }
        return total
    }
}
