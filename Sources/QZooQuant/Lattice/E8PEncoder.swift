/// The exact nearest E8P12 codeword, without scanning the 2¹⁶ codewords.
///
/// For each shift `t = ±¼` the target is `y = x − t` and the candidates are the D̂8 points whose
/// absolute values are a source pattern `a`. For a given `a` the best signs are `sign(y)`; they
/// are valid exactly when `Σa + #{y_i < 0}` is even, and otherwise the cheapest fix flips the
/// coordinate with the smallest `|y_i|·a_i`. The score to maximise is `2 y·p − ‖p‖²`.
///
/// The 227 derived patterns are the full permutation orbits of 7 sorted patterns (`n5` entries
/// 5/2 and `n3` entries 3/2, `n3 + 3·n5 ≤ 4`); by the rearrangement inequality the best member
/// of an orbit puts its largest entries on the largest `|y_i|`, and when a sign must be fixed the
/// flip lands on the smallest `|y_i|` (which carries a ½). So 7 scores from the prefix sums of
/// the sorted `|y|` cover 227 patterns; the 29 listed norm-12 patterns are scored one by one.
public enum E8PEncoder {
    /// The sorted orbit patterns: (count of 5/2, count of 3/2).
    static let orbits: [(fives: Int, threes: Int)] = [(0, 0), (0, 1), (0, 2), (0, 3), (0, 4), (1, 0), (1, 1)]

    static let norm12: [SIMD8<Float>] = E8PSourcePatterns.listedNorm12.map { SIMD8($0.map { Float($0) * 0.5 }) }

    /// The nearest codeword to `x` and its code. Ties between shifts go to `+¼` (as the reference).
    @inline(__always)
    public static func nearest(_ x: SIMD8<Float>) -> (value: SIMD8<Float>, code: UInt16) {
        let plus = best(x - 0.25)
        let minus = best(x + 0.25)
        let usePlus = plus.distance <= minus.distance
        let point = usePlus ? plus.point : minus.point
        let code = E8PCodebook.encode(point: point, positiveShift: usePlus) ?? 0
        return (point + SIMD8(repeating: usePlus ? 0.25 : -0.25), code)
    }

    /// The nearest codeword of each shift (`+¼`, then `−¼`): the overall nearest is one of them;
    /// the other is the natural alternative when a non-Euclidean metric decides (tune passes).
    @inline(__always)
    public static func nearestOfEachShift(_ x: SIMD8<Float>) -> (plus: (value: SIMD8<Float>, code: UInt16), minus: (value: SIMD8<Float>, code: UInt16)) {
        let plus = best(x - 0.25).point, minus = best(x + 0.25).point
        return ((plus + 0.25, E8PCodebook.encode(point: plus, positiveShift: true) ?? 0),
                (minus - 0.25, E8PCodebook.encode(point: minus, positiveShift: false) ?? 0))
    }

