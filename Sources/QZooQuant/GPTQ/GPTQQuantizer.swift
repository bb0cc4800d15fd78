import QZooCore
import QZooMath

/// What GPTQ made of one weight.
public struct GPTQResult: Sendable {
    public var quantized: QuantizedTensor
    /// `tr(ΔW H ΔWᵀ)` with the undamped Hessian given (twice the reference's printed `error`,
    /// minus the damping term).
    public var proxyLoss: Double
    /// The λ added to the Hessian diagonal; nil when no damping made it factor and the weight
    /// was rounded to nearest instead.
    public var damping: Double?
}

/// GPTQ (Frantar et al.), with exactly the semantics of the reference `fasterquant`
/// (`IST-DASLab/gptq`, `gptq.py`): dead columns, damping, act-order, groups fitted at group starts
/// from the lazily updated weight (or all up front with `staticGroups`), lazy block updates.
///
/// Grids follow qzoo's `AffineGrid` convention (a symmetric range is always `±max|w|`).
public struct GPTQQuantizer: Sendable {
    public let parameters: GPTQParameters

    public init(parameters: GPTQParameters) throws {
        try parameters.validate()
        self.parameters = parameters
    }

    public var grid: AffineGrid { parameters.grid }

    /// The floating-point operations GPTQ needs on a `[rows × columns]` weight: `n³/3` to
    /// factor the `n×n` Hessian (one Cholesky, `n = columns`) and `rows·n·(n−1)` for the error
    /// feedback (a multiply-add per row for every column pair). Not counted: the block-diagonal
    /// inverses and the recovery of lazily updated weights (`LDLQFactor+Feedback`), about
    /// `2·rows·n·b` for lazy blocks of `b` columns.
    public static func floatingPointOperations(rows: Int, columns: Int) -> Double {
        let n = Double(columns)
        return n * n * n / 3 + Double(rows) * n * (n - 1)
    }

    /// Quantizes `weight` `[outputs, inputs]` against `hessian` (`inputs × inputs`, row-major,
    /// e.g. `XᵀX/n`; its overall scale does not matter).
    public func quantize(_ weight: Tensor, hessian: [Double]) throws -> GPTQResult {
        let (rows, columns) = try weight.weightMatrixShape()
        let values = weight.floats()
        try checkFiniteWeight(values, columns: columns)
        guard hessian.count == columns * columns else {
            throw QZooError(.invalidArgument, "the Hessian has \(hessian.count) elements; a weight with \(columns) inputs needs \(columns)×\(columns)")
        }
        if !hessian.withUnsafeBufferPointer(Double.allFinite), let bad = hessian.firstIndex(where: { !$0.isFinite }) {
            throw QZooError.malformed("the Hessian holds \(hessian[bad]) at [\(bad / columns), \(bad % columns)]")
        }
        switch parameters.precision {
        case .float32:
            return try GPTQProblem<Float>(weight: values, rows: rows, columns: columns, hessian: hessian, parameters: parameters)
                .solve(sourceDType: weight.dtype)
        case .float64:
            return try GPTQProblem<Double>(weight: values, rows: rows, columns: columns, hessian: hessian, parameters: parameters)
                .solve(sourceDType: weight.dtype)
        }
    }
}
