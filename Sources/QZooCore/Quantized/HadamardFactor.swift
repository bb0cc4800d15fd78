/// Which Hadamard transform a size has: `n = K · 2^k` with K the first of quip-sharp's hard-coded
/// orders (172, 156, 140, 124, 116, 108, 60, 52, 36, 28, 20, 12) that divides `n` (K = 1 for a
/// power of two). One rule for the transform (QZooMath) and for validating stored transforms, so
/// a file never names a size the transform cannot build.
public enum HadamardFactor {
    public static let orders = [172, 156, 140, 124, 116, 108, 60, 52, 36, 28, 20, 12]

    /// K for `size`, or nil when `size` has no such factorisation.
    public static func of(size: Int) -> Int? {
        guard size > 0 else { return nil }
        let factor = orders.first { size % $0 == 0 } ?? 1
        let rest = size / factor
        return rest & (rest - 1) == 0 ? factor : nil
    }
}
