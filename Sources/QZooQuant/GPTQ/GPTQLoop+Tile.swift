import QZooCore

extension GPTQLoop {
    /// Rounds columns `block` of the rows `firstRow ..< firstRow + T.tileLanes` (fewer in the
    /// last tile; missing rows are zeros, rounded on a scale of 1, and never stored).
    ///
    /// The tile's lazily updated weights (from `lazy`, over `span`) are copied column by column
    /// into `scratch`, rounded there, and its residuals `W − Ŵ` copied to the block's
    /// `residuals` for the gemm. `inverse` is `U` on the span (column-major). Returns the tile's
    /// `Σ err²` and `‖Ŵ − W‖²`.
    func roundTile(firstRow: Int, block: Range<Int>, span: Range<Int>, scratch s: LDLQTileScratch<T>,
                   original: UnsafeBufferPointer<T>, inverse: UnsafeBufferPointer<T>) throws -> (scaledError: Double, delta: Double) {
        let lanes = T.tileLanes, columns = problem.columns, first = block.lowerBound, width = span.count
        let valid = Swift.min(lanes, problem.rows - firstRow)
        s.scale.update(repeating: 1, count: lanes)
        s.zero.update(repeating: 0, count: lanes)
        s.resetEnergy()
        s.clearLanes(after: valid)
        // Column by column: each tile column is one contiguous run of stores, and the rows'
        // source cache lines stay in L1 across the 16 columns they hold.
        let source = (lazy.baseAddress.unsafelyUnwrapped + firstRow * width + (first - span.lowerBound),
                      original.baseAddress.unsafelyUnwrapped + firstRow * columns + first)
        for k in 0..<block.count {
            let pending = s.pending + k * lanes, weight = s.original + k * lanes
            for i in 0..<valid {
                pending[i] = source.0[i * width + k]
                weight[i] = source.1[i * columns + k]
            }
        }
        var currentGroup = -1
        for t in block {
            let group = problem.group(ofLoopColumn: t)
            if let size = problem.parameters.groupSize, !problem.parameters.staticGroups, t % size == 0 {
                try fitGroup(group, columns: t ..< Swift.min(t + size, columns), span: span, firstRow: firstRow, valid: valid)
                currentGroup = -1
            }
            if group != currentGroup {
                for i in 0..<valid {
                    s.scale[i] = T(scales[(firstRow + i) * problem.groups.count + group])
                    s.zero[i] = T(zeros[(firstRow + i) * problem.groups.count + group])
                }
                currentGroup = group
            }
            // Pending feedback of this block's earlier columns, in column order.
            T.feedback(s.pending + (t - first) * lanes, errors: s.errors, stride: lanes,
                       coefficients: inverse.baseAddress.unsafelyUnwrapped + (t - span.lowerBound) * width + (first - span.lowerBound),
                       count: t - first)
            roundLanes(column: t - first, scratch: s, diagonal: factor.diagonal[t])
        }
        problem.order.withUnsafeBufferPointer { order in
            let stored = problem.storesPermutation || !problem.parameters.actOrder ? nil : order.baseAddress.unsafelyUnwrapped
            for i in 0..<valid {
                let row = codes.baseAddress.unsafelyUnwrapped + (firstRow + i) * columns
                for k in 0..<block.count { row[stored?[first + k] ?? (first + k)] = s.codeBytes[k * lanes + i] }
            }
        }
        for k in 0..<block.count {
            (residuals.baseAddress.unsafelyUnwrapped + k * paddedRows + firstRow).update(from: s.original + k * lanes, count: lanes)
        }
        return s.energy()
    }

    /// `AffineParameters.code`/`value` lane by lane on column `k` of the tile,
    /// `q = (clamp(round(w / scale) + zero, 0, top) − zero)·scale`; stores the codes and
    /// `−err = (q − w) / U_tt`, replaces the original weight by the residual `w₀ − q`, and adds
    /// `err²` and `(q − w₀)²` to the sums.
    @inline(__always)
    private func roundLanes(column k: Int, scratch s: LDLQTileScratch<T>, diagonal: T) {
        let lanes = T.tileLanes, top = T.Vector(repeating: T(problem.grid.maxCode))
        let pending = s.pending + k * lanes, original = s.original + k * lanes, errors = s.errors + k * lanes
        for v in 0..<T.tileVectors {
            let w = T.load(pending, vector: v), scale = T.load(s.scale, vector: v), zero = T.load(s.zero, vector: v)
            let code = T.clamp((w / scale).rounded(.toNearestOrEven) + zero, top: top)
            let value = (code - zero) * scale
            let d = value - T.load(original, vector: v)
            let error = (value - w) / diagonal
            var errorSum = T.load(s.errorEnergy, vector: v), deltaSum = T.load(s.deltaEnergy, vector: v)
            errorSum.addProduct(error, error)
            deltaSum.addProduct(d, d)
            T.store(error, to: errors, vector: v)
            T.store(-d, to: original, vector: v)
            T.store(code, to: s.code, vector: v)
            T.store(errorSum, to: s.errorEnergy, vector: v)
            T.store(deltaSum, to: s.deltaEnergy, vector: v)
        }
        for i in 0..<lanes { s.codeBytes[k * lanes + i] = T.byte(s.code[i]) }
    }

    /// The reference's `find_params` on `W[:, columns]` of the tile's rows: the weight with the
    /// feedback of earlier blocks but not of this block's own columns (those live in its `W1`),
    /// i.e. `W̃` of the span.
    private func fitGroup(_ group: Int, columns range: Range<Int>, span: Range<Int>, firstRow: Int, valid: Int) throws {
        let count = problem.groups.count, grid = problem.grid, width = span.count
        let offset = range.lowerBound - span.lowerBound
        for r in firstRow ..< (firstRow + valid) {
            let row = UnsafeBufferPointer(rebasing: lazy[(r * width + offset) ..< (r * width + offset + range.count)])
            let parameters = try GroupGrid.fit(row, grid: grid)
            scales[r * count + group] = parameters.scale
            zeros[r * count + group] = UInt8(parameters.zeroPoint)
        }
    }
}
