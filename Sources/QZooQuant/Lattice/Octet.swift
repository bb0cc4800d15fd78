/// Eight 8-dimensional vectors held coordinate-major ("structure of arrays"): `c0` holds
/// coordinate 0 of all eight, vector `l` in lane `l`. Lane-wise arithmetic on octets does, for
/// each vector, exactly what the same arithmetic does on that vector alone — the batch E8P
/// search relies on it to serve eight searches with each vector instruction.
struct Octet {
    var c0, c1, c2, c3, c4, c5, c6, c7: SIMD8<Float>

    @inline(__always)
    init(_ c0: SIMD8<Float>, _ c1: SIMD8<Float>, _ c2: SIMD8<Float>, _ c3: SIMD8<Float>,
         _ c4: SIMD8<Float>, _ c5: SIMD8<Float>, _ c6: SIMD8<Float>, _ c7: SIMD8<Float>) {
        (self.c0, self.c1, self.c2, self.c3, self.c4, self.c5, self.c6, self.c7) = (c0, c1, c2, c3, c4, c5, c6, c7)
    }

    /// Coordinate `j` of vector `l` at `coordinates[j * stride + l]` (a block's targets as
    /// `BlockLDLQ` lays them out: one row of 8 consecutive vectors per coordinate).
    @inline(__always)
    init(coordinates: UnsafeRawPointer, stride: Int) {
        let step = stride * MemoryLayout<Float>.stride
        self.init(coordinates.loadUnaligned(as: SIMD8<Float>.self),
                  coordinates.loadUnaligned(fromByteOffset: step, as: SIMD8<Float>.self),
                  coordinates.loadUnaligned(fromByteOffset: 2 * step, as: SIMD8<Float>.self),
                  coordinates.loadUnaligned(fromByteOffset: 3 * step, as: SIMD8<Float>.self),
                  coordinates.loadUnaligned(fromByteOffset: 4 * step, as: SIMD8<Float>.self),
                  coordinates.loadUnaligned(fromByteOffset: 5 * step, as: SIMD8<Float>.self),
                  coordinates.loadUnaligned(fromByteOffset: 6 * step, as: SIMD8<Float>.self),
                  coordinates.loadUnaligned(fromByteOffset: 7 * step, as: SIMD8<Float>.self))
    }

    /// The eight vectors at `vectors(l)`, `l = 0 ..< 8`, transposed.
    @inline(__always)
    init(vectors: (Int) -> SIMD8<Float>) {
        var octet = Octet(repeating: SIMD8<Float>(repeating: 0))
        withUnsafeMutableBytes(of: &octet) { bytes in
            for l in 0..<8 {
                let vector = vectors(l)
                for j in 0..<8 { bytes.storeBytes(of: vector[j], toByteOffset: (j * 8 + l) * 4, as: Float.self) }
            }
        }
        self = octet
    }

    @inline(__always)
    init(repeating value: SIMD8<Float>) {
        self.init(value, value, value, value, value, value, value, value)
    }

    /// Stores coordinate `j` at `coordinates[j * stride ..< j * stride + 8]`.
    @inline(__always)
    func store(coordinates: UnsafeMutableRawPointer, stride: Int) {
        let step = stride * MemoryLayout<Float>.stride
        coordinates.storeBytes(of: c0, as: SIMD8<Float>.self)
        coordinates.storeBytes(of: c1, toByteOffset: step, as: SIMD8<Float>.self)
        coordinates.storeBytes(of: c2, toByteOffset: 2 * step, as: SIMD8<Float>.self)
        coordinates.storeBytes(of: c3, toByteOffset: 3 * step, as: SIMD8<Float>.self)
        coordinates.storeBytes(of: c4, toByteOffset: 4 * step, as: SIMD8<Float>.self)
        coordinates.storeBytes(of: c5, toByteOffset: 5 * step, as: SIMD8<Float>.self)
        coordinates.storeBytes(of: c6, toByteOffset: 6 * step, as: SIMD8<Float>.self)
        coordinates.storeBytes(of: c7, toByteOffset: 7 * step, as: SIMD8<Float>.self)
    }

    /// Vector `lane` (through memory: for the rare per-vector steps).
    subscript(vector lane: Int) -> SIMD8<Float> {
        get {
            withUnsafeBytes(of: self) { bytes in
                var vector = SIMD8<Float>()
                for j in 0..<8 { vector[j] = bytes.load(fromByteOffset: (j * 8 + (lane & 7)) * 4, as: Float.self) }
                return vector
            }
        }
        set {
            withUnsafeMutableBytes(of: &self) { bytes in
                for j in 0..<8 { bytes.storeBytes(of: newValue[j], toByteOffset: (j * 8 + (lane & 7)) * 4, as: Float.self) }
            }
        }
    }

    @inline(__always)
    func map(_ f: (SIMD8<Float>) -> SIMD8<Float>) -> Octet {
        Octet(f(c0), f(c1), f(c2), f(c3), f(c4), f(c5), f(c6), f(c7))
    }

    @inline(__always)
    func zip(_ other: Octet, _ f: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>) -> Octet {
        Octet(f(c0, other.c0), f(c1, other.c1), f(c2, other.c2), f(c3, other.c3),
              f(c4, other.c4), f(c5, other.c5), f(c6, other.c6), f(c7, other.c7))
    }

    static func + (a: Octet, b: Octet) -> Octet { a.zip(b, +) }
    static func - (a: Octet, b: Octet) -> Octet { a.zip(b, -) }

    /// Each vector times the 8 × 8 matrix at `matrix` (row-major floats): lane-wise what
    /// `y.addProduct(SIMD8(repeating: x[i]), row i)` for `i = 0 ..< 8` gives for one vector
    /// `x` (from +0, fused multiply-adds in row order).
    @inline(__always)
    func times(_ matrix: UnsafeRawPointer) -> Octet {
        @inline(__always)
        func column(_ j: Int) -> SIMD8<Float> {
            @inline(__always)
            func entry(_ i: Int) -> SIMD8<Float> { SIMD8(repeating: matrix.load(fromByteOffset: (i * 8 + j) * 4, as: Float.self)) }
            var y = SIMD8<Float>()
            y.addProduct(c0, entry(0)); y.addProduct(c1, entry(1)); y.addProduct(c2, entry(2)); y.addProduct(c3, entry(3))
            y.addProduct(c4, entry(4)); y.addProduct(c5, entry(5)); y.addProduct(c6, entry(6)); y.addProduct(c7, entry(7))
            return y
        }
        return Octet(column(0), column(1), column(2), column(3), column(4), column(5), column(6), column(7))
    }

    /// Each vector's `Σ_j a_j b_j` as `SIMD8.sum()` adds it up (from −0, coordinate order), so
    /// lane `l` equals `(a[vector: l] * b[vector: l]).sum()` bit for bit.
    @inline(__always)
    static func dot(_ a: Octet, _ b: Octet) -> SIMD8<Float> {
        var sum = SIMD8<Float>(repeating: -0.0)
        sum += a.c0 * b.c0; sum += a.c1 * b.c1; sum += a.c2 * b.c2; sum += a.c3 * b.c3
        sum += a.c4 * b.c4; sum += a.c5 * b.c5; sum += a.c6 * b.c6; sum += a.c7 * b.c7
        return sum
    }
}
