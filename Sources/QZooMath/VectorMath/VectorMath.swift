/// Float32 element-wise functions and reductions over buffers, 16 lanes (`SIMD16<Float>`, two
/// AVX registers) at a time.
///
/// The float32 forward pass spends its non-matrix time in erf (GELU), exp (softmax) and the
/// LayerNorm sums. libm evaluates erf and exp one scalar call at a time, and the compiler cannot
/// vectorise a float sum or maximum by itself (that would reorder the operations); here exp and
/// erf are VectorMath's own polynomials on whole vectors and reductions keep one partial result
/// per lane. `BLASScalar` routes generic code here for `Float`.
///
/// The loops are concrete (not generic over the scalar) and the vector functions
/// `@inline(__always)`: a `SIMD16<Float>` that crosses a call travels in four 128-bit registers
/// and LLVM then computes 4 lanes wide, and generic SIMD comparisons compile to per-lane branches.
/// Written this way every step is an 8-lane AVX instruction (checked in the disassembly).
public enum VectorMath {
    /// `e^x` of every element, in place.
    public static func exp(_ x: UnsafeMutableBufferPointer<Float>) {
        map(x) { exp($0) }
    }

    /// `erf(x)` of every element, in place.
    public static func erf(_ x: UnsafeMutableBufferPointer<Float>) {
        map(x) { erf($0) }
    }

    /// `Σ xᵢ`, with one partial sum per lane.
    public static func sum(_ x: UnsafeBufferPointer<Float>) -> Float {
        var partial = SIMD16<Float>()
        let tail = forEachVector(x) { partial += $0 }
        return partial.sum() + tail.reduce(0, +)
    }

    /// `Σ xᵢ²`, with one partial sum per lane.
    public static func sumOfSquares(_ x: UnsafeBufferPointer<Float>) -> Float {
        var partial = SIMD16<Float>()
        let tail = forEachVector(x) { partial.addProduct($0, $0) }
        return partial.sum() + tail.reduce(0) { $0 + $1 * $1 }
    }

    /// The largest element, `-∞` for an empty buffer (a NaN element may or may not be the result).
    public static func maximum(_ x: UnsafeBufferPointer<Float>) -> Float {
        var largest = SIMD16<Float>(repeating: -.infinity)
        let tail = forEachVector(x) { largest.replace(with: $0, where: $0 .> largest) }
        return tail.reduce(largest.max()) { $1 > $0 ? $1 : $0 }
    }

    /// Replaces every element `v` with `f(v)`. The last, partial vector is padded with zeros and
    /// only its valid lanes are written back, so an element's result never depends on where it
    /// sits in the buffer.
    @inline(__always)
    static func map(_ x: UnsafeMutableBufferPointer<Float>, _ f: (SIMD16<Float>) -> SIMD16<Float>) {
        guard let base = x.baseAddress else { return }
        let raw = UnsafeMutableRawPointer(base)
        var start = 0
        while x.count - start >= 16 {
            let offset = start * MemoryLayout<Float>.stride
            raw.storeBytes(of: f(raw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)),
                           toByteOffset: offset, as: SIMD16<Float>.self)
            start += 16
        }
        guard start < x.count else { return }
        var padded = SIMD16<Float>()
        for i in start..<x.count { padded[i - start] = x[i] }
        let result = f(padded)
        for i in start..<x.count { x[i] = result[i - start] }
    }

    /// Calls `body` with every whole vector of `x`; returns the elements after the last one.
    @inline(__always)
    static func forEachVector(_ x: UnsafeBufferPointer<Float>, _ body: (SIMD16<Float>) -> Void) -> UnsafeBufferPointer<Float> {
        guard let base = x.baseAddress else { return x }
        let raw = UnsafeRawPointer(base)
        var start = 0
        while x.count - start >= 16 {
            body(raw.loadUnaligned(fromByteOffset: start * MemoryLayout<Float>.stride, as: SIMD16<Float>.self))
            start += 16
        }
        return UnsafeBufferPointer(rebasing: x[start...])
    }
}
