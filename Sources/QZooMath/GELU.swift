/// In-place exact GELU, `x·(1 + erf(x/√2))/2`, a block at a time: `erf(x/√2)` of a block goes
/// into a small scratch buffer (it stays in L1 cache) through `T.erf`, then combines with `x`.
/// The bfloat16 linear kernel applies the same operations to the FFN-up layer's output as it
/// stores it (`BFloat16Product.linear` with `gelu`), with the same bits; this is the pass for
/// every other product.
public func gelu<T: BLASScalar>(_ x: UnsafeMutableBufferPointer<T>) {
    let inverseRoot2 = 1 / T(2).squareRoot()
    withUnsafeTemporaryAllocation(of: T.self, capacity: 1024) { scratch in
        for start in stride(from: 0, to: x.count, by: scratch.count) {
            let block = UnsafeMutableBufferPointer(rebasing: x[start..<min(start + scratch.count, x.count)])
            let erf = UnsafeMutableBufferPointer(rebasing: scratch[0..<block.count])
            for i in 0..<block.count { erf[i] = block[i] * inverseRoot2 }
            T.erf(erf)
            for i in 0..<block.count { block[i] = block[i] * (1 + erf[i]) / 2 }
        }
    }
}
