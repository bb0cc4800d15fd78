/// The E8P search for eight vectors at once, one per SIMD lane (`Octet`). Every step is the
/// one-vector search's arithmetic applied lane-wise — the same operations in the same order, so
/// each lane's result is bit for bit what `nearest` gives for that vector alone. The sort,
/// orbit scores and sums, scalar code in the one-vector search, become vector instructions.
/// A lane whose orbit boundary falls between equal magnitudes is redone by the one-vector search,
/// and one whose listed norm-12 patterns might win scores them alone (a few percent of lanes).
extension E8PEncoder {
    /// Each lane's best point of D̂8 (before the shift), squared distance, and what its code
    /// needs (see `Candidate`).
    struct Candidates {
        var point: Octet
        var distance: SIMD8<Float>
        var source: SIMD8<Int32>
        var lastNegated: SIMDMask<SIMD8<Int32>>

        /// Lane by lane as `Candidate.code(positiveShift:)`.
        @inline(__always)
        func codes(positiveShift: Bool) -> SIMD8<Int32> {
            let zero = SIMD8<Float>(repeating: 0)
            // 1 << E8PCodebook.shuffle[i] for coordinate i.
            var signs = (point.c0 .< zero).ones &* SIMD8<Int32>(repeating: 1)
            signs &+= (point.c1 .< zero).ones &* SIMD8<Int32>(repeating: 16)
            signs &+= (point.c2 .< zero).ones &* SIMD8<Int32>(repeating: 2)
            signs &+= (point.c3 .< zero).ones &* SIMD8<Int32>(repeating: 32)
            signs &+= (point.c4 .< zero).ones &* SIMD8<Int32>(repeating: 4)
            signs &+= (point.c5 .< zero).ones &* SIMD8<Int32>(repeating: 64)
            signs &+= (point.c6 .< zero).ones &* SIMD8<Int32>(repeating: 8)
            signs &+= (point.c7 .< zero).ones &* SIMD8<Int32>(repeating: 128)
            signs ^= lastNegated.ones &* SIMD8<Int32>(repeating: 128)
            if !positiveShift { signs ^= SIMD8<Int32>(repeating: 1) }
            return source &* SIMD8<Int32>(repeating: 256) | signs
        }

        /// Puts the one-vector search's result into lane `lane`.
        mutating func replace(lane: Int, with candidate: Candidate) {
            point[vector: lane] = candidate.point
            distance[lane & 7] = candidate.distance
            source[lane & 7] = candidate.source
            lastNegated[lane & 7] = candidate.lastNegated
        }
    }

    /// The nearest codeword to each lane's vector and its code (as `nearest(_:)`).
    @inline(__always)
    static func nearest(_ x: Octet) -> (values: Octet, codes: SIMD8<Int32>) {
        let plus = best(x.map { $0 - 0.25 }), minus = best(x.map { $0 + 0.25 })
        let usePlus = plus.distance .<= minus.distance
        let values = plus.point.map { $0 + 0.25 }.zip(minus.point.map { $0 + -0.25 }) { $0.selecting($1, where: .!usePlus) }
        return (values, plus.codes(positiveShift: true).selecting(minus.codes(positiveShift: false), where: .!usePlus))
    }

    /// The nearest codeword of each shift for each lane's vector (as `nearestOfEachShift(_:)`).
    @inline(__always)
    static func nearestOfEachShift(_ x: Octet) -> (plus: (values: Octet, codes: SIMD8<Int32>), minus: (values: Octet, codes: SIMD8<Int32>)) {
        let plus = best(x.map { $0 - 0.25 }), minus = best(x.map { $0 + 0.25 })
        return ((plus.point.map { $0 + 0.25 }, plus.codes(positiveShift: true)),
                (minus.point.map { $0 - 0.25 }, minus.codes(positiveShift: false)))
    }

