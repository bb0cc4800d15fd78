import QZooCore
import QZooMath

/// What QuIP# made of one weight.
public struct QuIPSharpResult: Sendable {
    public var quantized: QuantizedTensor
    /// `tr(ΔW H ΔWᵀ) / tr(W H Wᵀ)` in the rotated space, with the regularised Hessian
    /// (`H / mean diag H + damp · I`, what the rounding minimises).
    public var relativeProxyLoss: Double
    /// `quantized.dequantize()`: the rounding's codewords times the scale, as dequantization
    /// decodes them.
    public var reconstruction: Tensor
    /// The same for plain nearest-codeword rounding of the rotated weight (what LDLQ improves on),
    /// on demand: it costs a rounding and a `rows × n × n` product that only comparisons need.
    let nearestRounding: @Sendable () throws -> Double

    public func nearestRelativeProxyLoss() throws -> Double { try nearestRounding() }
}

/// QuIP#'s rounding without fine-tuning (Tseng et al. 2024; `lib/algo/quip.py` `quantize`):
/// `H /= mean diag H` plus `damp · I`, scaling to `RMS(W) / ρ`, block LDLQ with 8-column blocks
/// onto the lattice codebook, then `tunePasses` rounds of block coordinate descent. The result
/// stores the codes and the scale. QuIP# proper runs it on incoherent weights: wrapped in
/// `HadamardIncoherence`, which rotates weight and Hessian first and stores the rotation.
public struct QuIPSharpQuantizer: Sendable {
    public let parameters: QuIPSharpParameters

    public init(parameters: QuIPSharpParameters) throws {
        try parameters.validate()
        self.parameters = parameters
    }

    /// Quantizes `weight` `[outputs, inputs]` against `hessian` (`inputs × inputs`, row-major).
    public func quantize(_ weight: Tensor, hessian: [Double]) throws -> QuIPSharpResult {
        let (rows, columns) = try weight.weightMatrixShape()
        let values = weight.floats()
        try validate(values: values, rows: rows, columns: columns, hessian: hessian)
        let h = Self.regularized(hessian, n: columns, damp: parameters.damp)
        let rms = (values.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(values.count)).squareRoot()
        let scale = Float(rms > 0 ? rms / parameters.effectiveRho : 1)
        let target = values.map { $0 / scale }
        // The factorization is one core's work (a single-threaded Cholesky, so the result is the
        // same on every machine); the weight's proxy energy keeps the other core busy meanwhile.
        let (factorization, energy) = try BLAS.singleThreaded {
            try parallelPair({ try BlockLDLQ.Factorization(hessian: h, columns: columns, damp: 0) },
                             { try ProxyTrace.quadratic(target, h, rows: rows, columns: columns) })
        }
        let (rounding, loss) = try round(target, rows: rows, columns: columns, hessian: h, factorization: factorization)
        let quantized = try QuantizedTensor(
            rows: rows, columns: columns, lattice: parameters.codebook,
            codes: try Tensor(dtype: .u8, shape: [rounding.codes.count * parameters.codebook.bytesPerBlock], bytes: rounding.codeBytes()),
            scale: try Tensor(shape: [1], floats: [scale]), sourceDType: weight.dtype)
        return QuIPSharpResult(
            quantized: quantized,
            relativeProxyLoss: energy > 0 ? loss / energy : 0,
            reconstruction: try Tensor(shape: [rows, columns], floats: rounding.values.map { $0 * scale }),
            nearestRounding: { [codebook = parameters.codebook] in
                let nearest = LatticeRounding.nearest(target, rows: rows, columns: columns, codebook: codebook)
                return try Self.relative(target, nearest.values, h, rows: rows, columns: columns, energy: energy)
            })
    }

    private func validate(values: [Float], rows: Int, columns: Int, hessian: [Double]) throws {
        guard columns % LatticeCodebook.blockWidth == 0 else {
            throw QZooError(.unsupported, "QuIP# codes 8 input columns at a time; this weight has \(columns)")
        }
        try checkFiniteWeight(values, columns: columns)
        guard hessian.count == columns * columns, hessian.withUnsafeBufferPointer(Double.allFinite) else {
            throw QZooError(.invalidArgument, "the Hessian must be a finite \(columns)×\(columns) matrix, got \(hessian.count) values")
        }
    }

