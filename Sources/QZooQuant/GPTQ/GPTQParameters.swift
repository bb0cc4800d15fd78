import QZooCore

/// The settings of a GPTQ pass, with the reference's defaults; `Codable` under the pipeline
/// parameter names (`bits`, `group_size`, `sym`, `act_order`, `static_groups`, `damp`,
/// `block_size`, `sequential`, `precision`) so a pipeline pass can decode it directly.
public struct GPTQParameters: Sendable, Equatable, Codable {
    public var bits: Int
    /// Input columns per scale; nil for one scale per output row.
    public var groupSize: Int?
    public var symmetric: Bool
    /// Quantize columns in descending order of `diag(H)` (the reference's `--act-order`).
    public var actOrder: Bool
    /// Fit every group's scale before any error update, in the original column order, so
    /// act-order needs no stored permutation (`--static-groups`).
    public var staticGroups: Bool
    /// Damping as a fraction of the mean Hessian diagonal (`percdamp`).
    public var damp: Double
    /// Columns per lazy update (the reference's `blocksize`).
    public var blockSize: Int
    /// Calibrate each block on the outputs of the already-quantized preceding blocks (used by
    /// the caller that runs the model; the rounding itself does not read it).
    public var sequential: Bool
    /// The precision of the factorisation and the error feedback (scales are float32 either way).
    public var precision: GPTQPrecision

    public init(bits: Int, groupSize: Int? = nil, symmetric: Bool = false, actOrder: Bool = false,
                staticGroups: Bool = false, damp: Double = 0.01, blockSize: Int = 128, sequential: Bool = true,
                precision: GPTQPrecision = .float32) {
        self.bits = bits
        self.groupSize = groupSize
        self.symmetric = symmetric
        self.actOrder = actOrder
        self.staticGroups = staticGroups
        self.damp = damp
        self.blockSize = blockSize
        self.sequential = sequential
        self.precision = precision
    }

    enum CodingKeys: String, CodingKey {
        case bits, sym, damp, sequential, precision
        case groupSize = "group_size"
        case actOrder = "act_order"
        case staticGroups = "static_groups"
        case blockSize = "block_size"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = GPTQParameters(bits: 4)
        self.init(
            bits: try container.decode(Int.self, forKey: .bits),
            groupSize: try container.decodeIfPresent(Int.self, forKey: .groupSize),
            symmetric: try container.decodeIfPresent(Bool.self, forKey: .sym) ?? defaults.symmetric,
            actOrder: try container.decodeIfPresent(Bool.self, forKey: .actOrder) ?? defaults.actOrder,
            staticGroups: try container.decodeIfPresent(Bool.self, forKey: .staticGroups) ?? defaults.staticGroups,
            damp: try container.decodeIfPresent(Double.self, forKey: .damp) ?? defaults.damp,
            blockSize: try container.decodeIfPresent(Int.self, forKey: .blockSize) ?? defaults.blockSize,
            sequential: try container.decodeIfPresent(Bool.self, forKey: .sequential) ?? defaults.sequential,
            precision: try container.decodeIfPresent(GPTQPrecision.self, forKey: .precision) ?? defaults.precision)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(bits, forKey: .bits)
        try container.encodeIfPresent(groupSize, forKey: .groupSize)
        try container.encode(symmetric, forKey: .sym)
        try container.encode(actOrder, forKey: .actOrder)
        try container.encode(staticGroups, forKey: .staticGroups)
        try container.encode(damp, forKey: .damp)
        try container.encode(blockSize, forKey: .blockSize)
        try container.encode(sequential, forKey: .sequential)
        try container.encode(precision, forKey: .precision)
    }

    /// The grid results use.
    public var grid: AffineGrid {
        AffineGrid(bits: bits, symmetric: symmetric, granularity: groupSize.map { .group(size: $0) } ?? .perChannel)
    }

    /// Rejects settings the rounding cannot honour, naming the parameter.
    public func validate() throws {
        guard (1...8).contains(bits) else { throw QZooError(.invalidArgument, "gptq: bits must be 1...8, got \(bits)") }
        if let groupSize, groupSize < 1 { throw QZooError(.invalidArgument, "gptq: group_size must be positive, got \(groupSize)") }
        guard damp.isFinite, damp >= 0 else { throw QZooError(.invalidArgument, "gptq: damp must be a finite number ≥ 0, got \(damp)") }
        guard blockSize >= 1 else { throw QZooError(.invalidArgument, "gptq: block_size must be positive, got \(blockSize)") }
    }
}

/// The floating-point precision GPTQ factorises and propagates errors in.
///
/// `float32` is the reference's (and ~2× faster); `float64` makes the loop's rounding decisions
/// independent of summation order to ~1e-16, so a float64 transcription of the reference gives
/// the very same codes (the interop suite checks this), and suits ill-conditioned Hessians.
public enum GPTQPrecision: String, Sendable, Codable, CaseIterable {
    case float32 = "f32"
    case float64 = "f64"
}