    /// `best(_:)` for each lane.
    @inline(never)
    static func best(_ y: Octet) -> Candidates {
        let zero = SIMD8<Float>(repeating: 0)
        let u = y.map { $0.negating(where: $0 .< zero) }
        let negatives = (y.c0 .< zero).ones &+ (y.c1 .< zero).ones &+ (y.c2 .< zero).ones &+ (y.c3 .< zero).ones
            &+ (y.c4 .< zero).ones &+ (y.c5 .< zero).ones &+ (y.c6 .< zero).ones &+ (y.c7 .< zero).ones
        let one = SIMD8<Int32>(repeating: 1)
        let oddNegatives = (negatives & one) .== one
        let sorted = SortedOctet(u)
        let orbit = bestOrbit(sorted, oddNegatives: oddNegatives)
        let placement = orbitPlacement(orbit, u, sorted)
        var candidates = Candidates(point: placement.point.zip(y) { $0.negating(where: $1 .< zero) }, distance: zero,
                                    source: placement.source, lastNegated: (orbit.threes & one) .== one)
        candidates.distance = Octet.dot(y - candidates.point, y - candidates.point)
        let listed = .!(sorted.listedBound(u, oddNegatives: oddNegatives) .< orbit.score)
        if (placement.ambiguous .| listed).ones.wrappedSum() != 0 {
            for lane in 0..<8 where placement.ambiguous[lane] || listed[lane] {
                if placement.ambiguous[lane] {
                    candidates.replace(lane: lane, with: bestAlone(y[vector: lane]))
                } else if let better = listedAlone(y[vector: lane], u[vector: lane], oddNegatives: oddNegatives[lane], above: orbit.score[lane]) {
                    candidates.replace(lane: lane, with: better)
                }
            }
        }
        return candidates
    }

    /// The one-vector search's listed step for a lane whose orbit is placed unambiguously: the
    /// best listed pattern when it beats the lane's orbit score (the same bits as the one-vector
    /// search's), else nil and the lane keeps its orbit member. Skips the one-vector sort and
    /// orbit scores, which the lane already has.
    @inline(never)
    static func listedAlone(_ y: SIMD8<Float>, _ u: SIMD8<Float>, oddNegatives: Bool, above score: Float) -> Candidate? {
        bestListed(u, oddNegatives: oddNegatives, above: score)
            .map { listedCandidate($0, u, oddNegatives: oddNegatives).signed(like: y) }
    }

    /// The one-vector search, out of line: the batch search calls it for a few lanes only.
    @inline(never)
    static func bestAlone(_ y: SIMD8<Float>) -> Candidate { best(y) }
}

extension E8PEncoder {
    /// `SortedMagnitudes` lane-wise: lane `l` of `s_k` is the k-th largest `|y_i|` of vector `l`.
    struct SortedOctet {
        var s0, s1, s2, s3, s4, s5, s6, s7: SIMD8<Float>

        @inline(__always)
        init(_ u: Octet) {
            (s0, s1, s2, s3, s4, s5, s6, s7) = (u.c0, u.c1, u.c2, u.c3, u.c4, u.c5, u.c6, u.c7)
            Self.order(&s0, &s2); Self.order(&s1, &s3); Self.order(&s4, &s6); Self.order(&s5, &s7)
            Self.order(&s0, &s4); Self.order(&s1, &s5); Self.order(&s2, &s6); Self.order(&s3, &s7)
            Self.order(&s0, &s1); Self.order(&s2, &s3); Self.order(&s4, &s5); Self.order(&s6, &s7)
            Self.order(&s2, &s4); Self.order(&s3, &s5)
            Self.order(&s1, &s4); Self.order(&s3, &s6)
            Self.order(&s1, &s2); Self.order(&s3, &s4); Self.order(&s5, &s6)
        }

        /// `SortedMagnitudes.order` lane-wise.
        @inline(__always)
        static func order(_ a: inout SIMD8<Float>, _ b: inout SIMD8<Float>) {
            let swap = a .< b
            (a, b) = (a.selecting(b, where: swap), b.selecting(a, where: swap))
        }

        /// `SortedMagnitudes.listedBound` lane-wise (`u`: the unsorted magnitudes).
        @inline(__always)
        func listedBound(_ u: Octet, oddNegatives: SIMDMask<SIMD8<Int32>>) -> SIMD8<Float> {
            E8PEncoder.listedBound(total: s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7, smallest: s7,
                                   halves: E8PEncoder.smallestListedHalves(u), oddNegatives: oddNegatives)
        }
    }

    /// `Orbit` lane-wise.
    struct Orbits {
        var fives: SIMD8<Int32>
        var threes: SIMD8<Int32>
        var score: SIMD8<Float>
        var flip: SIMDMask<SIMD8<Int32>>
        var smallestLarge: SIMD8<Float>
    }

