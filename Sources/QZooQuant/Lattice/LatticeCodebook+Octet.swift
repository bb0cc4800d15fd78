import QZooCore

/// Eight blocks' codewords (`Octet`) and codes, lane `l` for block `l`.
struct LatticeOctet {
    var values: Octet
    var first: SIMD8<Int32>
    var second: SIMD8<Int32>

    /// Block `lane`'s codes.
    func code(lane: Int) -> LatticeCode {
        LatticeCode(first: UInt16(truncatingIfNeeded: first[lane & 7]), second: UInt16(truncatingIfNeeded: second[lane & 7]))
    }
}

extension LatticeCodebook {
    /// `quantize(_:)` for eight vectors: lane `l` is bit for bit what `quantize` gives for
    /// vector `l` (the same arithmetic, lane-wise; the E81B stage runs vector by vector).
    @inline(__always)
    func quantize(_ x: Octet) -> LatticeOctet {
        let stage1 = E8PEncoder.nearest(x)
        let scale = residualScale ?? 1
        switch self {
        case .e8p:
            return LatticeOctet(values: stage1.values, first: stage1.codes, second: SIMD8(repeating: 0))
        case .e8pRVQ3:
            var result = LatticeOctet(values: stage1.values, first: stage1.codes, second: SIMD8(repeating: 0))
            for lane in 0..<8 {
                let first = stage1.values[vector: lane]
                let stage2 = E81BGrid.nearest((x[vector: lane] - first) * scale)
                result.values[vector: lane] = first + stage2.value / scale
                result.second[lane] = Int32(stage2.code)
            }
            return result
        case .e8pRVQ4:
            let stage2 = E8PEncoder.nearest((x - stage1.values).map { $0 * scale })
            return LatticeOctet(values: stage1.values + stage2.values.map { $0 / scale }, first: stage1.codes, second: stage2.codes)
        }
    }

    /// Codewords worth comparing under a block's own quadratic metric, for eight vectors: for
    /// E8P the nearest of each shift (the Euclidean nearest is one of them), for the residual
    /// codebooks the nearest.
    @inline(__always)
    func candidates(_ x: Octet) -> (first: LatticeOctet, second: LatticeOctet?) {
        guard self == .e8p else { return (quantize(x), nil) }
        let both = E8PEncoder.nearestOfEachShift(x)
        let none = SIMD8<Int32>(repeating: 0)
        return (LatticeOctet(values: both.plus.values, first: both.plus.codes, second: none),
                LatticeOctet(values: both.minus.values, first: both.minus.codes, second: none))
    }
}
