import QZooCore

/// The orthogonal Hadamard transform of size `n = K · 2^k`: `𝓗_n = (H_K ⊗ H_{2^k}) / √n`, with
/// `H_{2^k}` the Sylvester-ordered Walsh–Hadamard matrix and `H_K` one of quip-sharp's hard-coded
/// matrices (`K = 1` when `n` is a power of two). The K index is the major one: a vector is read
/// as a `K × 2^k` matrix, `H_{2^k}` transforms each row, `H_K` mixes the rows.
///
/// `K` is chosen exactly as quip-sharp's `get_hadK` chooses it (`HadamardFactor`: the first of
/// 172, 156, 140, 124, 116, 108, 60, 52, 36, 28, 20, 12 that divides `n`, then `n / K` must be a
/// power of two), so a size always has the same transform here as there. The `H_K` are not symmetric: `transposed`
/// applies `𝓗ᵀ = (H_Kᵀ ⊗ H_{2^k}) / √n`, which inverts `𝓗`.
public struct HadamardTransform: Sendable, Equatable {
    public let size: Int
    /// K: the order of the non-power-of-two factor, 1 for powers of two.
    public let factor: Int
    /// `H_K`, row-major `K × K` entries ±1; empty when `factor == 1`.
    private let matrix: [Float]

    /// The factors quip-sharp tries, in its order.
    public static let factors = HadamardFactor.orders

    public init(size: Int) throws {
        guard let factor = HadamardFactor.of(size: size) else {
            throw QZooError(.unsupported, "no Hadamard transform of size \(size): the size must be 2^k or K·2^k "
                            + "with K in \(Self.factors.sorted())")
        }
        self.size = size
        self.factor = factor
        matrix = factor == 1 ? [] : Self.parse(HadamardTables.rows[factor] ?? "", order: factor)
    }

    /// Whether `size` has a transform.
    public static func supports(size: Int) -> Bool { (try? HadamardTransform(size: size)) != nil }

    private static func parse(_ text: String, order: Int) -> [Float] {
        let values = text.unicodeScalars.compactMap { scalar -> Float? in
            scalar == "+" ? 1 : (scalar == "-" ? -1 : nil)
        }
        return values.count == order * order ? values : []
    }

    /// `H_K[i, j]` (or `H_K[j, i]` when `transposed`), for tests; the K-mixing steps read the
    /// whole matrix at once (`withSigns`).
    public func factorEntry(_ i: Int, _ j: Int, transposed: Bool = false) -> Float {
        transposed ? matrix[j * factor + i] : matrix[i * factor + j]
    }

    /// `x ← 𝓗x` (or `𝓗ᵀx`) for each of `count` consecutive vectors of length `size` in `data`.
    public func apply(_ data: UnsafeMutableBufferPointer<Float>, count: Int, transposed: Bool = false) {
        guard let base = data.baseAddress, data.count >= count * size else { return }
        let length = size / factor
        let norm = 1 / Float(size).squareRoot()
        var scratch = [Float](repeating: 0, count: factor > 1 ? size : 0)
        withSigns(transposed: transposed) { sign in
            for vector in 0..<count {
                let x = base + vector * size
                for block in 0..<factor { WalshHadamard.transform(x + block * length, length: length) }
                if factor > 1 {
                    scratch.withUnsafeMutableBufferPointer { mixFactor(x, length: length, scratch: $0, sign: sign) }
                }
                for i in 0..<size { x[i] *= norm }
            }
        }
    }

    /// Rows of `x` (as `K × length`) ← `H_K ·` rows (or `H_Kᵀ ·`): each element summed from 0
    /// over `j` in order, `± row j`. Eight elements at a time, the sum kept in a register and
    /// stored once (a multiply–add by the ±1 entry: the product is exact, so each step is the
    /// same single rounding as adding or subtracting), instead of a pass over the whole row per
    /// term; rows shorter than eight (`length` 1, 2 or 4) go element by element.
    private func mixFactor(_ x: UnsafeMutablePointer<Float>, length: Int, scratch: UnsafeMutableBufferPointer<Float>,
                           sign: UnsafeBufferPointer<Float>) {
        guard let source = scratch.baseAddress else { return }
        source.update(from: x, count: size)
        for i in 0..<factor {
            let target = x + i * length
            var t = 0
            while t + 8 <= length {
                var sum = SIMD8<Float>(repeating: 0)
                for j in 0..<factor {
                    let entry = SIMD8<Float>(repeating: sign[i &* factor &+ j])
                    let row: UnsafeMutablePointer<Float> = source + (j &* length &+ t)
                    sum.addProduct(entry, UnsafeRawPointer(row).loadUnaligned(as: SIMD8<Float>.self))
                }
                UnsafeMutableRawPointer(target + t).storeBytes(of: sum, as: SIMD8<Float>.self)
                t += 8
            }
            for u in t ..< length {
                var sum: Float = 0
                for j in 0..<factor {
                    let entry: Float = sign[i &* factor &+ j], value: Float = source[j &* length &+ u]
                    sum.addProduct(entry, value)
                }
                target[u] = sum
            }
        }
    }

    /// `body` with `H_K` (or `H_Kᵀ`) as row-major ±1 entries, `sign[i · K + j]` (none for
    /// powers of two).
    func withSigns<R>(transposed: Bool, _ body: (UnsafeBufferPointer<Float>) -> R) -> R {
        guard transposed, matrix.count == factor * factor, factor > 1 else { return matrix.withUnsafeBufferPointer(body) }
        let flipped = (0 ..< factor * factor).map { matrix[$0 % factor * factor + $0 / factor] }
        return flipped.withUnsafeBufferPointer(body)
    }
}