    /// The best candidate point of D̂8 for `y` and its squared distance.
    @inline(__always)
    static func best(_ y: SIMD8<Float>) -> (point: SIMD8<Float>, distance: Float) {
        let negative = y .< 0
        let u = y.replacing(with: -y, where: negative)
        let sign = SIMD8<Float>(repeating: 1).replacing(with: -1, where: negative)
        let oddNegatives = SIMD8<Int32>(repeating: 0).replacing(with: 1, where: negative).wrappedSum() & 1 == 1
        var point = SIMD8<Float>()
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 8) { order in
            let sorted = sortedDescending(u, order: order)
            let orbit = bestOrbit(sorted, oddNegatives: oddNegatives)
            let listed = bestListed(u, oddNegatives: oddNegatives)
            if orbit.score >= listed.score {
                let shape = orbits[orbit.index]
                for rank in 0..<8 {
                    point[order[rank]] = rank < shape.fives ? 2.5 : (rank < shape.fives + shape.threes ? 1.5 : 0.5)
                }
                point *= sign
                if orbit.flip { point[order[7]] = -point[order[7]] }
            } else {
                point = norm12[listed.index] * sign
                if let flip = listed.flip { point[flip] = -point[flip] }
            }
        }
        let delta = y - point
        return (point, (delta * delta).sum())
    }

    /// The best of the 7 orbits for sorted `|y|` (descending).
    @inline(__always)
    static func bestOrbit(_ u: SIMD8<Float>, oddNegatives: Bool) -> (index: Int, score: Float, flip: Bool) {
        let total = u.sum()
        let t1 = u[0], t2 = t1 + u[1], t3 = t2 + u[2], t4 = t3 + u[3]
        let prefix = SIMD8<Float>(0, t1, t2, t3, t4, 0, 0, 0)
        var bestIndex = 0, bestScore = -Float.infinity, bestFlip = false
        for index in 0 ..< orbits.count {
            let orbit = orbits[index]
            // Σa = 4 + n3 + 2·n5: odd exactly when n3 is odd.
            let mismatch = (orbit.threes & 1 == 1) != oddNegatives
            var score: Float
            if orbit.fives == 0 {
                score = total + 2 * prefix[orbit.threes] - Float(2 + 2 * orbit.threes)
            } else {
                score = total + 2 * u[0] + 2 * prefix[orbit.threes + 1] - Float(8 + 2 * orbit.threes)
            }
            if mismatch { score -= 2 * u[7] }
            if score > bestScore { (bestIndex, bestScore, bestFlip) = (index, score, mismatch) }
        }
        return (bestIndex, bestScore, bestFlip)
    }

    /// The listed patterns by coordinate: lane `p` of entry `i` is pattern `p`'s `a_i` (29 lanes used).
    static let listedLanes: [SIMD32<Float>] = (0..<8).map { i in
        var lanes = SIMD32<Float>()
        for p in 0 ..< norm12.count { lanes[p] = norm12[p][i] }
        return lanes
    }

    /// `−‖a‖² = −12` for the listed lanes, −∞ for the unused ones.
    static let listedBias: SIMD32<Float> = {
        var bias = SIMD32<Float>(repeating: -.infinity)
        for p in 0 ..< norm12.count { bias[p] = -12 }
        return bias
    }()

    /// The best listed norm-12 pattern (Σa = 9, odd) for `|y|` in original order: all 29 scored
    /// at once, one SIMD lane each.
    @inline(__always)
    static func bestListed(_ u: SIMD8<Float>, oddNegatives: Bool) -> (index: Int, score: Float, flip: Int?) {
        let mismatch = !oddNegatives
        var dot = SIMD32<Float>(), smallest = SIMD32<Float>(repeating: .infinity)
        listedLanes.withUnsafeBufferPointer { lanes in
            for i in 0..<8 {
                let product = lanes[i] * u[i]
                dot += product
                smallest = pointwiseMin(smallest, product)
            }
        }
        var scores = 2 * dot + listedBias
        if mismatch { scores -= 4 * smallest }
        let best = maximum(scores)
        var index = 0
        while index < norm12.count - 1 && scores[index] != best { index += 1 }
        guard mismatch else { return (index, best, nil) }
        let product = u * norm12[index]
        var flip = 0
        for i in 1..<8 where product[i] < product[flip] { flip = i }
        return (index, best, flip)
    }

    @inline(__always)
    static func maximum(_ v: SIMD32<Float>) -> Float {
        let a = pointwiseMax(v.lowHalf, v.highHalf)
        let b = pointwiseMax(a.lowHalf, a.highHalf)
        let c = pointwiseMax(b.lowHalf, b.highHalf)
        let d = pointwiseMax(c.lowHalf, c.highHalf)
        return max(d[0], d[1])
    }

    /// `u` sorted by decreasing value; `order[rank]` receives the coordinate of each rank
    /// (insertion sort on 8 elements, ties by coordinate).
    @inline(__always)
    static func sortedDescending(_ u: SIMD8<Float>, order: UnsafeMutableBufferPointer<Int>) -> SIMD8<Float> {
        var sorted = u
        for i in 0..<8 { order[i] = i }
        for i in 1..<8 {
            let value = sorted[i], key = order[i]
            var j = i - 1
            while j >= 0 && sorted[j] < value {
                sorted[j + 1] = sorted[j]
                order[j + 1] = order[j]
                j -= 1
            }
            sorted[j + 1] = value
            order[j + 1] = key
        }
        return sorted
    }
}
