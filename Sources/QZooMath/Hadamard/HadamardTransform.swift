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

    /// `H_K[i, j]` (or `H_K[j, i]` when `transposed`); for tests and the K-mixing step.
    public func factorEntry(_ i: Int, _ j: Int, transposed: Bool = false) -> Float {
        transposed ? matrix[j * factor + i] : matrix[i * factor + j]
    }

    /// `x ← 𝓗x` (or `𝓗ᵀx`) for each of `count` consecutive vectors of length `size` in `data`.
    public func apply(_ data: UnsafeMutableBufferPointer<Float>, count: Int, transposed: Bool = false) {
        guard let base = data.baseAddress, data.count >= count * size else { return }
        let length = size / factor
        let norm = 1 / Float(size).squareRoot()
        var scratch = [Float](repeating: 0, count: factor > 1 ? size : 0)
        for vector in 0..<count {
            let x = base + vector * size
            for block in 0..<factor { WalshHadamard.transform(x + block * length, length: length) }
            if factor > 1 {
                scratch.withUnsafeMutableBufferPointer { mixFactor(x, length: length, scratch: $0, transposed: transposed) }
            }
            for i in 0..<size { x[i] *= norm }
        }
    }

    /// Rows of `x` (as `K × length`) ← `H_K ·` rows (or `H_Kᵀ ·`).
    private func mixFactor(_ x: UnsafeMutablePointer<Float>, length: Int, scratch: UnsafeMutableBufferPointer<Float>,
                           transposed: Bool) {
        guard let out = scratch.baseAddress else { return }
        out.update(from: x, count: size)
        for i in 0..<factor {
            let target = x + i * length
            for t in 0..<length { target[t] = 0 }
            for j in 0..<factor {
                let source = out + j * length
                if factorEntry(i, j, transposed: transposed) > 0 {
                    for t in 0..<length { target[t] += source[t] }
                } else {
                    for t in 0..<length { target[t] -= source[t] }
                }
            }
        }
    }
}
