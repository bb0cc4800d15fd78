/// A vector codebook for 8 consecutive weights of a row (QuIP#'s lattice codebooks), as stored:
/// its name, its bits and how its codes are laid out. The arithmetic lives in QZooQuant.
///
/// Each block of 8 weights has one first-stage E8P12 code (16 bits); the residual-VQ variants add
/// a second stage that encodes `(x − stage1) · residualScale`, and the block decodes to
/// `stage1 + stage2 / residualScale`.
public enum LatticeCodebook: String, Sendable, Equatable, Hashable, CaseIterable {
    /// E8P12: 2¹⁶ points of E8 + ¼, 16 bits per 8 weights.
    case e8p = "e8p"
    /// E8P12 + the 256-point E81B grid on the residual (scale 2.04), 24 bits per 8 weights.
    case e8pRVQ3 = "e8p-rvq3"
    /// E8P12 twice (residual scale 3.45), 32 bits per 8 weights.
    case e8pRVQ4 = "e8p-rvq4"

    /// Weights per code block.
    public static let blockWidth = 8

    public var bitsPerWeight: Int {
        switch self {
        case .e8p: return 2
        case .e8pRVQ3: return 3
        case .e8pRVQ4: return 4
        }
    }

    /// Stored bytes per block of 8 weights: the first stage's u16, then the second stage's code
    /// (u8 for E81B, u16 for E8P), little-endian.
    public var bytesPerBlock: Int { bitsPerWeight }

    /// The factor the residual is multiplied by before the second stage; nil for one stage.
    public var residualScale: Float? {
        switch self {
        case .e8p: return nil
        case .e8pRVQ3: return 2.04
        case .e8pRVQ4: return 3.45
        }
    }

    /// The codebook for `bits` bits per weight.
    public init?(bits: Int) {
        guard let match = Self.allCases.first(where: { $0.bitsPerWeight == bits }) else { return nil }
        self = match
    }
}
