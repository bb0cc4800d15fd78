import QZooCore
import QZooMath

extension GPTQProblem {
    /// The block loop (reference step 7) and the assembly of the stored tensor.
    mutating func solve(sourceDType: DType) throws -> GPTQResult {
        let factorization = try HessianFactorization(hessian: permutedHessian(), n: columns, damp: parameters.damp)
        let original = permutedTransposedWeight()
        let blockSize = Swift.min(parameters.blockSize, columns)
        let workspace = LDLQWorkspace(transposedWeight: original, rows: rows, columns: columns,
                                      upper: factorization.upper, lazyBlock: blockSize)
        var codes = [UInt8](repeating: 0, count: rows * columns)  // [columns × rows], loop order
        var loopGroups: [RowParameters] = []
        var current = channelParameters
        var energy = (scaledError: 0.0, delta: 0.0)
        for blockStart in stride(from: 0, to: columns, by: blockSize) {
            let blockEnd = Swift.min(blockStart + blockSize, columns)
            let snapshot = storesGroupsDuringLoop ? Array(workspace.weight[(blockStart * rows) ..< (blockEnd * rows)]) : []
            for column in blockStart ..< blockEnd {
                if let size = parameters.groupSize {
                    if parameters.staticGroups {
                        current = staticGroups[order[column] / size]
                    } else if column % size == 0 {
                        let fitted = try fitGroup(at: column, size: size, blockStart: blockStart, blockEnd: blockEnd,
                                                  snapshot: snapshot, workspace: workspace)
                        loopGroups.append(fitted)
                        current = fitted
                    }
                }
                guard let row = current else {
                    throw QZooError.malformed("no grid parameters were fitted for column \(order[column])")
                }
                let sums = roundColumn(column, blockStart: blockStart, parameters: row, original: original,
                                         workspace: workspace, codes: &codes)
                energy.scaledError += sums.scaledError
                energy.delta += sums.delta
                workspace.propagate(error: workspace.errorRow(column - blockStart), from: column,
                                    to: (column + 1) ..< blockEnd)
            }
            try workspace.finishBlock(start: blockStart, end: blockEnd)
        }
        let quantized = try assemble(codes: codes, loopGroups: loopGroups, sourceDType: sourceDType)
        let proxyLoss = try factorization.damping.map { Swift.max(0, energy.scaledError - $0 * energy.delta) }
            ?? proxyLoss(errorEnergy: energy.scaledError, damping: nil, quantized: quantized)
        return GPTQResult(quantized: quantized, proxyLoss: proxyLoss, damping: factorization.damping)
    }

    /// Groups fitted inside the loop (not static): the reference's `find_params` on
    /// `W[:, column : column+size]` of the global W, which holds the lazy updates of earlier blocks
    /// but not this block's own updates (those live in its `W1` copy): hence the block snapshot.
    private var storesGroupsDuringLoop: Bool { parameters.groupSize != nil && !parameters.staticGroups }

    private func fitGroup(at column: Int, size: Int, blockStart: Int, blockEnd: Int, snapshot: [Float],
                          workspace: LDLQWorkspace) throws -> RowParameters {
        let rows = rows
        let live = workspace.weight
        return try RowParameters(rows: rows, columns: column ..< Swift.min(column + size, columns), grid: grid) { c, r in
            c < blockEnd ? snapshot[(c - blockStart) * rows + r] : live[c * rows + r]
        }
    }

    /// Rounds loop column `column`, writes its codes, and stores its scaled error
    /// `(w − q) / U[column, column]` as the block's error row. Returns the sums of squared scaled
    /// errors and of squared differences from the original weight (for `ProxyTrace`).
    private func roundColumn(_ column: Int, blockStart: Int, parameters row: RowParameters, original: [Float],
                             workspace: LDLQWorkspace, codes: inout [UInt8]) -> (scaledError: Double, delta: Double) {
        let w = workspace.column(column)
        let error = workspace.errorRow(column - blockStart)
        let d = workspace.upper[column * columns + column]
        let maxCode = grid.maxCode
        var energy = 0.0, deltaEnergy = 0.0
        codes.withUnsafeMutableBufferPointer { out in
            for r in 0..<rows {
                let parameters = AffineParameters(scale: row.scales[r], zeroPoint: row.zeros[r])
                let code = parameters.code(w[r], maxCode: maxCode)
                out[column * rows + r] = code
                let value = parameters.value(code)
                let e = (w[r] - value) / d
                error[r] = e
                energy += Double(e) * Double(e)
                let delta = Double(value) - Double(original[column * rows + r])
                deltaEnergy += delta * delta
            }
        }
        return (energy, deltaEnergy)
    }
}
