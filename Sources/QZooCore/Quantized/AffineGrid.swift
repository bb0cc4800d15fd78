/// An integer grid `w ≈ (q − z) · s` with `q ∈ [0, 2^bits − 1]`.
///
/// One convention for every quantizer (RTN, GPTQ, AWQ) so every exporter understands every
/// result: codes are unsigned; a symmetric grid has the fixed zero point `2^(bits−1)` (GPTQ's
/// convention, levels −2^(b−1)…2^(b−1)−1 times the scale) and stores no zero points; an asymmetric
/// grid stores one integer zero point per scale.
public struct AffineGrid: Sendable, Equatable, Hashable {
    public var bits: Int
    public var symmetric: Bool
    public var granularity: Granularity

    public init(bits: Int, symmetric: Bool, granularity: Granularity) {
        self.bits = bits
        self.symmetric = symmetric
        self.granularity = granularity
    }

    /// The largest code, `2^bits − 1`.
    public var maxCode: Int { (1 << bits) - 1 }

    /// The implicit zero point of a symmetric grid.
    public var symmetricZero: Int { 1 << (bits - 1) }
}

/// How scales are shared across a weight matrix `[rows (outputs), columns (inputs)]`.
public enum Granularity: Sendable, Equatable, Hashable {
    /// One scale for the whole tensor; scales shape `[1]`.
    case perTensor
    /// One scale per output row; scales shape `[rows]`.
    case perChannel
    /// One scale per row and per `size` consecutive columns (the last group may be partial);
    /// scales shape `[rows, ceil(columns / size)]`.
    case group(size: Int)

    /// The shape of the scale (and zero-point) tensor for a `[rows, columns]` weight with
    /// `columns > 0` and a positive group size (written so a huge group size cannot overflow).
    public func scaleShape(rows: Int, columns: Int) -> [Int] {
        switch self {
        case .perTensor: return [1]
        case .perChannel: return [rows]
        case .group(let size): return [rows, (columns - 1) / size + 1]
        }
    }
}
