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
/// the sorted `|y|` cover 227 patterns; the 29 listed norm-12 patterns are scored together, one
/// SIMD lane each.
public enum E8PEncoder {
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

    /// The best candidate point of D̂8 for `y` and its squared distance. (SIMD lanes are never
    /// indexed with a run-time index here: that sends the vector through memory on every access;
    /// the sort works on a stack tuple instead.)
    @inline(__always)
    static func best(_ y: SIMD8<Float>) -> (point: SIMD8<Float>, distance: Float) {
        let negative = y .< 0
        let u = y.replacing(with: -y, where: negative)
        let sign = SIMD8<Float>(repeating: 1).replacing(with: -1, where: negative)
        let oddNegatives = SIMD8<Int32>(repeating: 0).replacing(with: 1, where: negative).wrappedSum() & 1 == 1
        let listed = bestListed(u, oddNegatives: oddNegatives)
        var values: (Float, Float, Float, Float, Float, Float, Float, Float) = (0, 0, 0, 0, 0, 0, 0, 0)
        var out = values
        var order = (0, 1, 2, 3, 4, 5, 6, 7)
        let orbitWins = withUnsafeMutableBytes(of: &values) { valueBytes in
            withUnsafeMutableBytes(of: &order) { orderBytes in
                withUnsafeMutableBytes(of: &out) { outBytes in
                    valueBytes.storeBytes(of: u, as: SIMD8<Float>.self)
                    let value = valueBytes.bindMemory(to: Float.self), index = orderBytes.bindMemory(to: Int.self)
                    let point = outBytes.bindMemory(to: Float.self)
                    sortDescending(value, index)
                    let orbit = bestOrbit(value, oddNegatives: oddNegatives)
                    guard orbit.score >= listed.score else { return false }
                    for rank in 0..<8 {
                        point[index[rank]] = rank < orbit.fives ? 2.5 : (rank < orbit.fives + orbit.threes ? 1.5 : 0.5)
                    }
                    if orbit.flip { point[index[7]] = -point[index[7]] }
                    return true
                }
            }
        }
        var point: SIMD8<Float>
        if orbitWins {
            point = withUnsafeBytes(of: out) { $0.loadUnaligned(as: SIMD8<Float>.self) } * sign
        } else {
            point = norm12[listed.index] * sign
            if listed.flip >= 0 { point = point.replacing(with: -point, where: lanes8 .== Int32(listed.flip)) }
        }
        let delta = y - point
        return (point, (delta * delta).sum())
    }

