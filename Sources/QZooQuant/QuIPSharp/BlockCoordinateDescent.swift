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
/// `(ΔH)` is computed once, with one gemm on LDLQ's result, and from then on kept current by
/// each change alone: a block of row `r` moving by `δ` moves `Δ_r` by `−δ`, so `(ΔH)_r` by
/// `−δ · H[block rows]`, eight multiply–adds per column. The reference recomputes the product
/// every pass (one `rows × n × n` gemm per pass), although a pass changes only a few percent of
/// the blocks (MiniLM, 2 bits: 7–11 % in the first pass, far fewer after), so the updates of all
/// ten passes cost a tenth to a fifth of one such product.
///
/// Rows never interact, and a block's decision depends only on its row's current block and
/// `(ΔH)` there, which only change when a block of that row does. So a block whose row did not
/// change since the block was last visited would make the same decision again, bit for bit
/// (nothing it reads moved): none. Each visit therefore only takes the rows that changed within
/// the last sweep of `n / 8` blocks (its own block in the pass before included), and the passes
/// stop when a whole sweep changed nothing. Most blocks settle within a few passes, so later
/// passes cost a fraction of the first.
struct BlockCoordinateDescent {
    let rows: Int
    let columns: Int
    /// Row-major `n × n` (regularised) Hessian.
    let hessian: [Float]
    /// `H_kk⁻¹` for each block, 8 rows each (symmetric, so rows are columns too).
    let blockInverses: [SIMD8<Float>]
    /// `H_kk` for each block, 8 rows each.
    let blocks: [SIMD8<Float>]

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

    /// What the passes work on, allocated once for all of them.
    struct Workspace {
        /// `(W − Ŵ)H`, row-major `rows × columns`, current after every change.
        var product: [Float]
        /// The visit (`pass · blocks + block`) at which each row last changed (−1: not yet).
        var lastChange: [Int]
        /// The rows the current visit takes, ascending.
        var live: [Int]
        /// The rows that changed at the current visit, and their blocks' changes `δ`.
        var changedRows: [Int] = []
        var changes: [SIMD8<Float>] = []
    }

    /// What `run` did: the result's proxy loss `tr(Δ H Δᵀ)`, and how many row blocks it
    /// re-rounded.
    struct Outcome {
        var proxyLoss: Double
        var blocksVisited: Int
    }

    /// Up to `count` passes over all blocks; `weight` is the target `W`, `rounding` is updated
    /// in place. The proxy loss is read off the kept product (`Σ_r Δ_r · (ΔH)_r`) instead of
    /// another `rows × n × n` one. `skippingSettled: false` visits every row at every block
    /// (the same result, slower: for tests to show that skipping changes nothing).
    func run(passes count: Int, weight: [Float], rounding: inout LatticeRounding, skippingSettled: Bool = true) throws -> Outcome {
        let blockCount = columns / 8
        var work = Workspace(product: try product(of: weight, minus: rounding.values),
                             lastChange: [Int](repeating: -1, count: rows), live: Array(0 ..< rows))
        var visited = 0
        for visit in 0 ..< count * blockCount {
            if skippingSettled { work.live = work.live.filter { work.lastChange[$0] >= visit - blockCount } }
            guard !work.live.isEmpty else { break }
            let first = visit % blockCount * 8
            updateBlock(first: first, visit: visit, rounding: &rounding, work: &work)
            applyChanges(first: first, work: &work)
            visited += work.live.count
        }
        return Outcome(proxyLoss: proxyLoss(weight: weight, values: rounding.values, product: work.product), blocksVisited: visited)
    }

    /// `Σ_r (W − Ŵ)_r · (ΔH)_r`, summed in float64.
    private func proxyLoss(weight: [Float], values: [Float], product: [Float]) -> Double {
        var sum = 0.0
        for i in weight.indices { sum += Double(weight[i] - values[i]) * Double(product[i]) }
        return sum
    }

    /// `(W − Ŵ) · H`, row-major `rows × columns`.
    private func product(of weight: [Float], minus values: [Float]) throws -> [Float] {
        let delta = zip(weight, values).map { $0 - $1 }
        var out = [Float](repeating: 0, count: rows * columns)
        try delta.withUnsafeBufferPointer { a in
            try hessian.withUnsafeBufferPointer { h in
                try out.withUnsafeMutableBufferPointer { c in
                    try BLAS.gemm(m: rows, n: columns, k: columns, a: a, lda: columns, b: h, ldb: columns, beta: 0, c: c, ldc: columns)
                }
            }
        }
        return out
    }

