import QZooCore

extension GPTQLoop {
    /// Rounds columns `block` of the rows `firstRow ..< firstRow + T.tileLanes` (fewer in the
    /// last tile; missing rows are zeros, rounded on a scale of 1, and never stored).
    ///
    /// `local` (`block.count × tileLanes`) collects the tile's negated scaled errors column by
    /// column; at the end they are copied to the block's `errors` for the gemm. Returns the
    /// tile's `Σ err²` and `‖Ŵ − W‖²`.
    func roundTile(firstRow: Int, block: Range<Int>, local: UnsafeMutablePointer<T>, scratch: LDLQTileScratch<T>,
                   original: UnsafeBufferPointer<T>, upper: UnsafeBufferPointer<T>) throws -> (scaledError: Double, delta: Double) {
        let lanes = T.tileLanes, columns = problem.columns
        let valid = Swift.min(lanes, problem.rows - firstRow)
        let s = scratch
        s.scale.update(repeating: 1, count: lanes)
        s.zero.update(repeating: 0, count: lanes)
        s.resetEnergy()
        s.clearLanes(after: valid)
        var currentGroup = -1
        for t in block {
            let group = problem.group(ofLoopColumn: t)
            if let size = problem.parameters.groupSize, !problem.parameters.staticGroups, t % size == 0 {
                try fitGroup(group, columns: t ..< Swift.min(t + size, columns), firstRow: firstRow, valid: valid)
                currentGroup = -1
            }
            if group != currentGroup {
                for i in 0..<valid {
                    s.scale[i] = T(scales[(firstRow + i) * problem.groups.count + group])
                    s.zero[i] = T(zeros[(firstRow + i) * problem.groups.count + group])
                }
                currentGroup = group
            }
            for i in 0..<valid {
                s.pending[i] = work[(firstRow + i) * columns + t]
                s.original[i] = original[(firstRow + i) * columns + t]
            }
            // Pending feedback of this block's earlier columns, in column order.
            T.feedback(s.pending, errors: local, stride: lanes,
                       coefficients: upper.baseAddress.unsafelyUnwrapped + t * columns + block.lowerBound, count: t - block.lowerBound)
            roundLanes(scratch: s, error: local + (t - block.lowerBound) * lanes, diagonal: factor.diagonal[t])
            let stored = problem.storesPermutation ? t : problem.order[t]
            for i in 0..<valid { codes[(firstRow + i) * columns + stored] = UInt8(s.code[i]) }
        }
        for k in 0..<block.count {
            (errors.baseAddress.unsafelyUnwrapped + k * paddedRows + firstRow).update(from: local + k * lanes, count: lanes)
        }
        return s.energy()
    }

    /// `AffineParameters.code`/`value` lane by lane, `q = (clamp(round(w / scale) + zero, 0, top) − zero)·scale`;
    /// stores `−err = (q − w) / U_tt` at `error` and adds `err²` and `(q − w₀)²` to the sums.
    @inline(__always)
    private func roundLanes(scratch s: LDLQTileScratch<T>, error pointer: UnsafeMutablePointer<T>, diagonal: T) {
        let top = T.Vector(repeating: T(problem.grid.maxCode)), zeroVector = T.Vector(repeating: 0)
        for v in 0..<T.tileVectors {
            let w = T.load(s.pending, vector: v), scale = T.load(s.scale, vector: v), zero = T.load(s.zero, vector: v)
            var code = (w / scale).rounded(.toNearestOrEven) + zero
            code.replace(with: zeroVector, where: .!(code .>= zeroVector))
            code.replace(with: top, where: code .> top)
            let value = (code - zero) * scale
            let d = value - T.load(s.original, vector: v)
            let error = (value - w) / diagonal
            var errorSum = T.load(s.errorEnergy, vector: v), deltaSum = T.load(s.deltaEnergy, vector: v)
            errorSum.addProduct(error, error)
            deltaSum.addProduct(d, d)
            T.store(error, to: pointer, vector: v)
            T.store(code, to: s.code, vector: v)
            T.store(errorSum, to: s.errorEnergy, vector: v)
            T.store(deltaSum, to: s.deltaEnergy, vector: v)
        }
    }

    /// The reference's `find_params` on `W[:, columns]` of the tile's rows: the weight with the
    /// feedback of earlier blocks but not of this block's own columns (those live in its `W1`).
    private func fitGroup(_ group: Int, columns range: Range<Int>, firstRow: Int, valid: Int) throws {
        let count = problem.groups.count, grid = problem.grid
        for r in firstRow ..< (firstRow + valid) {
            let row = UnsafeBufferPointer(rebasing: work[(r * problem.columns + range.lowerBound) ..< (r * problem.columns + range.upperBound)])
            let parameters = try GroupGrid.fit(row, grid: grid)
            scales[r * count + group] = parameters.scale
            zeros[r * count + group] = UInt8(parameters.zeroPoint)
        }
    }
}
