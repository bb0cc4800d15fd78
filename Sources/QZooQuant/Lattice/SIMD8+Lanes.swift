/// Lane selection and mask arithmetic for the E8P encoder's hot loop that compile to a few
/// vector instructions wherever they are inlined.
///
/// The standard library's `replacing(with:where:)` (and `pointwiseMin`, built on it) is a
/// per-lane loop over `SIMDMask` subscripts. LLVM turns it into a blend when it is small enough
/// to unroll first, but inside a large inlined function it often stays a loop that writes the
/// lanes to the stack one by one — which is where most of the encoder's time went. Comparisons,
/// mask logic and wrapping integer arithmetic on the concrete 8-lane types are builtins, and
/// plain lane-wise bitwise operations always vectorize, so these helpers use only those.
extension SIMDMask where Storage == SIMD8<Int32> {
    /// −1 in the lanes that are set, 0 elsewhere (the mask's own representation).
    @inline(__always)
    var integers: SIMD8<Int32> { unsafeBitCast(self, to: SIMD8<Int32>.self) }

    /// 1 in the lanes that are set, 0 elsewhere.
    @inline(__always)
    var ones: SIMD8<Int32> { SIMD8<Int32>(repeating: 0) &- integers }
}

extension SIMD8 where Scalar == Float {
    /// `other` in the lanes `mask` sets, `self` in the others.
    @inline(__always)
    func selecting(_ other: Self, where mask: SIMDMask<SIMD8<Int32>>) -> Self {
        let a = unsafeBitCast(self, to: SIMD8<Int32>.self), b = unsafeBitCast(other, to: SIMD8<Int32>.self)
        return unsafeBitCast(a ^ ((a ^ b) & mask.integers), to: Self.self)
    }

    /// The lanes `mask` sets negated (their sign bit flipped), the others unchanged.
    @inline(__always)
    func negating(where mask: SIMDMask<SIMD8<Int32>>) -> Self {
        let bits = unsafeBitCast(self, to: SIMD8<Int32>.self)
        return unsafeBitCast(bits ^ (mask.integers & SIMD8<Int32>(repeating: Int32.min)), to: Self.self)
    }

    /// Lane-wise `other < self ? other : self` (the lesser; `self` on ties).
    @inline(__always)
    func lesser(_ other: Self) -> Self { selecting(other, where: other .< self) }

    /// The largest lane (`>` from the halves down, as `max` on ties).
    @inline(__always)
    func maximum() -> Float {
        let a = lowHalf.selecting(highHalf, where: highHalf .> lowHalf)
        let b = a.lowHalf.selecting(a.highHalf, where: a.highHalf .> a.lowHalf)
        return Swift.max(b[0], b[1])
    }

    /// The smallest lane (`<` from the halves down, as `min` on ties).
    @inline(__always)
    func minimum() -> Float {
        let a = lowHalf.selecting(highHalf, where: highHalf .< lowHalf)
        let b = a.lowHalf.selecting(a.highHalf, where: a.highHalf .< a.lowHalf)
        return Swift.min(b[0], b[1])
    }

    /// The first lane equal to `value`, or 8 when none is.
    @inline(__always)
    func firstLane(of value: Float) -> Int32 {
        let equal = self .== SIMD8<Float>(repeating: value)
        let shifted = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7) &- SIMD8<Int32>(repeating: 8)
        return ((shifted & equal.integers) &+ SIMD8<Int32>(repeating: 8)).minimum()
    }
}

extension SIMD8 where Scalar == Int32 {
    /// `other` in the lanes `mask` sets, `self` in the others.
    @inline(__always)
    func selecting(_ other: Self, where mask: SIMDMask<SIMD8<Int32>>) -> Self {
        self ^ ((self ^ other) & mask.integers)
    }

    /// The smallest lane.
    @inline(__always)
    func minimum() -> Int32 {
        let a = lowHalf.selecting(highHalf, where: highHalf .< lowHalf)
        let b = a.lowHalf.selecting(a.highHalf, where: a.highHalf .< a.lowHalf)
        return Swift.min(b[0], b[1])
    }
}

extension SIMD4 where Scalar == Float {
    /// `other` in the lanes `mask` sets, `self` in the others.
    @inline(__always)
    func selecting(_ other: Self, where mask: SIMDMask<SIMD4<Int32>>) -> Self {
        let a = unsafeBitCast(self, to: SIMD4<Int32>.self), b = unsafeBitCast(other, to: SIMD4<Int32>.self)
        return unsafeBitCast(a ^ ((a ^ b) & unsafeBitCast(mask, to: SIMD4<Int32>.self)), to: Self.self)
    }
}

extension SIMD4 where Scalar == Int32 {
    /// `other` in the lanes `mask` sets, `self` in the others.
    @inline(__always)
    func selecting(_ other: Self, where mask: SIMDMask<SIMD4<Int32>>) -> Self {
        self ^ ((self ^ other) & unsafeBitCast(mask, to: SIMD4<Int32>.self))
    }
}

extension SIMD2 where Scalar == Float {
    /// `other` in the lanes `mask` sets, `self` in the others.
    @inline(__always)
    func selecting(_ other: Self, where mask: SIMDMask<SIMD2<Int32>>) -> Self {
        let a = unsafeBitCast(self, to: SIMD2<Int32>.self), b = unsafeBitCast(other, to: SIMD2<Int32>.self)
        return unsafeBitCast(a ^ ((a ^ b) & unsafeBitCast(mask, to: SIMD2<Int32>.self)), to: Self.self)
    }
}

extension SIMD2 where Scalar == Int32 {
    /// `other` in the lanes `mask` sets, `self` in the others.
    @inline(__always)
    func selecting(_ other: Self, where mask: SIMDMask<SIMD2<Int32>>) -> Self {
        self ^ ((self ^ other) & unsafeBitCast(mask, to: SIMD2<Int32>.self))
    }
}
