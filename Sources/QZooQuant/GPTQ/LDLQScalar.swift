import QZooMath

/// A precision the LDLQ loop runs in: `Float` (the reference's) or `Double` (checks against a
/// float64 transcription, and the retry when float32 does not factor).
///
/// `Vector` is one 256-bit register; a row tile is `tileVectors` of them (64 floats or 32
/// doubles), enough independent accumulators to keep both FMA units busy.
///
/// The lane-wise comparisons and conversions are requirements because the generic SIMD versions
/// compile to per-lane loops even when specialised; the concrete ones are single instructions.
protocol LDLQScalar: LAPACKScalar, SIMDScalar, Codable {
    associatedtype Vector: SIMD where Vector.Scalar == Self
    /// `AffineParameters.clamp` lane-wise: `x` limited to `[0, top]`, NaN to 0.
    static func clamp(_ x: Vector, top: Vector) -> Vector
    /// An integral value in `0...255` as a byte.
    static func byte(_ x: Self) -> UInt8
    /// Lane-wise minimum and maximum (of non-NaN values).
    static func lowest(_ a: Vector, _ b: Vector) -> Vector
    static func highest(_ a: Vector, _ b: Vector) -> Vector
}

extension Float: LDLQScalar {
    typealias Vector = SIMD8<Float>

    @inline(__always)
    static func clamp(_ x: SIMD8<Float>, top: SIMD8<Float>) -> SIMD8<Float> {
        var c = x
        c.replace(with: SIMD8<Float>.zero, where: .!(c .>= SIMD8<Float>.zero))
        c.replace(with: top, where: c .> top)
        return c
    }

    @inline(__always)
    static func byte(_ x: Float) -> UInt8 { UInt8(truncatingIfNeeded: Int32(x)) }

    @inline(__always)
    static func lowest(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .< a) }

    @inline(__always)
    static func highest(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .> a) }
}

extension Double: LDLQScalar {
    typealias Vector = SIMD4<Double>

    @inline(__always)
    static func clamp(_ x: SIMD4<Double>, top: SIMD4<Double>) -> SIMD4<Double> {
        var c = x
        c.replace(with: SIMD4<Double>.zero, where: .!(c .>= SIMD4<Double>.zero))
        c.replace(with: top, where: c .> top)
        return c
    }

    @inline(__always)
    static func byte(_ x: Double) -> UInt8 { UInt8(truncatingIfNeeded: Int32(x)) }

    @inline(__always)
    static func lowest(_ a: SIMD4<Double>, _ b: SIMD4<Double>) -> SIMD4<Double> { a.replacing(with: b, where: b .< a) }

    @inline(__always)
    static func highest(_ a: SIMD4<Double>, _ b: SIMD4<Double>) -> SIMD4<Double> { a.replacing(with: b, where: b .> a) }
}

extension LDLQScalar {
    static var tileVectors: Int { 8 }
    static var tileLanes: Int { tileVectors * Vector.scalarCount }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Self>, vector: Int) -> Vector {
        UnsafeRawPointer(pointer + vector * Vector.scalarCount).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ value: Vector, to pointer: UnsafeMutablePointer<Self>, vector: Int) {
        UnsafeMutableRawPointer(pointer + vector * Vector.scalarCount).storeBytes(of: value, as: Vector.self)
    }

    /// Whether every element is finite, checked a vector at a time (`x·0` is 0 unless `x` is
    /// infinite or NaN; a scalar sum would not vectorise).
    static func allFinite(_ values: UnsafeBufferPointer<Self>) -> Bool {
        guard let base = values.baseAddress else { return true }
        let width = Vector.scalarCount, vectors = values.count / width
        var probe = Vector(repeating: 0)
        for v in 0..<vectors { probe.addProduct(load(base, vector: v), Vector(repeating: 0)) }
        var scalar: Self = 0
        for i in (vectors * width)..<values.count { scalar += values[i] * 0 }
        return scalar == 0 && probe == Vector(repeating: 0)
    }

    /// The smallest and largest of `values` (non-empty, no NaN), a vector at a time.
    static func extremes(_ values: UnsafeBufferPointer<Self>) -> (Self, Self) {
        guard let base = values.baseAddress, values.count >= Vector.scalarCount else {
            return (values.min() ?? 0, values.max() ?? 0)
        }
        let width = Vector.scalarCount, vectors = values.count / width
        var low = load(base, vector: 0), high = low
        for v in 1..<vectors {
            let x = load(base, vector: v)
            low = lowest(low, x)
            high = highest(high, x)
        }
        var minimum = low[0], maximum = high[0]
        for i in 1..<width {
            minimum = Swift.min(minimum, low[i])
            maximum = Swift.max(maximum, high[i])
        }
        for i in (vectors * width)..<values.count {
            minimum = Swift.min(minimum, values[i])
            maximum = Swift.max(maximum, values[i])
        }
        return (minimum, maximum)
    }

    /// `w += Σ_{k < count} ē_k·u_k` over one row tile (`tileLanes` values at `w`), with `ē_k`
    /// the negated scaled errors at `errors + k·stride` and `u_k` a column of `U`, summed in `k`
    /// order with fused multiply-adds: the one order both GPTQ and block LDLQ use, so that
    /// block LDLQ with `b = 1` is GPTQ bit for bit.
    @inline(__always)
    static func feedback(_ w: UnsafeMutablePointer<Self>, errors: UnsafePointer<Self>, stride: Int,
                         coefficients: UnsafePointer<Self>, count: Int) {
        var s0 = load(w, vector: 0), s1 = load(w, vector: 1), s2 = load(w, vector: 2), s3 = load(w, vector: 3)
        var s4 = load(w, vector: 4), s5 = load(w, vector: 5), s6 = load(w, vector: 6), s7 = load(w, vector: 7)
        for k in 0..<count {
            let a = Vector(repeating: coefficients[k]), d = errors + k * stride
            s0.addProduct(load(d, vector: 0), a)
            s1.addProduct(load(d, vector: 1), a)
            s2.addProduct(load(d, vector: 2), a)
            s3.addProduct(load(d, vector: 3), a)
            s4.addProduct(load(d, vector: 4), a)
            s5.addProduct(load(d, vector: 5), a)
            s6.addProduct(load(d, vector: 6), a)
            s7.addProduct(load(d, vector: 7), a)
        }
        store(s0, to: w, vector: 0); store(s1, to: w, vector: 1); store(s2, to: w, vector: 2); store(s3, to: w, vector: 3)
        store(s4, to: w, vector: 4); store(s5, to: w, vector: 5); store(s6, to: w, vector: 6); store(s7, to: w, vector: 7)
    }
}
