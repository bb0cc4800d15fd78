import QZooCore
import QZooMath

/// QuIP#'s fine-tuning-free "tune" passes (`quip_tune_iters`, `LDLQ_buffered`): greedy block
/// coordinate descent on the proxy loss `tr(Δ H Δᵀ)`, `Δ = W − Ŵ`, after LDLQ. For each block `k`
/// of 8 columns, the loss-minimising unconstrained value is `Ŵ_k + (Δ H)_{:,k} H_kk⁻¹`; it is
/// rounded to the nearest codeword. Unlike the reference, the candidates (for E8P the nearest
/// codeword of each of its two shifts, one of which is the Euclidean nearest) are compared by the
/// exact change of the row's loss, `δ H_kk δᵀ − 2δ·(ΔH)_k`, and a block is only replaced when that
/// change is negative — so every pass is monotone and never worse than the reference's step.
///
/// `(ΔH)` is computed per buffer of 128 columns with one gemm and kept current inside the buffer
/// with a rank-8 update per block — the reference's buffering, so a pass costs one `rows × n × n`
/// product.
///
/// Rows never interact: row `r` of `(ΔH)` depends on row `r` of `Δ` only. A row none of whose
/// blocks changed in a pass starts the next pass from the same `Δ`, gets the same products bit
/// for bit and so makes the same decisions — none. So after the first pass only the rows that
/// changed in the pass before are revisited, gathered into a compact `Δ` whose product is one
/// gemm over those rows alone (a row's product does not depend on which other rows share the
/// gemm), and the passes stop early when no row changed. Most blocks settle within a few
/// passes, so later passes cost a fraction of the first.
struct BlockCoordinateDescent {
    let rows: Int
    let columns: Int
    /// Row-major `n × n` (regularised) Hessian.
    let hessian: [Float]
    /// `H_kk⁻¹` for each block, 8 rows each (symmetric, so rows are columns too).
    let blockInverses: [SIMD8<Float>]
    /// `H_kk` for each block, 8 rows each.
    let blocks: [SIMD8<Float>]
    let buffer = 128

    init(hessian: [Float], rows: Int, columns: Int) throws {
        self.rows = rows
        self.columns = columns
        self.hessian = hessian
        blockInverses = try (0 ..< columns / 8).flatMap { block in
            let inverse = try Self.invert8(hessian, columns: columns, first: block * 8)
            return (0..<8).map { i in SIMD8<Float>((0..<8).map { inverse[i * 8 + $0] }) }
        }
        blocks = (0 ..< columns / 8).flatMap { block in
            (0..<8).map { i in SIMD8<Float>((0..<8).map { hessian[(block * 8 + i) * columns + block * 8 + $0] }) }
        }
    }

    /// The buffers a pass works in, allocated once for all passes. Each is compact: entry `i`
    /// belongs to the pass's `i`-th active row.
    struct Workspace {
        /// `W − Ŵ`, row-major.
        var delta: [Float]
        /// `(ΔH)` for the current buffer's columns, `rows × width`.
        var product: [Float]
        /// Each row's change `δ` of the current block (zero for rows that kept theirs).
        var changes: [Float]
        /// The (compact) rows whose current block changed.
        var changedRows: [Int] = []
        /// Whether a row changed anywhere in the current pass.
        var rowChanged: [Bool]

        init(rows: Int, columns: Int, buffer: Int) {
            delta = [Float](repeating: 0, count: rows * columns)
            product = [Float](repeating: 0, count: rows * buffer)
            changes = [Float](repeating: 0, count: rows * 8)
            rowChanged = [Bool](repeating: false, count: rows)
        }
    }

    /// Up to `count` passes over all blocks; `weight` is the target `W`, `rounding` is updated
    /// in place.
    func run(passes count: Int, weight: [Float], rounding: inout LatticeRounding) throws {
        var active = Array(0 ..< rows)
        var work = Workspace(rows: rows, columns: columns, buffer: buffer)
        for _ in 0 ..< count {
            guard !active.isEmpty else { return }
            active = try pass(over: active, weight: weight, rounding: &rounding, work: &work)
        }
    }

