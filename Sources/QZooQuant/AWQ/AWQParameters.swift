import QZooCore

/// The settings of an AWQ pass, with llm-awq's defaults; `Codable` under the pipeline parameter
/// names (`bits`, `group_size`, `zero_point`, `n_grid`, `duo_scaling`, `clip`, `max_shrink`).
public struct AWQParameters: Sendable, Equatable, Codable {
    public var bits: Int
    /// Input columns per scale; nil for one scale per output row.
    public var groupSize: Int?
    /// Asymmetric grid with stored zero points (AWQ's default); false for a symmetric grid.
    public var zeroPoint: Bool
    /// Ratios tried: `0, 1/nGrid, …, (nGrid − 1)/nGrid`.
    public var nGrid: Int
    /// AutoAWQ's variant: divide the activation term by the weight term `w_mean^(1 − ratio)`.
    public var duoScaling: Bool
    /// Search each row's and group's clipping range after scaling (skipped for query and key).
    public var clip: Bool
    /// The clip search tries `max|w| · (1 − i/nGrid)` for `i < maxShrink · nGrid`.
    public var maxShrink: Double

    public init(bits: Int, groupSize: Int? = 128, zeroPoint: Bool = true, nGrid: Int = 20, duoScaling: Bool = false,
                clip: Bool = true, maxShrink: Double = 0.5) {
        self.bits = bits
        self.groupSize = groupSize
        self.zeroPoint = zeroPoint
        self.nGrid = nGrid
        self.duoScaling = duoScaling
        self.clip = clip
        self.maxShrink = maxShrink
    }

    enum CodingKeys: String, CodingKey {
        case bits, clip
        case groupSize = "group_size"
        case zeroPoint = "zero_point"
        case nGrid = "n_grid"
        case duoScaling = "duo_scaling"
        case maxShrink = "max_shrink"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = AWQParameters(bits: 4)
        self.init(
            bits: try container.decode(Int.self, forKey: .bits),
            groupSize: try container.decodeIfPresent(Int.self, forKey: .groupSize) ?? defaults.groupSize,
            zeroPoint: try container.decodeIfPresent(Bool.self, forKey: .zeroPoint) ?? defaults.zeroPoint,
            nGrid: try container.decodeIfPresent(Int.self, forKey: .nGrid) ?? defaults.nGrid,
            duoScaling: try container.decodeIfPresent(Bool.self, forKey: .duoScaling) ?? defaults.duoScaling,
            clip: try container.decodeIfPresent(Bool.self, forKey: .clip) ?? defaults.clip,
            maxShrink: try container.decodeIfPresent(Double.self, forKey: .maxShrink) ?? defaults.maxShrink)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(bits, forKey: .bits)
        try container.encodeIfPresent(groupSize, forKey: .groupSize)
        try container.encode(zeroPoint, forKey: .zeroPoint)
        try container.encode(nGrid, forKey: .nGrid)
        try container.encode(duoScaling, forKey: .duoScaling)
        try container.encode(clip, forKey: .clip)
        try container.encode(maxShrink, forKey: .maxShrink)
    }

    /// The grid the search rounds to and the final quantizer uses.
    public var grid: AffineGrid {
        AffineGrid(bits: bits, symmetric: !zeroPoint, granularity: groupSize.map { .group(size: $0) } ?? .perChannel)
    }

    /// Rejects settings the search cannot honour, naming the parameter.
    public func validate() throws {
        guard (1...8).contains(bits) else { throw QZooError(.invalidArgument, "awq: bits must be 1...8, got \(bits)") }
        if bits == 1 && !zeroPoint { throw QZooError(.invalidArgument, "awq: a symmetric 1-bit grid has no positive level; keep zero_point") }
        if let groupSize, groupSize < 1 { throw QZooError(.invalidArgument, "awq: group_size must be positive, got \(groupSize)") }
        guard (1...1000).contains(nGrid) else { throw QZooError(.invalidArgument, "awq: n_grid must be 1...1000, got \(nGrid)") }
        guard maxShrink >= 0, maxShrink < 1 else { throw QZooError(.invalidArgument, "awq: max_shrink must be in [0, 1), got \(maxShrink)") }
    }
}
