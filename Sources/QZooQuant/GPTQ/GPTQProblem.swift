import QZooCore
import QZooMath

/// One run of GPTQ's `fasterquant`, prepared step by step as the reference prepares it.
struct GPTQProblem {
    let rows: Int
    let columns: Int
    let parameters: GPTQParameters
    let grid: AffineGrid
    /// Row-major weight, dead columns zeroed.
    var weight: [Float]
    /// The undamped Hessian in float32, dead diagonal set to 1, original column order.
    var hessian: [Float]
    /// Loop position → original column (identity without act-order).
    var order: [Int]
    /// Per-row parameters fitted over each whole row before anything else (no groups).
    var channelParameters: RowParameters?
    /// Static groups, fitted in original column order before the permutation.
    var staticGroups: [RowParameters] = []

    init(weight: [Float], rows: Int, columns: Int, hessian: [Double], parameters: GPTQParameters) throws {
        self.rows = rows
        self.columns = columns
        self.parameters = parameters
        grid = parameters.grid
        self.weight = weight
        self.hessian = hessian.map { Float($0) }
        order = Array(0..<columns)
        if parameters.groupSize == nil {
            channelParameters = try RowParameters(rows: rows, columns: 0..<columns, grid: grid) { c, r in weight[r * columns + c] }
        }
        zeroDeadColumns()
        if let size = parameters.groupSize, parameters.staticGroups {
            let current = self.weight
            staticGroups = try stride(from: 0, to: columns, by: size).map { start in
                try RowParameters(rows: rows, columns: start ..< Swift.min(start + size, columns), grid: grid) { c, r in
                    current[r * columns + c]
                }
            }
        }
        if parameters.actOrder {
            let diagonal = (0..<columns).map { self.hessian[$0 * columns + $0] }
            order = (0..<columns).sorted { diagonal[$0] > diagonal[$1] || (diagonal[$0] == diagonal[$1] && $0 < $1) }
        }
    }

    /// Inputs that never fire carry no information: `H[d, d] = 1`, `W[:, d] = 0`.
    private mutating func zeroDeadColumns() {
        for c in 0..<columns where hessian[c * columns + c] == 0 {
            hessian[c * columns + c] = 1
            for r in 0..<rows { weight[r * columns + c] = 0 }
        }
    }

    /// The Hessian with rows and columns in loop order.
    func permutedHessian() -> [Float] {
        var out = [Float](repeating: 0, count: columns * columns)
        for i in 0..<columns {
            let source = order[i] * columns
            for j in 0..<columns { out[i * columns + j] = hessian[source + order[j]] }
        }
        return out
    }

    /// The weight transposed to `[columns × rows]` in loop order.
    func permutedTransposedWeight() -> [Float] {
        var out = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            for j in 0..<columns { out[j * rows + r] = weight[r * columns + order[j]] }
        }
        return out
    }

    /// Whether results keep the loop order (with a `columnPermutation`): only act-order with
    /// groups fitted during the loop, whose groups are runs of the permuted order.
    var storesPermutation: Bool {
        parameters.actOrder && parameters.groupSize != nil && !parameters.staticGroups
    }
}
