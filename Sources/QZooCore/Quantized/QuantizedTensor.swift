/// How a quantized weight's codes map to values.
public enum QuantizationScheme: Sendable, Equatable {
    /// One integer code per weight on an affine grid.
    case affine(AffineGrid)
    /// One vector code per 8 consecutive weights of a row (QuIP#'s lattice codebooks).
    case lattice(LatticeCodebook)
}

/// Everything needed to reconstruct a quantized weight matrix.
///
/// The logical weight is `[rows, columns]` = `[outputs, inputs]`; groups run along columns.
///
/// Affine scheme: `codes` is a U8 tensor holding `rows × columns` codes of `grid.bits` bits each,
/// packed densely in row-major element order, least significant bit first (element `i` occupies
/// bits `[i·b, (i+1)·b)` of the little-endian bit stream — for 4 and 2 bits this is exactly
/// ONNX's raw-data packing).
///
/// Lattice scheme: `columns` is a multiple of 8; `codes` is a U8 tensor of `rows · columns / 8`
/// blocks of `codebook.bytesPerBlock` bytes, block `(r, j)` (weights `8j ..< 8j+8` of row `r`) at
/// byte `(r · columns/8 + j) · bytesPerBlock`; `scales` is F32 `[1]`, the factor every decoded
/// value is multiplied by; no zero points.
///
/// Decoding lives in QZooQuant; this type only holds and validates.
public struct QuantizedTensor: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var scheme: QuantizationScheme
    /// Packed codes, U8 (layout per scheme, above).
    public var codes: Tensor
    /// F32 scales: shape `grid.granularity.scaleShape(rows:columns:)`, or `[1]` for a lattice.
    public var scales: Tensor
    /// U8 integer zero points, same shape as `scales`; nil for symmetric grids and lattices.
    public var zeroPoints: Tensor?
    public var transforms: [WeightTransform]
    /// The dtype of the float weight this was made from (restored by `--dequantize`).
    public var sourceDType: DType

    /// Validates every shape against the others; the only way to make a `QuantizedTensor`, so
    /// readers and quantizers cannot produce an inconsistent one.
    public init(rows: Int, columns: Int, grid: AffineGrid, codes: Tensor, scales: Tensor, zeroPoints: Tensor?,
                transforms: [WeightTransform] = [], sourceDType: DType = .f32) throws {
        try Self.validate(rows: rows, columns: columns, grid: grid)
        guard let codeBytes = Self.packedByteCount(count: rows * columns, bits: grid.bits),
              codes.dtype == .u8, codes.shape == [codeBytes] else {
            throw QZooError.malformed("codes must be U8 of shape [\(Self.packedByteCount(count: rows * columns, bits: grid.bits) ?? -1)], got \(codes.dtype.rawValue) \(codes.shape)")
        }
        let scaleShape = grid.granularity.scaleShape(rows: rows, columns: columns)
        guard scales.dtype == .f32, scales.shape == scaleShape else {
            throw QZooError.malformed("scales must be F32 of shape \(scaleShape), got \(scales.dtype.rawValue) \(scales.shape)")
        }
        if grid.symmetric {
            guard zeroPoints == nil else { throw QZooError.malformed("a symmetric grid stores no zero points") }
        } else {
            guard let zeroPoints, zeroPoints.dtype == .u8, zeroPoints.shape == scaleShape else {
                throw QZooError.malformed("zero points must be U8 of shape \(scaleShape)")
            }
        }
        try Self.validate(transforms, rows: rows, columns: columns)
        self.rows = rows
        self.columns = columns
        self.scheme = .affine(grid)
        self.codes = codes
        self.scales = scales
        self.zeroPoints = zeroPoints
        self.transforms = transforms
        self.sourceDType = sourceDType
    }

    /// A lattice-coded weight (see the type's documentation for the layout).
    public init(rows: Int, columns: Int, lattice codebook: LatticeCodebook, codes: Tensor, scale: Tensor,
                transforms: [WeightTransform] = [], sourceDType: DType = .f32) throws {
        guard rows > 0, columns > 0, columns % LatticeCodebook.blockWidth == 0,
              let blocks = CheckedMath.multiply(rows, columns / LatticeCodebook.blockWidth),
              let codeBytes = CheckedMath.multiply(blocks, codebook.bytesPerBlock) else {
            throw QZooError.malformed("a \(codebook.rawValue) weight needs positive rows and a multiple of 8 columns, got [\(rows), \(columns)]")
        }
        guard codes.dtype == .u8, codes.shape == [codeBytes] else {
            throw QZooError.malformed("codes must be U8 of shape [\(codeBytes)], got \(codes.dtype.rawValue) \(codes.shape)")
        }
        guard scale.dtype == .f32, scale.shape == [1] else {
            throw QZooError.malformed("a lattice scale must be F32 of shape [1], got \(scale.dtype.rawValue) \(scale.shape)")
        }
        try Self.validate(transforms, rows: rows, columns: columns)
        self.rows = rows
        self.columns = columns
        self.scheme = .lattice(codebook)
        self.codes = codes
        self.scales = scale
        self.zeroPoints = nil
        self.transforms = transforms
        self.sourceDType = sourceDType
    }

    /// The affine grid; nil for a lattice-coded weight.
    public var grid: AffineGrid? {
        if case .affine(let grid) = scheme { return grid }
        return nil
    }

    /// The lattice codebook; nil for an affine weight.
    public var codebook: LatticeCodebook? {
        if case .lattice(let codebook) = scheme { return codebook }
        return nil
    }

    static func validate(rows: Int, columns: Int, grid: AffineGrid) throws {
        guard (1...8).contains(grid.bits) else { throw QZooError.malformed("bits must be 1...8, got \(grid.bits)") }
        guard rows > 0, columns > 0, CheckedMath.multiply(rows, columns) != nil else {
            throw QZooError.malformed("weight shape [\(rows), \(columns)] is empty or too large")
        }
        if case .group(let size) = grid.granularity, size < 1 {
            throw QZooError.malformed("group size must be positive, got \(size)")
        }
    }

    /// The same codes with `transforms` instead, validated like every other field (a quantizer
    /// records a scale that was applied before it saw the weight).
    public func withTransforms(_ transforms: [WeightTransform]) throws -> QuantizedTensor {
        try Self.validate(transforms, rows: rows, columns: columns)
        var copy = self
        copy.transforms = transforms
        return copy
    }

    static func validate(_ transforms: [WeightTransform], rows: Int, columns: Int) throws {
        for transform in transforms {
            switch transform {
            case .columnPermutation(let permutation):
                guard permutation.dtype == .i32, permutation.shape == [columns] else {
                    throw QZooError.malformed("column permutation must be I32 of shape [\(columns)]")
                }
                var seen = [Bool](repeating: false, count: columns)
                for value in permutation.withBytes({ Array($0.bindMemory(to: Int32.self)) }) {
                    let index = Int(Int32(littleEndian: value))
                    guard index >= 0, index < columns, !seen[index] else {
                        throw QZooError.malformed("column permutation is not a permutation of 0..<\(columns)")
                    }
                    seen[index] = true
                }
            case .inputScale(let scale):
                guard scale.dtype == .f32, scale.shape == [columns] else {
                    throw QZooError.malformed("input scale must be F32 of shape [\(columns)]")
                }
            case .randomizedHadamard(let signs):
                try validateHadamardSigns(signs, rows: rows, columns: columns)
            }
        }
    }

    /// Sizes with a Hadamard transform, and ±1 signs for each row then each column.
    static func validateHadamardSigns(_ signs: Tensor, rows: Int, columns: Int) throws {
        guard let count = CheckedMath.add(rows, columns), signs.dtype == .i8, signs.shape == [count] else {
            throw QZooError.malformed("randomized Hadamard signs must be I8 of shape [\(rows) + \(columns)]")
        }
        for size in [rows, columns] where HadamardFactor.of(size: size) == nil {
            throw QZooError.malformed("randomized Hadamard on size \(size), which has no Hadamard transform (2^k or K·2^k, K in \(HadamardFactor.orders.sorted()))")
        }
        guard signs.bytes.allSatisfy({ $0 == 1 || $0 == 0xFF }) else {
            throw QZooError.malformed("randomized Hadamard signs must all be +1 or −1")
        }
    }

    /// Bytes needed to pack `count` codes of `bits` bits, or nil on overflow.
    public static func packedByteCount(count: Int, bits: Int) -> Int? {
        guard let totalBits = CheckedMath.multiply(count, bits) else { return nil }
        return totalBits / 8 + (totalBits % 8 == 0 ? 0 : 1)
    }

    /// Storage bits per weight including scales and zero points (what `inspect` reports).
    public var bitsPerWeight: Double {
        let stored = codes.byteCount + scales.byteCount + (zeroPoints?.byteCount ?? 0)
        return Double(stored * 8) / Double(rows * columns)
    }
}