    /// How many parts the rows are rounded in, side by side. A row's LDLQ feedback and tune
    /// passes never involve another row, so the parts are independent problems sharing the
    /// Hessian: a weight rounded alone (FFN down is alone at its site) still keeps every core
    /// busy. Fixed rather than the core count, so the result is the same on every machine.
    /// (Four parts, so the core done first could take the next one, gave the same bytes but no
    /// faster a run: smaller parts cost more work in all, about what the balance saved.)
    static let rowParts = 2

    /// Block LDLQ then the tune passes, on `rowParts` row ranges in parallel (single-threaded
    /// BLAS each), stacked back in row order; `hessian` is already regularised and factored.
    /// Also returns the result's proxy loss `tr(Δ H Δᵀ)` (the parts' sums, in row order).
    private func round(_ target: [Float], rows: Int, columns: Int, hessian h: [Float],
                       factorization: BlockLDLQ.Factorization<Float>) throws -> (LatticeRounding, Double) {
        let ranges = Self.rowRanges(rows: rows, parts: Self.rowParts)
        let parts = try BLAS.singleThreaded {
            try parallelMap(count: ranges.count) { part in
                let range = ranges[part]
                let slice = Array(target[range.lowerBound * columns ..< range.upperBound * columns])
                var rounding = try roundWithLDLQ(slice, rows: range.count, factorization: factorization)
                let descent = try BlockCoordinateDescent(hessian: h, rows: range.count, columns: columns)
                let outcome = try descent.run(passes: parameters.tunePasses, weight: slice, rounding: &rounding)
                return (rounding, outcome.proxyLoss)
            }
        }
        return (LatticeRounding(stacking: parts.map(\.0), columns: columns, codebook: parameters.codebook),
                parts.reduce(0) { $0 + $1.1 })
    }

    /// `0 ..< rows` in up to `parts` consecutive ranges of whole octets (8 rows, what the
    /// codebook search batches), the last taking the remainder.
    static func rowRanges(rows: Int, parts: Int) -> [Range<Int>] {
        let octets = (rows + 7) / 8
        let count = max(1, min(parts, octets))
        let bounds = (0...count).map { min(rows, ($0 * octets / count) * 8) }
        return (0..<count).map { bounds[$0] ..< bounds[$0 + 1] }
    }

    /// Block LDLQ (b = 8) through the shared GPTQ/LDLQ core, on the regularised Hessian's factor.
    private func roundWithLDLQ(_ target: [Float], rows: Int, factorization: BlockLDLQ.Factorization<Float>) throws -> LatticeRounding {
        var rounding = LatticeRounding(rows: rows, columns: factorization.columns, codebook: parameters.codebook)
        _ = try BlockLDLQ.quantize(weight: target, rows: rows, factorization: factorization, blockWidth: LatticeCodebook.blockWidth) { block, targets in
            rounding.roundTransposed(block: block, targets)
        }
        return rounding
    }

    /// `H / mean(diag H) + damp · I` (`regularize_H`), in float32 as the loop uses it; rows in
    /// parts side by side (`squareMatrix`).
    static func regularized(_ h: [Double], n: Int, damp: Double) -> [Float] {
        guard n > 0, h.count == n * n else { return [] }
        let mean = (0..<n).reduce(0.0) { $0 + h[$1 * n + $1] } / Double(n)
        let divisor = mean > 0 ? mean : 1
        return h.withUnsafeBufferPointer { h in
            nonisolated(unsafe) let h = h
            return squareMatrix(n) { r, row in
                for c in 0..<n { row[c] = Float(h[r &* n &+ c] / divisor) }
                row[r] += Float(damp)
            }
        }
    }

    static func relative(_ target: [Float], _ rounded: [Float], _ h: [Float], rows: Int, columns: Int, energy: Double) throws -> Double {
        let loss = try ProxyTrace.quadratic(zip(target, rounded).map { $0 - $1 }, h, rows: rows, columns: columns)
        return energy > 0 ? loss / energy : 0
    }
}
