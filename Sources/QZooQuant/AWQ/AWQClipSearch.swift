import QZooCore
import QZooMath

/// AWQ's clip search (llm-awq `auto_clip_layer`) for one linear layer, run after scaling.
///
/// Per output row and quantization run (group, or the whole row), it tries the symmetric clamp
/// `±max|w| · (1 − i/nGrid)` for `i < maxShrink · nGrid`, rounds the clamped run onto the grid,
/// and keeps the clamp with the smallest output error on the calibration inputs,
/// `Δᵀ H_gg Δ` with `Δ = Q(clamp(w)) − w` and `H_gg` the run's block of the Hessian (the
/// reference's mean over sampled tokens of `(x_g · Δ)²`). The weight is clamped in place; the
/// final quantizer then fits the clamped ranges.
public struct AWQClipSearch: Sendable {
    public let parameters: AWQParameters

    public init(parameters: AWQParameters) throws {
        try parameters.validate()
        self.parameters = parameters
    }

    /// The shrink factors tried, largest first.
    var factors: [Float] {
        (0..<max(1, Int(parameters.maxShrink * Double(parameters.nGrid)))).map { Float(1 - Double($0) / Double(parameters.nGrid)) }
    }

    /// Clamps `weight` (`[rows, columns]` row-major) run by run; `hessian` is `columns × columns`.
    public func clip(_ weight: inout [Float], rows: Int, columns: Int, hessian: [Double]) throws {
        guard rows > 0, columns > 0, weight.count == rows * columns, hessian.count == columns * columns else {
            throw QZooError(.invalidArgument, "awq clip: a [\(rows), \(columns)] weight needs \(rows * columns) values and a \(columns)×\(columns) Hessian")
        }
        let size = parameters.groupSize.map { min($0, columns) } ?? columns
        var start = 0
        while start < columns {
            let length = min(size, columns - start)
            try clipColumns(&weight, rows: rows, columns: columns, first: start, length: length, hessian: hessian)
            start += length
        }
    }

    /// One column block: every row's run `[first, first + length)` searched at once, the errors
    /// of all rows from one gemm per candidate.
    func clipColumns(_ weight: inout [Float], rows: Int, columns: Int, first: Int, length: Int, hessian: [Double]) throws {
        var block = [Float](repeating: 0, count: length * length)
        for i in 0..<length {
            for j in 0..<length { block[i * length + j] = Float(hessian[(first + i) * columns + first + j]) }
        }
        var original = [Float](repeating: 0, count: rows * length)
        for r in 0..<rows {
            for c in 0..<length { original[r * length + c] = weight[r * columns + first + c] }
        }
        let peaks = (0..<rows).map { r in original[r * length ..< (r + 1) * length].reduce(Float(0)) { max($0, abs($1)) } }
        var bestError = [Double](repeating: .infinity, count: rows)
        var bestLimit = peaks
        var delta = [Float](repeating: 0, count: rows * length)
        var product = [Float](repeating: 0, count: rows * length)
        let grid = AffineGrid(bits: parameters.bits, symmetric: !parameters.zeroPoint, granularity: .perTensor)
        for factor in factors {
            try delta.withUnsafeMutableBufferPointer { d in
                for r in 0..<rows {
                    let limit = peaks[r] * factor
                    for c in 0..<length { d[r * length + c] = min(max(original[r * length + c], -limit), limit) }
                    try AWQRounding.roundTrip(UnsafeMutableBufferPointer(rebasing: d[r * length ..< (r + 1) * length]), grid: grid)
                    for c in 0..<length { d[r * length + c] -= original[r * length + c] }
                }
            }
            try Self.rowErrors(delta, block, rows: rows, length: length, product: &product) { r, error in
                if error < bestError[r] {
                    bestError[r] = error
                    bestLimit[r] = peaks[r] * factor
                }
            }
        }
        for r in 0..<rows {
            for c in 0..<length {
                let index = r * columns + first + c
                weight[index] = min(max(weight[index], -bestLimit[r]), bestLimit[r])
            }
        }
    }

    /// `Δ_r H Δ_rᵀ` for every row r of `delta` (`rows × length`), via `product = Δ·H`.
    static func rowErrors(_ delta: [Float], _ block: [Float], rows: Int, length: Int, product: inout [Float],
                          _ body: (Int, Double) -> Void) throws {
        try delta.withUnsafeBufferPointer { a in
            try block.withUnsafeBufferPointer { b in
                try product.withUnsafeMutableBufferPointer { c in
                    try BLAS.gemm(m: rows, n: length, k: length, a: a, lda: length, b: b, ldb: length, c: c, ldc: length)
                }
            }
        }
        for r in 0..<rows {
            var sum: Float = 0
            for c in 0..<length { sum += delta[r * length + c] * product[r * length + c] }
            body(r, Double(sum))
        }
    }
}