    /// Re-rounds block `first ..< first+8` of each live row, eight rows at a time (an `Octet`,
    /// lane-wise the same arithmetic as one row alone); records each changed row, its change
    /// `δ` and the visit.
    private func updateBlock(first: Int, visit: Int, rounding: inout LatticeRounding, work: inout Workspace) {
        let block = first / 8, columns = columns, blocksPerRow = rounding.blocksPerRow, codebook = rounding.codebook
        let live = work.live
        work.changedRows.removeAll(keepingCapacity: true)
        work.changes.removeAll(keepingCapacity: true)
        blockInverses.withUnsafeBytes { inverses in
            blocks.withUnsafeBytes { allBlocks in
                guard let inverses = inverses.baseAddress, let allBlocks = allBlocks.baseAddress else { return }
                let inverse = inverses + block * 256, h = allBlocks + block * 256
                work.product.withUnsafeBytes { productBytes in
                    rounding.values.withUnsafeMutableBytes { valueBytes in
                        rounding.codes.withUnsafeMutableBufferPointer { codes in
                            for chunk in stride(from: 0, to: live.count, by: 8) {
                                let count = min(8, live.count - chunk)
                                // Lanes past the last row repeat it; their results are ignored.
                                func row(_ lane: Int) -> Int { live[chunk + min(lane, count - 1)] }
                                let p = Octet { productBytes.loadUnaligned(fromByteOffset: (row($0) * columns + first) * 4, as: SIMD8<Float>.self) }
                                let current = Octet { valueBytes.loadUnaligned(fromByteOffset: (row($0) * columns + first) * 4, as: SIMD8<Float>.self) }
                                let (replacement, improves) = Self.replacements(current: current, p: p, inverse: inverse, h: h, codebook: codebook)
                                for lane in 0 ..< count where improves[lane] {
                                    let r = row(lane), value = replacement.values[vector: lane]
                                    valueBytes.storeBytes(of: value, toByteOffset: (r * columns + first) * 4, as: SIMD8<Float>.self)
                                    codes[r * blocksPerRow + block] = replacement.code(lane: lane)
                                    work.changedRows.append(r)
                                    work.changes.append(value - current[vector: lane])
                                    work.lastChange[r] = visit
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `(ΔH)_r −= δ_r · H[first ..< first+8, :]` for each changed row `r`: one fused
    /// multiply–add per element and block row, in block-row order. Rows go four at a time, so
    /// each vector of `H` loaded serves four of them (a row's arithmetic is the same either way).
    private func applyChanges(first: Int, work: inout Workspace) {
        let columns = columns, changed = work.changedRows, changes = work.changes
        hessian.withUnsafeBytes { h in
            work.product.withUnsafeMutableBytes { product in
                let stripe = h.baseAddress.map { $0 + first * columns * 4 }
                guard let stripe, let base = product.baseAddress else { return }
                var i = 0
                while i + 4 <= changed.count {
                    Self.subtract(changes[i], changes[i + 1], changes[i + 2], changes[i + 3], stripe: stripe, columns: columns,
                                  from: base + changed[i] * columns * 4, base + changed[i + 1] * columns * 4,
                                  base + changed[i + 2] * columns * 4, base + changed[i + 3] * columns * 4)
                    i += 4
                }
                for k in i ..< changed.count {
                    let row = base + changed[k] * columns * 4
                    Self.subtract(changes[k], .zero, .zero, .zero, stripe: stripe, columns: columns, from: row, row, row, row, count: 1)
                }
            }
        }
    }

    /// `e_i −= Σ_j d_i[j] · stripe[j, :]` for the first `count` of four rows `e_i` (`stripe`: 8
    /// rows of `columns` floats).
    @inline(__always)
    private static func subtract(_ d0: SIMD8<Float>, _ d1: SIMD8<Float>, _ d2: SIMD8<Float>, _ d3: SIMD8<Float>,
                                 stripe: UnsafeRawPointer, columns: Int,
                                 from e0: UnsafeMutableRawPointer, _ e1: UnsafeMutableRawPointer,
                                 _ e2: UnsafeMutableRawPointer, _ e3: UnsafeMutableRawPointer, count: Int = 4) {
        let (n0, n1, n2, n3) = (-d0, -d1, -d2, -d3)
        for c in stride(from: 0, to: columns * 4, by: 32) {
            var (a0, a1, a2, a3) = (e0.loadUnaligned(fromByteOffset: c, as: SIMD8<Float>.self),
                                    e1.loadUnaligned(fromByteOffset: c, as: SIMD8<Float>.self),
                                    e2.loadUnaligned(fromByteOffset: c, as: SIMD8<Float>.self),
                                    e3.loadUnaligned(fromByteOffset: c, as: SIMD8<Float>.self))
            for j in 0..<8 {
                let v = stripe.loadUnaligned(fromByteOffset: j * columns * 4 + c, as: SIMD8<Float>.self)
                a0.addProduct(SIMD8(repeating: n0[j]), v)
                a1.addProduct(SIMD8(repeating: n1[j]), v)
                a2.addProduct(SIMD8(repeating: n2[j]), v)
                a3.addProduct(SIMD8(repeating: n3[j]), v)
            }
            e0.storeBytes(of: a0, toByteOffset: c, as: SIMD8<Float>.self)
            guard count > 1 else { continue }
            e1.storeBytes(of: a1, toByteOffset: c, as: SIMD8<Float>.self)
            e2.storeBytes(of: a2, toByteOffset: c, as: SIMD8<Float>.self)
            e3.storeBytes(of: a3, toByteOffset: c, as: SIMD8<Float>.self)
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
