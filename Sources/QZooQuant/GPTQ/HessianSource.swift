import QZooCore

/// The damped Hessian in the loop's column order, written as LAPACK wants it for `LDLQFactor`.
/// Stored as the caller holds it (float64 for GPTQ, float32 for QuIP#, whose Hessian is rounded
/// to float32 before it is factored), so nothing is copied to another precision first.
struct HessianSource<H: BinaryFloatingPoint> {
    let hessian: [H]
    let n: Int
    let order: [Int]?
    let dead: [Bool]

    /// The diagonal element of loop column `i` in `S` (1 for a dead input).
    func diagonal<S: BinaryFloatingPoint>(_: S.Type, _ i: Int) -> S {
        let c = order?[i] ?? i
        return dead[c] ? 1 : S(hessian[c * n + c])
    }

    /// Column-major `J·(H + λI)·J` (`J` reverses the order: element `(n−1−i, n−1−j)` is
    /// `H[i, j]`) for LAPACK's lower triangle, `i ≤ j`; the rest, which becomes `U`'s lower
    /// triangle, is 0. Values pass through `R` first (float32 for the float64 retry of a
    /// float32 problem), so every attempt factors the same matrix.
    func fillReversed<S: BinaryFloatingPoint, R: BinaryFloatingPoint>(_ buffer: UnsafeMutableBufferPointer<S>, lambda: Double,
                                                                    roundedThrough _: R.Type) {
        guard let base = buffer.baseAddress else { return }
        let count = n * n
        hessian.withUnsafeBufferPointer { h in
            let h = h.baseAddress.unsafelyUnwrapped
            for j in 0..<n {
                // Loop column j is row order[j] of H; its elements i ≤ j go, reversed, to the end of the buffer.
                let row = h + (order?[j] ?? j) * n, out = base + (count - 1 - j * n)
                if let order {
                    for i in 0..<j { out[-i] = S(R(row[order[i]])) }
                } else {
                    for i in 0..<j { out[-i] = S(R(row[i])) }
                }
                out[-j] = S(R(diagonal(R.self, j))) + S(lambda)
                for i in (j + 1)..<n { out[-i] = 0 }
            }
        }
    }
}
