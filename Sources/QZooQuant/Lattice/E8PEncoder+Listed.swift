import CBFloat16

/// The 29 listed norm-12 source patterns (indices 227…255), scored eight at a time.
extension E8PEncoder {
    static let norm12: [SIMD8<Float>] = E8PSourcePatterns.listedNorm12.map { SIMD8($0.map { Float($0) * 0.5 }) }

    /// The listed patterns in 4 groups of 8 lanes, then each group's bias: entry `g·9 + i`
    /// (`i < 8`) holds coordinate `i` of patterns `8g … 8g+7` (29 used; the 3 spare lanes are
    /// zero), entry `g·9 + 8` is `−‖a‖² = −12` for the used lanes and −∞ for the spare ones. One
    /// table, so a search reaches it through one lazy-global check.
    static let listedLanes: [SIMD8<Float>] = (0..<4).flatMap { group in
        var lanes = (0..<8).map { coordinate in
            var lane = SIMD8<Float>()
            for l in 0..<8 where group * 8 + l < norm12.count { lane[l] = norm12[group * 8 + l][coordinate] }
            return lane
        }
        var bias = SIMD8<Float>(repeating: -.infinity)
        for l in 0..<8 where group * 8 + l < norm12.count { bias[l] = -12 }
        lanes.append(bias)
        return lanes
    }

    /// The first of the listed norm-12 patterns (Σa = 9, odd) with the best score on `u = |y|`,
    /// when that score is strictly above `threshold` (the best orbit's), else nil. When the
    /// signs of `y` do not match Σa's parity, each pattern pays for flipping its smallest
    /// `|y_i|·a_i`. Eight patterns per vector, one lane each (`listedLanes`): a pattern's products
    /// `a_i·u_i`, its dot product as `((p0+p1)+(p2+p3))+((p4+p5)+(p6+p7))`, score `2·dot − 12`,
    /// less `4·min` when a sign is fixed; each lane keeps its first best, and the first pattern of
    /// the best score wins.
    ///
    /// In C (`qzoo_e8p_best_listed`, the same operations): LLVM compiled the Swift loop into
    /// split and spilled vectors, and the lanes that reach it (~5 % of searches) took a quarter
    /// of the E8P search's time.
    static func bestListed(_ u: SIMD8<Float>, oddNegatives: Bool, above threshold: Float) -> Int32? {
        let index = listedLanes.withUnsafeBufferPointer { lanes in
            withUnsafeBytes(of: u) { magnitudes -> Int32 in
                guard lanes.count == 36, let table = UnsafeRawPointer(lanes.baseAddress),
                      let values = magnitudes.baseAddress?.assumingMemoryBound(to: Float.self) else { return -1 }
                return qzoo_e8p_best_listed(table.assumingMemoryBound(to: Float.self), values, oddNegatives ? 1 : 0, threshold)
            }
        }
        return index >= 0 ? index : nil
    }

    /// Listed pattern `index` on `|y|` (unsigned), with its smallest `|y_i|·a_i` flipped when
    /// the signs of `y` do not match Σa's parity.
    @inline(__always)
    static func listedCandidate(_ index: Int32, _ u: SIMD8<Float>, oddNegatives: Bool) -> Candidate {
        var point = norm12.withUnsafeBufferPointer { Int(index) < $0.count ? $0[Int(index)] : SIMD8(repeating: 0.5) }
        if !oddNegatives {
            let product = u * point
            let flip = product.firstLane(of: product.minimum())
            point = point.negating(where: SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) .== SIMD8<Int32>(repeating: flip))
        }
        return Candidate(point: point, distance: 0, source: 227 &+ index, lastNegated: true)
    }
}

extension E8PEncoder {
    /// Each lane's smallest `Σ_{i∈S} |y_i|` over the ½ positions `S` of the listed patterns, or
    /// a little less (`u.cᵢ` holds `|y_i|` of each lane's vector). The 29 patterns put their
    /// three ½ on three of the first four coordinates (all 4 ways), on one of the first four and
    /// two of the last four (23 of the 24 ways; the missing {1, 4, 5} is counted too, which can
    /// only lower the minimum), or on {0, 1, 4} or {2, 3, 7}.
    @inline(__always)
    static func smallestListedHalves(_ u: Octet) -> SIMD8<Float> {
        let front = u.c0 + u.c1, middle = u.c2 + u.c3
        let firstPair = u.c0.lesser(u.c1), secondPair = u.c2.lesser(u.c3)
        let threeOfFirstFour = (middle + firstPair).lesser(front + secondPair)
        let twoOfLastFour = ((u.c4 + u.c5).lesser(u.c6 + u.c7)).lesser((u.c4 + u.c6).lesser(u.c5 + u.c7))
            .lesser((u.c4 + u.c7).lesser(u.c5 + u.c6))
        let listedPairs = (front + u.c4).lesser(middle + u.c7)
        return threeOfFirstFour.lesser(firstPair.lesser(secondPair) + twoOfLastFour).lesser(listedPairs)
    }

    /// A number no listed pattern's score (as `bestListed` computes it, rounding included) can
    /// exceed, lane-wise, from `total = Σ|y_i|`, the smallest `|y_i|` and `smallestListedHalves`
    /// `L`. Every listed pattern has five entries 3/2 and three ½, so its `Σ a_i|y_i|` is
    /// `1.5 · total − Σ_{i∈S} |y_i|`, at most `1.5 · total − L`; when a sign must be fixed it
    /// also pays at least `4 · ½ · min|y_i|`. The computed scores and this bound are sums of at
    /// most 12 terms of total size below `4(total + 12)`, so each is within
    /// `12 · 2⁻²⁴ · 4(total + 12)` of its exact value; the margin `2⁻¹³ (total + 12)` covers both
    /// more than ten times over. (Not finite, or NaN, when `y` is not finite: then the caller's
    /// `<` fails and every pattern is scored.)
    ///
    /// Putting the ½ on the three smallest `|y_i|` would bound every arrangement of five 3/2 and
    /// three ½; only 29 of the 56 are listed, and the smallest listed `S` skips the listed
    /// patterns for about a third of the vectors that bound let through (on Gaussian vectors, 4.6
    /// instead of 7.1 % of searches score them, about all whose best listed pattern does win).
    @inline(__always)
    static func listedBound(total: SIMD8<Float>, smallest: SIMD8<Float>, halves: SIMD8<Float>,
                            oddNegatives: SIMDMask<SIMD8<Int32>>) -> SIMD8<Float> {
        let penalty = (2 * smallest).selecting(SIMD8<Float>(repeating: 0), where: oddNegatives)
        return 3 * total - 2 * halves - 12 - penalty + (total + 12) * 0x1p-13
    }
}

extension E8PEncoder.SortedMagnitudes {
    /// `E8PEncoder.listedBound` for one vector, `u = |y|` in coordinate order.
    @inline(__always)
    func listedBound(_ u: SIMD8<Float>, oddNegatives: Bool) -> Float {
        let lanes = Octet(SIMD8(repeating: u[0]), SIMD8(repeating: u[1]), SIMD8(repeating: u[2]), SIMD8(repeating: u[3]),
                          SIMD8(repeating: u[4]), SIMD8(repeating: u[5]), SIMD8(repeating: u[6]), SIMD8(repeating: u[7]))
        let total = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7
        return E8PEncoder.listedBound(total: SIMD8(repeating: total), smallest: SIMD8(repeating: s7),
                                      halves: E8PEncoder.smallestListedHalves(lanes),
                                      oddNegatives: SIMDMask(repeating: oddNegatives))[0]
    }
}
