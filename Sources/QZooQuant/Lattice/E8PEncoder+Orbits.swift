/// The 227 derived source patterns, searched as 7 sorted orbits (see `E8PEncoder`).
extension E8PEncoder {
    /// `|y|` in decreasing order, sorted branch-free by a 19-comparator network (scalar min/max
    /// in registers; a data-dependent sort mispredicts on every other vector).
    struct SortedMagnitudes {
        var s0, s1, s2, s3, s4, s5, s6, s7: Float

        @inline(__always)
        init(_ u: SIMD8<Float>) {
            (s0, s1, s2, s3, s4, s5, s6, s7) = (u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7])
            Self.order(&s0, &s2); Self.order(&s1, &s3); Self.order(&s4, &s6); Self.order(&s5, &s7)
            Self.order(&s0, &s4); Self.order(&s1, &s5); Self.order(&s2, &s6); Self.order(&s3, &s7)
            Self.order(&s0, &s1); Self.order(&s2, &s3); Self.order(&s4, &s5); Self.order(&s6, &s7)
            Self.order(&s2, &s4); Self.order(&s3, &s5)
            Self.order(&s1, &s4); Self.order(&s3, &s6)
            Self.order(&s1, &s2); Self.order(&s3, &s4); Self.order(&s5, &s6)
        }

