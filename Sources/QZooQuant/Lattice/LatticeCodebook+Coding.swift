import QZooCore

/// One block's codes: the first stage's E8P code and, for the RVQ codebooks, the second stage's.
public struct LatticeCode: Sendable, Equatable {
    public var first: UInt16
    public var second: UInt16

    public init(first: UInt16, second: UInt16 = 0) {
        self.first = first
        self.second = second
    }
}

extension LatticeCodebook {
    /// The nearest codeword to `x` (nearest E8P point, then the nearest second-stage point to the
    /// scaled residual — QuIP#'s greedy residual VQ) and its codes.
    @inline(__always)
    public func quantize(_ x: SIMD8<Float>) -> (value: SIMD8<Float>, code: LatticeCode) {
        let stage1 = E8PEncoder.nearest(x)
        switch self {
        case .e8p:
            return (stage1.value, LatticeCode(first: stage1.code))
        case .e8pRVQ3:
            let scale = residualScale ?? 1
            let stage2 = E81BGrid.nearest((x - stage1.value) * scale)
            return (stage1.value + stage2.value / scale, LatticeCode(first: stage1.code, second: UInt16(stage2.code)))
        case .e8pRVQ4:
            let scale = residualScale ?? 1
            let stage2 = E8PEncoder.nearest((x - stage1.value) * scale)
            return (stage1.value + stage2.value / scale, LatticeCode(first: stage1.code, second: stage2.code))
        }
    }

    /// The 8 values `code` stands for (an E81B code uses the low 8 bits of `second`).
    @inline(__always)
    public func decode(_ code: LatticeCode) -> SIMD8<Float> {
        let stage1 = E8PCodebook.decode(code.first)
        switch self {
        case .e8p:
            return stage1
        case .e8pRVQ3:
            return stage1 + E81BGrid.points[Int(code.second & 255)] / (residualScale ?? 1)
        case .e8pRVQ4:
            return stage1 + E8PCodebook.decode(code.second) / (residualScale ?? 1)
        }
    }

    /// ρ: the weights are divided by `RMS / ρ` before coding (QuIP#'s `opt_scale`, which
    /// minimises the Gaussian MSE). The reference README suggests `--scale_override 0.9` for E8P
    /// on Llama; on all-MiniLM-L6-v2 1.03 gave a clearly better embedding cosine (0.892 vs 0.878,
    /// fixed Hessians), so the codebook's own optimum is the default.
    public var defaultRho: Double {
        switch self {
        case .e8p: return 1.03
        case .e8pRVQ3: return 0.98
        case .e8pRVQ4: return 1.03
        }
    }
}

extension LatticeCodebook {
    /// Block `block`'s codes from the stored bytes (`bytesPerBlock` per block, little-endian:
    /// the first stage's u16, then the second stage's u8 or u16).
    @inline(__always)
    func code(in bytes: UnsafeRawBufferPointer, block: Int) -> LatticeCode {
        let base = block * bytesPerBlock
        let first = UInt16(bytes[base]) | UInt16(bytes[base + 1]) << 8
        switch self {
        case .e8p: return LatticeCode(first: first)
        case .e8pRVQ3: return LatticeCode(first: first, second: UInt16(bytes[base + 2]))
        case .e8pRVQ4: return LatticeCode(first: first, second: UInt16(bytes[base + 2]) | UInt16(bytes[base + 3]) << 8)
        }
    }

    /// Appends `code`'s bytes in the stored layout.
    func append(_ code: LatticeCode, to bytes: inout [UInt8]) {
        bytes.append(UInt8(code.first & 255))
        bytes.append(UInt8(code.first >> 8))
        switch self {
        case .e8p: break
        case .e8pRVQ3: bytes.append(UInt8(code.second & 255))
        case .e8pRVQ4:
            bytes.append(UInt8(code.second & 255))
            bytes.append(UInt8(code.second >> 8))
        }
    }
}