    /// One pass over all blocks of the rows `active`; returns those that changed.
    func pass(over active: [Int], weight: [Float], rounding: inout LatticeRounding, work: inout Workspace) throws -> [Int] {
        gatherDelta(of: active, weight: weight, values: rounding.values, into: &work.delta)
        for i in active.indices { work.rowChanged[i] = false }
        for start in stride(from: 0, to: columns, by: buffer) {
            let end = min(start + buffer, columns), width = end - start
            try gemm(work.delta, rows: active.count, inner: columns, hessianColumns: start, width: width, into: &work.product, beta: 0)
            for first in stride(from: start, to: end, by: 8) {
                updateBlock(first: first, start: start, width: width, rows: active, rounding: &rounding, work: &work)
                guard !work.changedRows.isEmpty else { continue }
                if first + 8 < end {
                    try rankEightUpdate(work.changes, rows: active.count, first: first, start: start, width: width, product: &work.product)
                }
                for i in work.changedRows {
                    work.rowChanged[i] = true
                    for j in 0..<8 { work.changes[i * 8 + j] = 0 }
                }
            }
        }
        return active.indices.filter { work.rowChanged[$0] }.map { active[$0] }
    }

    /// `delta[i] = W[active[i]] − Ŵ[active[i]]`, row by row.
    private func gatherDelta(of active: [Int], weight: [Float], values: [Float], into delta: inout [Float]) {
        let columns = columns
        delta.withUnsafeMutableBufferPointer { delta in
            weight.withUnsafeBufferPointer { w in
                values.withUnsafeBufferPointer { values in
                    for (i, r) in active.enumerated() {
                        for c in 0..<columns { delta[i * columns + c] = w[r * columns + c] - values[r * columns + c] }
                    }
                }
            }
        }
    }