        /// Puts the larger of the two first.
        @inline(__always)
        static func order(_ a: inout Float, _ b: inout Float) {
            let larger = a < b ? b : a, smaller = a < b ? a : b
            (a, b) = (larger, smaller)
        }
    }

    /// The best orbit: how many 5/2 and 3/2 entries its pattern has, its score, whether the
    /// smallest coordinate's sign is flipped, and the smallest `|y_i|` that gets 3/2 or more
    /// (+∞ when none does).
    struct Orbit {
        var fives: Int32
        var threes: Int32
        var score: Float
        var flip: Bool
        var smallestLarge: Float
    }

    /// The best of the 7 orbits for the sorted `|y|`. Σa = 4 + n3 + 2·n5 is odd exactly when n3
    /// is odd; a pattern whose parity does not match the count of negative `y_i` pays `2·u₈`.
    /// (Sums in sorted order, first best kept on ties.)
    @inline(__always)
    static func bestOrbit(_ u: SortedMagnitudes, oddNegatives: Bool) -> Orbit {
        let total = u.s0 + u.s1 + u.s2 + u.s3 + u.s4 + u.s5 + u.s6 + u.s7
        let t1 = u.s0, t2 = t1 + u.s1, t3 = t2 + u.s2, t4 = t3 + u.s3
        let penalty = 2 * u.s7
        let evenPenalty: Float = oddNegatives ? penalty : 0, oddPenalty: Float = oddNegatives ? 0 : penalty
        var best = Orbit(fives: 0, threes: 0, score: total - 2 - evenPenalty, flip: oddNegatives, smallestLarge: .infinity)
        @inline(__always)
        func consider(_ fives: Int32, _ threes: Int32, _ score: Float, _ smallestLarge: Float) {
            if score > best.score {
                best = Orbit(fives: fives, threes: threes, score: score, flip: (threes & 1 == 1) != oddNegatives, smallestLarge: smallestLarge)
            }
        }
        consider(0, 1, total + 2 * t1 - 4 - oddPenalty, u.s0)
        consider(0, 2, total + 2 * t2 - 6 - evenPenalty, u.s1)
        consider(0, 3, total + 2 * t3 - 8 - oddPenalty, u.s2)
        consider(0, 4, total + 2 * t4 - 10 - evenPenalty, u.s3)
        consider(1, 0, total + 2 * u.s0 + 2 * t1 - 8 - evenPenalty, u.s0)
        consider(1, 1, total + 2 * u.s0 + 2 * t2 - 10 - oddPenalty, u.s1)
        return best
    }

    /// Each coordinate's place in the stable decreasing order of `u` (ties keep coordinate
    /// order): the number of coordinates before it in that order.
    @inline(__always)
    static func ranks(_ u: SIMD8<Float>) -> SIMD8<Int32> {
        var rank = SIMD8<Int32>(repeating: 0)
        /// Counts coordinate `j` (value `value`) for the coordinates it precedes: the smaller
        /// ones, and the equal ones after it (`later` is −1 in the lanes after `j`, else 0).
        @inline(__always)
        func count(_ value: Float, later: SIMD8<Int32>) {
            let other = SIMD8<Float>(repeating: value)
            rank &-= (other .> u).integers | ((other .== u).integers & later)
        }
        count(u[0], later: SIMD8<Int32>(0, -1, -1, -1, -1, -1, -1, -1)); count(u[1], later: SIMD8<Int32>(0, 0, -1, -1, -1, -1, -1, -1))
        count(u[2], later: SIMD8<Int32>(0, 0, 0, -1, -1, -1, -1, -1)); count(u[3], later: SIMD8<Int32>(0, 0, 0, 0, -1, -1, -1, -1))
        count(u[4], later: SIMD8<Int32>(0, 0, 0, 0, 0, -1, -1, -1)); count(u[5], later: SIMD8<Int32>(0, 0, 0, 0, 0, 0, -1, -1))
        count(u[6], later: SIMD8<Int32>(0, 0, 0, 0, 0, 0, 0, -1)); count(u[7], later: SIMD8<Int32>(repeating: 0))
        return rank
    }

    /// The coordinates that get 5/2, those that get at least 3/2, and the one whose sign is
    /// flipped, in `orbit`'s best member: its largest entries on the largest `|y_i|`, the flip on
    /// the smallest. Read off by comparing with the sorted values, unless a boundary falls
    /// between equal values (then too many coordinates compare equal), which the stable ranks
    /// settle.
    @inline(__always)
    static func placement(_ orbit: Orbit, _ u: SIMD8<Float>, _ sorted: SortedMagnitudes)
        -> (five: SIMDMask<SIMD8<Int32>>, large: SIMDMask<SIMD8<Int32>>, flipped: SIMDMask<SIMD8<Int32>>) {
        let flip = SIMDMask<SIMD8<Int32>>(repeating: orbit.flip)
        let five = u .>= SIMD8<Float>(repeating: orbit.fives == 0 ? .infinity : sorted.s0)
        let large = u .>= SIMD8<Float>(repeating: orbit.smallestLarge)
        let smallest = u .== SIMD8<Float>(repeating: sorted.s7)
        if five.ones.wrappedSum() == orbit.fives && large.ones.wrappedSum() == orbit.fives &+ orbit.threes
            && (!orbit.flip || smallest.ones.wrappedSum() == 1) {
            return (five, large, smallest .& flip)
        }
        let rank = ranks(u)
        return (rank .< SIMD8<Int32>(repeating: orbit.fives), rank .< SIMD8<Int32>(repeating: orbit.fives &+ orbit.threes),
                (rank .== SIMD8<Int32>(repeating: 7)) .& flip)
    }

    /// The orbit's best member (unsigned) and its source index.
    @inline(__always)
    static func orbitCandidate(_ orbit: Orbit, _ u: SIMD8<Float>, _ sorted: SortedMagnitudes) -> Candidate {
        let (five, large, flipped) = placement(orbit, u, sorted)
        let point = SIMD8<Float>(repeating: 0.5).selecting(SIMD8<Float>(repeating: 1.5), where: large)
            .selecting(SIMD8<Float>(repeating: 2.5), where: five)
            .negating(where: flipped)
        let key = ((large.ones &+ five.ones) &* SIMD8<Int32>(2187, 729, 243, 81, 27, 9, 3, 1)).wrappedSum()
        return Candidate(point: point, distance: 0, source: derivedSource(key: key), lastNegated: orbit.threes & 1 == 1)
    }

    /// The index of the derived pattern with base-3 key `key` (digit 0, 1, 2 for ½, 3/2, 5/2,
    /// first coordinate most significant): the derived patterns are listed in key order.
    @inline(__always)
    static func derivedSource(key: Int32) -> Int32 {
        derivedIndex.withUnsafeBufferPointer { table in
            key >= 0 && Int(key) < table.count ? Int32(table[Int(key)]) : 0
        }
    }

    /// Base-3 key → derived source index (0 for keys of no derived pattern, which the orbits
    /// never produce).
    static let derivedIndex: [Int16] = {
        var table = [Int16](repeating: 0, count: 6561)
        for (index, pattern) in E8PSourcePatterns.derived().enumerated() {
            table[pattern.reduce(0) { $0 * 3 + ($1 - 1) / 2 }] = Int16(index)
        }
        return table
    }()
}
