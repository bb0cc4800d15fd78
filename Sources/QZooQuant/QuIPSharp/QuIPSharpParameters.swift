import QZooCore

/// The settings of QuIP# (no fine-tuning), with the reference's defaults; `Codable` under the
/// pipeline parameter names (`codebook`, `rho`, `damp`, `tune_passes`, `sequential`).
public struct QuIPSharpParameters: Sendable, Equatable, Codable {
    public var codebook: LatticeCodebook
    /// ρ: weights are coded at `RMS(Wr) / ρ` (`scale_override`); nil for the codebook's default.
    public var rho: Double?
    /// `sigma_reg`: after `H /= mean diag H`, `H += damp · I`.
    public var damp: Double
    /// `quip_tune_iters`: greedy block coordinate-descent passes after LDLQ.
    public var tunePasses: Int
    /// Calibrate each encoder layer on the outputs of the already-quantized layers before it
    /// (read by the caller that runs the model).
    public var sequential: Bool

    public init(codebook: LatticeCodebook, rho: Double? = nil, damp: Double = 0.01, tunePasses: Int = 10,
                sequential: Bool = true) {
        self.codebook = codebook
        self.rho = rho
        self.damp = damp
        self.tunePasses = tunePasses
        self.sequential = sequential
    }

    public var effectiveRho: Double { rho ?? codebook.defaultRho }

    public func validate() throws {
        guard effectiveRho > 0, effectiveRho.isFinite else {
            throw QZooError(.invalidArgument, "rho must be positive, got \(effectiveRho)")
        }
        guard damp >= 0, damp.isFinite else { throw QZooError(.invalidArgument, "damp must be ≥ 0, got \(damp)") }
        guard (0...1000).contains(tunePasses) else {
            throw QZooError(.invalidArgument, "tune passes must be 0...1000, got \(tunePasses)")
        }
    }

    enum CodingKeys: String, CodingKey {
        case codebook, rho, damp, sequential
        case tunePasses = "tune_passes"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .codebook)
        guard let codebook = LatticeCodebook(rawValue: name) else {
            throw DecodingError.dataCorruptedError(forKey: .codebook, in: container, debugDescription:
                "unknown codebook '\(name)' (expected \(LatticeCodebook.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let defaults = QuIPSharpParameters(codebook: codebook)
        self.init(codebook: codebook, rho: try container.decodeIfPresent(Double.self, forKey: .rho),
                  damp: try container.decodeIfPresent(Double.self, forKey: .damp) ?? defaults.damp,
                  tunePasses: try container.decodeIfPresent(Int.self, forKey: .tunePasses) ?? defaults.tunePasses,
                  sequential: try container.decodeIfPresent(Bool.self, forKey: .sequential) ?? defaults.sequential)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(codebook.rawValue, forKey: .codebook)
        try container.encodeIfPresent(rho, forKey: .rho)
        try container.encode(damp, forKey: .damp)
        try container.encode(tunePasses, forKey: .tunePasses)
        try container.encode(sequential, forKey: .sequential)
    }
}