    /// Re-rounds block `first ..< first+8` of each row in `active`, eight rows at a time (an
    /// `Octet`, lane-wise the same arithmetic as one row alone); records each changed row's
    /// change `δ` in `work.changes` and its compact index in `work.changedRows`.
    private func updateBlock(first: Int, start: Int, width: Int, rows active: [Int], rounding: inout LatticeRounding,
                             work: inout Workspace) {
        let block = first / 8, columns = columns, blocksPerRow = rounding.blocksPerRow, codebook = rounding.codebook
        work.changedRows.removeAll(keepingCapacity: true)
        blockInverses.withUnsafeBytes { inverses in
            blocks.withUnsafeBytes { allBlocks in
                guard let inverses = inverses.baseAddress, let allBlocks = allBlocks.baseAddress else { return }
                let inverse = inverses + block * 256, h = allBlocks + block * 256
                work.product.withUnsafeBytes { productBytes in
                    work.delta.withUnsafeMutableBytes { deltaBytes in
                        rounding.values.withUnsafeMutableBytes { valueBytes in
                            rounding.codes.withUnsafeMutableBufferPointer { codes in
                                work.changes.withUnsafeMutableBytes { changeBytes in
                                    for chunk in stride(from: 0, to: active.count, by: 8) {
                                        let count = min(8, active.count - chunk)
                                        // Lanes past the last row repeat it; their results are ignored.
                                        func index(_ lane: Int) -> Int { chunk + min(lane, count - 1) }
                                        let p = Octet { productBytes.loadUnaligned(fromByteOffset: (index($0) * width + first - start) * 4, as: SIMD8<Float>.self) }
                                        let current = Octet { valueBytes.loadUnaligned(fromByteOffset: (active[index($0)] * columns + first) * 4, as: SIMD8<Float>.self) }
                                        let (replacement, improves) = Self.replacements(current: current, p: p, inverse: inverse, h: h, codebook: codebook)
                                        for lane in 0 ..< count where improves[lane] {
                                            let i = index(lane), r = active[i]
                                            let value = replacement.values[vector: lane], d = value - current[vector: lane]
                                            valueBytes.storeBytes(of: value, toByteOffset: (r * columns + first) * 4, as: SIMD8<Float>.self)
                                            let at = (i * columns + first) * 4
                                            let oldDelta = deltaBytes.loadUnaligned(fromByteOffset: at, as: SIMD8<Float>.self)
                                            deltaBytes.storeBytes(of: oldDelta - d, toByteOffset: at, as: SIMD8<Float>.self)
                                            changeBytes.storeBytes(of: d, toByteOffset: i * 32, as: SIMD8<Float>.self)
                                            codes[r * blocksPerRow + block] = replacement.code(lane: lane)
                                            work.changedRows.append(i)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// For eight rows' blocks `current` with their `(ΔH)_k` `p`: the better candidate for each
    /// unconstrained optimum `current + p H_kk⁻¹`, and whether it lowers the row's loss.
    /// (`inverse` and `h`: the block's `H_kk⁻¹` and `H_kk`, row-major 8 × 8 floats.)
    @inline(__always)
    static func replacements(current: Octet, p: Octet, inverse: UnsafeRawPointer, h: UnsafeRawPointer,
                             codebook: LatticeCodebook) -> (LatticeOctet, SIMDMask<SIMD8<Int32>>) {
        let options = codebook.candidates(current + p.times(inverse))
        var best = options.first
        var change = lossChanges(best.values - current, p, h)
        if let second = options.second {
            let other = lossChanges(second.values - current, p, h)
            let better = other .< change
            best.values = best.values.zip(second.values) { $0.selecting($1, where: better) }
            best.first = best.first.selecting(second.first, where: better)
            best.second = best.second.selecting(second.second, where: better)
            change = change.selecting(other, where: better)
        }
        return (best, change .< SIMD8<Float>(repeating: 0))
    }

    /// The change of each row's loss when its block moves by `d`: `d H_kk dᵀ − 2 d·(ΔH)_k`.
    @inline(__always)
    static func lossChanges(_ d: Octet, _ p: Octet, _ h: UnsafeRawPointer) -> SIMD8<Float> {
        Octet.dot(d, d.times(h)) - 2 * Octet.dot(d, p)
    }

    /// `(ΔH)[:, later columns of the buffer] −= δ · H[block rows, those columns]` for the first
    /// `rows` (compact) rows.
    private func rankEightUpdate(_ changes: [Float], rows: Int, first: Int, start: Int, width: Int, product: inout [Float]) throws {
        let offset = first + 8 - start
        let count = width - offset
        try changes.withUnsafeBufferPointer { d in
            try hessian.withUnsafeBufferPointer { h in
                try product.withUnsafeMutableBufferPointer { p in
                    try BLAS.gemm(m: rows, n: count, k: 8, alpha: -1, a: d, lda: 8,
                                  b: UnsafeBufferPointer(rebasing: h[((first) * columns + first + 8)...]), ldb: columns,
                                  beta: 1, c: UnsafeMutableBufferPointer(rebasing: p[offset...]), ldc: width)
                }
            }
        }
    }

    /// `out = Δ · H[:, start ..< start+width]`.
    private func gemm(_ delta: [Float], rows: Int, inner: Int, hessianColumns start: Int, width: Int,
                      into out: inout [Float], beta: Float) throws {
        try delta.withUnsafeBufferPointer { a in
            try hessian.withUnsafeBufferPointer { h in
                try out.withUnsafeMutableBufferPointer { c in
                    try BLAS.gemm(m: rows, n: width, k: inner, a: a, lda: inner,
                                  b: UnsafeBufferPointer(rebasing: h[start...]), ldb: columns, beta: beta, c: c, ldc: width)
                }
            }
        }
    }

    /// The inverse of the symmetric positive definite 8 × 8 block at `(first, first)`
    /// (Gauss–Jordan in float64).
    static func invert8(_ h: [Float], columns: Int, first: Int) throws -> [Float] {
        var a = [Double](repeating: 0, count: 64), inverse = [Double](repeating: 0, count: 64)
        for i in 0..<8 {
            for j in 0..<8 { a[i * 8 + j] = Double(h[(first + i) * columns + first + j]) }
            inverse[i * 8 + i] = 1
        }
        for pivot in 0..<8 {
            let d = a[pivot * 8 + pivot]
            guard d > 0, d.isFinite else {
                throw QZooError(.invalidArgument, "the Hessian's diagonal block at column \(first) is not positive definite")
            }
            for j in 0..<8 { a[pivot * 8 + j] /= d; inverse[pivot * 8 + j] /= d }
            for row in 0..<8 where row != pivot {
                let factor = a[row * 8 + pivot]
                guard factor != 0 else { continue }
                for j in 0..<8 {
                    a[row * 8 + j] -= factor * a[pivot * 8 + j]
                    inverse[row * 8 + j] -= factor * inverse[pivot * 8 + j]
                }
            }
        }
        return inverse.map { Float($0) }
    }
}