    static let lanes8 = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)

    /// The best of the 7 orbits for `u` sorted descending: (5/2 count, 3/2 count, score, whether
    /// the smallest coordinate's sign is flipped). Σa = 4 + n3 + 2·n5 is odd exactly when n3 is
    /// odd; a pattern whose parity does not match the count of negative `y_i` pays `2·u₈`.
    @inline(__always)
    static func bestOrbit(_ u: UnsafeMutableBufferPointer<Float>, oddNegatives: Bool)
        -> (fives: Int, threes: Int, score: Float, flip: Bool) {
        let total = u[0] + u[1] + u[2] + u[3] + u[4] + u[5] + u[6] + u[7]
        let t1 = u[0], t2 = t1 + u[1], t3 = t2 + u[2], t4 = t3 + u[3]
        let penalty = 2 * u[7]
        let evenPenalty: Float = oddNegatives ? penalty : 0, oddPenalty: Float = oddNegatives ? 0 : penalty
        var best = (fives: 0, threes: 0, score: total - 2 - evenPenalty, flip: oddNegatives)
        func consider(_ fives: Int, _ threes: Int, _ score: Float) {
            if score > best.score { best = (fives, threes, score, (threes & 1 == 1) != oddNegatives) }
        }
        consider(0, 1, total + 2 * t1 - 4 - oddPenalty)
        consider(0, 2, total + 2 * t2 - 6 - evenPenalty)
        consider(0, 3, total + 2 * t3 - 8 - oddPenalty)
        consider(0, 4, total + 2 * t4 - 10 - evenPenalty)
        consider(1, 0, total + 2 * u[0] + 2 * t1 - 8 - evenPenalty)
        consider(1, 1, total + 2 * u[0] + 2 * t2 - 10 - oddPenalty)
        return best
    }

    /// The listed patterns in 4 groups of 8 lanes: entry `g·8 + i` holds coordinate `i` of
    /// patterns `8g … 8g+7` (29 used; the 3 spare lanes are all zero).
    static let listedLanes: [SIMD8<Float>] = (0..<32).map { entry in
        let group = entry / 8, coordinate = entry % 8
        var lanes = SIMD8<Float>()
        for lane in 0..<8 where group * 8 + lane < norm12.count { lanes[lane] = norm12[group * 8 + lane][coordinate] }
        return lanes
    }

    /// `−‖a‖² = −12` for each group's used lanes, −∞ for the spare ones.
    static let listedBias: [SIMD8<Float>] = (0..<4).map { group in
        var bias = SIMD8<Float>(repeating: -.infinity)
        for lane in 0..<8 where group * 8 + lane < norm12.count { bias[lane] = -12 }
        return bias
    }

    /// The best listed norm-12 pattern (Σa = 9, odd) for `|y|` in original order, scored eight
    /// patterns per SIMD vector; `flip` is the coordinate whose sign is fixed, or −1.
    @inline(__always)
    static func bestListed(_ u: SIMD8<Float>, oddNegatives: Bool) -> (index: Int, score: Float, flip: Int) {
        let mismatch = !oddNegatives
        let u0 = u[0], u1 = u[1], u2 = u[2], u3 = u[3], u4 = u[4], u5 = u[5], u6 = u[6], u7 = u[7]
        var best = -Float.infinity, index = 0
        listedLanes.withUnsafeBufferPointer { lanes in
            listedBias.withUnsafeBufferPointer { bias in
                for group in 0..<4 {
                    let g = group * 8
                    let products = (lanes[g] * u0, lanes[g + 1] * u1, lanes[g + 2] * u2, lanes[g + 3] * u3,
                                    lanes[g + 4] * u4, lanes[g + 5] * u5, lanes[g + 6] * u6, lanes[g + 7] * u7)
                    let dot = ((products.0 + products.1) + (products.2 + products.3)) + ((products.4 + products.5) + (products.6 + products.7))
                    var scores = 2 * dot + bias[group]
                    if mismatch {
                        let smallest = lesser(lesser(lesser(products.0, products.1), lesser(products.2, products.3)),
                                                    lesser(lesser(products.4, products.5), lesser(products.6, products.7)))
                        scores -= 4 * smallest
                    }
                    let top = maximum(scores)
                    if top > best {
                        best = top
                        index = g + Int(minimum(lanes8.replacing(with: Int32.max, where: scores .!= SIMD8(repeating: top))))
                    }
                }
            }
        }
        guard mismatch else { return (index, best, -1) }
        let product = u * norm12[index]
        let least = minimum(product)
        let flip = Int(minimum(lanes8.replacing(with: Int32.max, where: product .!= SIMD8(repeating: least))))
        return (index, best, flip)
    }

    @inline(__always)
    static func maximum(_ v: SIMD8<Float>) -> Float {
        let a = greater(v.lowHalf, v.highHalf)
        let b = greater(a.lowHalf, a.highHalf)
        return max(b[0], b[1])
    }

    @inline(__always)
    static func minimum(_ v: SIMD8<Int32>) -> Int32 {
        let a = lesser(v.lowHalf, v.highHalf)
        let b = lesser(a.lowHalf, a.highHalf)
        return min(b[0], b[1])
    }

    @inline(__always)
    static func minimum(_ v: SIMD8<Float>) -> Float {
        let a = lesser(v.lowHalf, v.highHalf)
        let b = lesser(a.lowHalf, a.highHalf)
        return min(b[0], b[1])
    }

    /// Sorts `value` (8 entries) by decreasing value, carrying `index` along (insertion sort;
    /// equal values keep coordinate order).
    @inline(__always)
    static func sortDescending(_ value: UnsafeMutableBufferPointer<Float>, _ index: UnsafeMutableBufferPointer<Int>) {
        for i in 1..<8 {
            let v = value[i], k = index[i]
            var j = i - 1
            while j >= 0 && value[j] < v {
                value[j + 1] = value[j]
                index[j + 1] = index[j]
                j -= 1
            }
            value[j + 1] = v
            index[j + 1] = k
        }
    }

    /// Lane-wise min and max (the generic `pointwiseMin` is not inlined).
    @inline(__always)
    static func lesser(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .< a) }

    @inline(__always)
    static func lesser(_ a: SIMD8<Int32>, _ b: SIMD8<Int32>) -> SIMD8<Int32> { a.replacing(with: b, where: b .< a) }

    @inline(__always)
    static func lesser(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> { a.replacing(with: b, where: b .< a) }

    @inline(__always)
    static func lesser(_ a: SIMD4<Int32>, _ b: SIMD4<Int32>) -> SIMD4<Int32> { a.replacing(with: b, where: b .< a) }

    @inline(__always)
    static func lesser(_ a: SIMD2<Float>, _ b: SIMD2<Float>) -> SIMD2<Float> { a.replacing(with: b, where: b .< a) }

    @inline(__always)
    static func lesser(_ a: SIMD2<Int32>, _ b: SIMD2<Int32>) -> SIMD2<Int32> { a.replacing(with: b, where: b .< a) }

    @inline(__always)
    static func greater(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> { a.replacing(with: b, where: b .> a) }

    @inline(__always)
    static func greater(_ a: SIMD2<Float>, _ b: SIMD2<Float>) -> SIMD2<Float> { a.replacing(with: b, where: b .> a) }
}
