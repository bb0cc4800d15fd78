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
/// the sorted `|y|` cover 227 patterns (`E8PEncoder+Orbits`). The 29 listed norm-12 patterns
/// (`E8PEncoder+Listed`) are scored, eight SIMD lanes at a time, only when an upper bound on
/// their scores reaches the best orbit's (a few percent of searches). The code follows from the
/// winner's pattern and signs, so no point is ever looked up.
///
/// The floating-point operations behind every decision (each score's sums in their order, the
/// squared distances) are fixed, so the codes, and the qpacks made from them, stay bit-identical
/// when the search is restructured: `E8PEncoder+Batch` runs eight searches at once, lane-wise,
/// with the same operations. What is avoided for speed: run-time lane indexing (a vector through
/// memory), generic float→integer conversions, the standard library's per-lane
/// `replacing(with:where:)` (`SIMD8+Lanes`), and data-dependent branches in the sort.
public enum E8PEncoder {
    /// The nearest codeword to `x` and its code. Ties between shifts go to `+¼` (as the reference).
    @inline(__always)
    public static func nearest(_ x: SIMD8<Float>) -> (value: SIMD8<Float>, code: UInt16) {
        let plus = best(x - 0.25)
        let minus = best(x + 0.25)
        let usePlus = plus.distance <= minus.distance
        let winner = usePlus ? plus : minus
        return (winner.point + SIMD8<Float>(repeating: usePlus ? 0.25 : -0.25), winner.code(positiveShift: usePlus))
    }

    /// The nearest codeword of each shift (`+¼`, then `−¼`): the overall nearest is one of them;
    /// the other is the natural alternative when a non-Euclidean metric decides (tune passes).
    @inline(__always)
    public static func nearestOfEachShift(_ x: SIMD8<Float>) -> (plus: (value: SIMD8<Float>, code: UInt16), minus: (value: SIMD8<Float>, code: UInt16)) {
        let plus = best(x - 0.25), minus = best(x + 0.25)
        return ((plus.point + 0.25, plus.code(positiveShift: true)), (minus.point - 0.25, minus.code(positiveShift: false)))
    }

    /// The best point of D̂8 (before the shift) for one target `y`, its squared distance and
    /// what its code needs.
    struct Candidate {
        var point: SIMD8<Float>
        var distance: Float
        /// The source pattern's index (`E8PSourcePatterns.doubled`).
        var source: Int32
        /// Whether the codebook stores the source with its last entry negated (`Σa` odd).
        var lastNegated: Bool

        /// The candidate for `|y|` given `y`'s signs, with its squared distance to `y`.
        @inline(__always)
        func signed(like y: SIMD8<Float>) -> Candidate {
            var signed = self
            signed.point = point.negating(where: y .< SIMD8<Float>(repeating: 0))
            let delta = y - signed.point
            signed.distance = (delta * delta).sum()
            return signed
        }

        /// `(source << 8) | signs`: sign bit `shuffle[i]` is set where the point's sign differs
        /// from the stored source's (`E8PCodebook`), bit 0 flipped again for the `−¼` shift.
        @inline(__always)
        func code(positiveShift: Bool) -> UInt16 {
            // 1 << E8PCodebook.shuffle[i], lane by lane.
            let bits = SIMD8<Int32>(1, 16, 2, 32, 4, 64, 8, 128)
            var signs = ((point .< SIMD8<Float>(repeating: 0)).ones &* bits).wrappedSum()
            if lastNegated { signs ^= 128 }
            if !positiveShift { signs ^= 1 }
            return UInt16(truncatingIfNeeded: source << 8 | signs)
        }
    }

    /// The best candidate point of D̂8 for `y`: the best orbit member unless a listed norm-12
    /// pattern scores strictly higher. The listed patterns are only scored when their upper
    /// bound says one might.
    @inline(__always)
    static func best(_ y: SIMD8<Float>) -> Candidate {
        let negative = y .< SIMD8<Float>(repeating: 0)
        let u = y.negating(where: negative)
        let oddNegatives = negative.ones.wrappedSum() & 1 == 1
        let sorted = SortedMagnitudes(u)
        let orbit = bestOrbit(sorted, oddNegatives: oddNegatives)
        var candidate: Candidate
        if sorted.listedBound(u, oddNegatives: oddNegatives) < orbit.score {
            candidate = orbitCandidate(orbit, u, sorted)
        } else if let listed = bestListed(u, oddNegatives: oddNegatives, above: orbit.score) {
            candidate = listedCandidate(listed, u, oddNegatives: oddNegatives)
        } else {
            candidate = orbitCandidate(orbit, u, sorted)
        }
        return candidate.signed(like: y)
    }
}
