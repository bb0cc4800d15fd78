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
        var errorEnergy = 0.0
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
                errorEnergy += roundColumn(column, blockStart: blockStart, parameters: row, workspace: workspace,
                                           codes: &codes)
                workspace.propagate(error: workspace.errorRow(column - blockStart), from: column,
                                    to: (column + 1) ..< blockEnd)
            }
            try workspace.finishBlock(start: blockStart, end: blockEnd)
        }
        let quantized = try assemble(codes: codes, loopGroups: loopGroups, sourceDType: sourceDType)
        let proxyLoss = try proxyLoss(errorEnergy: errorEnergy, damping: factorization.damping, quantized: quantized)
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
    /// `(w − q) / U[column, column]` as the block's error row. Returns the sum of squared errors.
    private func roundColumn(_ column: Int, blockStart: Int, parameters row: RowParameters,
                             workspace: LDLQWorkspace, codes: inout [UInt8]) -> Double {
        let w = workspace.column(column)
        let error = workspace.errorRow(column - blockStart)
        let d = workspace.upper[column * columns + column]
        let maxCode = grid.maxCode
        var energy = 0.0
        codes.withUnsafeMutableBufferPointer { out in
            for r in 0..<rows {
                let parameters = AffineParameters(scale: row.scales[r], zeroPoint: row.zeros[r])
                let code = parameters.code(w[r], maxCode: maxCode)
                out[column * rows + r] = code
                let e = (w[r] - parameters.value(code)) / d
                error[r] = e
                energy += Double(e) * Double(e)
            }
        }
        return energy
    }
}