    /// `bestOrbit` lane-wise (same sums in the same order, first best kept on ties).
    @inline(__always)
    static func bestOrbit(_ u: SortedOctet, oddNegatives: SIMDMask<SIMD8<Int32>>) -> Orbits {
        let total = u.s0 + u.s1 + u.s2 + u.s3 + u.s4 + u.s5 + u.s6 + u.s7
        let t1 = u.s0, t2 = t1 + u.s1, t3 = t2 + u.s2, t4 = t3 + u.s3
        let two = SIMD8<Float>(repeating: 2), zero = SIMD8<Float>(repeating: 0)
        let penalty = two * u.s7
        let evenPenalty = zero.selecting(penalty, where: oddNegatives), oddPenalty = penalty.selecting(zero, where: oddNegatives)
        var best = Orbits(fives: SIMD8<Int32>(repeating: 0), threes: SIMD8<Int32>(repeating: 0), score: total - 2 - evenPenalty,
                          flip: oddNegatives, smallestLarge: SIMD8<Float>(repeating: .infinity))
        @inline(__always)
        func consider(_ fives: Int32, _ threes: Int32, _ score: SIMD8<Float>, _ smallestLarge: SIMD8<Float>) {
            let better = score .> best.score
            best.fives = best.fives.selecting(SIMD8<Int32>(repeating: fives), where: better)
            best.threes = best.threes.selecting(SIMD8<Int32>(repeating: threes), where: better)
            best.score = best.score.selecting(score, where: better)
            best.flip = best.flip.replacing(with: threes & 1 == 1 ? .!oddNegatives : oddNegatives, where: better)
            best.smallestLarge = best.smallestLarge.selecting(smallestLarge, where: better)
        }
        consider(0, 1, total + two * t1 - 4 - oddPenalty, u.s0)
        consider(0, 2, total + two * t2 - 6 - evenPenalty, u.s1)
        consider(0, 3, total + two * t3 - 8 - oddPenalty, u.s2)
        consider(0, 4, total + two * t4 - 10 - evenPenalty, u.s3)
        consider(1, 0, total + two * u.s0 + two * t1 - 8 - evenPenalty, u.s0)
        consider(1, 1, total + two * u.s0 + two * t2 - 10 - oddPenalty, u.s1)
        return best
    }

    /// `placement` and `orbitCandidate` lane-wise: each lane's orbit member (unsigned) and source
    /// index, and the lanes whose boundary falls between equal magnitudes (`ambiguous`; their
    /// point is not meaningful).
    @inline(__always)
    static func orbitPlacement(_ orbit: Orbits, _ u: Octet, _ sorted: SortedOctet)
        -> (point: Octet, source: SIMD8<Int32>, ambiguous: SIMDMask<SIMD8<Int32>>) {
        let fiveAt = sorted.s0.selecting(SIMD8<Float>(repeating: .infinity), where: orbit.fives .== SIMD8<Int32>(repeating: 0))
        var fives = SIMD8<Int32>(repeating: 0), larges = fives, smallests = fives, key = fives
        var result = Octet(repeating: SIMD8<Float>(repeating: 0))
        @inline(__always)
        func place(_ u: SIMD8<Float>, _ power: Int32) -> SIMD8<Float> {
            let five = u .>= fiveAt, large = u .>= orbit.smallestLarge, smallest = u .== sorted.s7
            fives &+= five.ones
            larges &+= large.ones
            smallests &+= smallest.ones
            key &+= (five.ones &+ large.ones) &* SIMD8<Int32>(repeating: power)
            return SIMD8<Float>(repeating: 0.5).selecting(SIMD8<Float>(repeating: 1.5), where: large)
                .selecting(SIMD8<Float>(repeating: 2.5), where: five).negating(where: smallest .& orbit.flip)
        }
        result.c0 = place(u.c0, 2187); result.c1 = place(u.c1, 729); result.c2 = place(u.c2, 243); result.c3 = place(u.c3, 81)
        result.c4 = place(u.c4, 27); result.c5 = place(u.c5, 9); result.c6 = place(u.c6, 3); result.c7 = place(u.c7, 1)
        let ambiguous = (fives .!= orbit.fives) .| (larges .!= orbit.fives &+ orbit.threes)
            .| (orbit.flip .& (smallests .!= SIMD8<Int32>(repeating: 1)))
        var source = SIMD8<Int32>(repeating: 0)
        derivedIndex.withUnsafeBufferPointer { table in
            for lane in 0..<8 {
                let at = Int(key[lane])
                if at >= 0 && at < table.count { source[lane] = Int32(table[at]) }
            }
        }
        return (result, source, ambiguous)
    }
}
