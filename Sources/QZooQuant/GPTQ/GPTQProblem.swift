import QZooCore
import QZooMath

/// One run of GPTQ's `fasterquant` in precision `T`, prepared step by step as the reference
/// prepares it.
struct GPTQProblem<T: LDLQScalar> {
    let rows: Int
    let columns: Int
    let parameters: GPTQParameters
    let grid: AffineGrid
    /// Row-major `[rows × columns]` in loop column order, dead columns zeroed.
    var weight: [T]
    /// The Hessian as given: `columns²`, row-major, original column order.
    let hessian: [Double]
    /// Original columns whose input never fires (Hessian diagonal 0 in `T`).
    var dead: [Bool]
    /// Loop position → original column (identity without act-order).
    var order: [Int]
    /// Per-channel parameters or static groups, fitted before the loop; otherwise the slots the
    /// loop fills at each group start.
    var groups: GroupGrid

    init(weight: [Float], rows: Int, columns: Int, hessian: [Double], parameters: GPTQParameters) throws {
        self.rows = rows
        self.columns = columns
        self.parameters = parameters
        grid = parameters.grid
        self.hessian = hessian
        let dead = (0..<columns).map { T(hessian[$0 * columns + $0]) == 0 }
        self.dead = dead
        if let size = parameters.groupSize {
            groups = GroupGrid(rows: rows, count: (columns + size - 1) / size)
        } else {
            groups = GroupGrid(rows: rows, count: 1)
            try groups.set(0, RowParameters(rows: rows, columns: 0..<columns, grid: grid) { c, r in weight[r * columns + c] })
        }
        // Inputs that never fire carry no information: W[:, d] = 0 (and H[d, d] = 1, see
        // `HessianSource`) from here on, as in the reference (after the per-channel fit).
        if let size = parameters.groupSize, parameters.staticGroups {
            for (g, start) in stride(from: 0, to: columns, by: size).enumerated() {
                try groups.set(g, RowParameters(rows: rows, columns: start ..< Swift.min(start + size, columns), grid: grid) { c, r in
                    dead[c] ? 0 : weight[r * columns + c]
                })
            }
        }
        order = Array(0..<columns)
        if parameters.actOrder {
            let diagonal = (0..<columns).map { dead[$0] ? 1 : T(hessian[$0 * columns + $0]) }
            order.sort { diagonal[$0] > diagonal[$1] || (diagonal[$0] == diagonal[$1] && $0 < $1) }
        }
        let order = order
        self.weight = [T](unsafeUninitializedCapacity: rows * columns) { buffer, initialized in
            for r in 0..<rows {
                for j in 0..<columns {
                    let c = order[j]
                    buffer[r * columns + j] = dead[c] ? 0 : T(weight[r * columns + c])
                }
            }
            initialized = rows * columns
        }
    }

    /// Whether results keep the loop order (with a `columnPermutation`): only act-order with
    /// groups fitted during the loop, whose groups are runs of the permuted order.
    var storesPermutation: Bool {
        parameters.actOrder && parameters.groupSize != nil && !parameters.staticGroups
    }

    /// The group whose parameters round loop column `column`.
    func group(ofLoopColumn column: Int) -> Int {
        guard let size = parameters.groupSize else { return 0 }
        return parameters.staticGroups ? order[column] / size : column / size
    }
}
