import QZooCore

/// Round-to-nearest quantization: every weight goes independently to the nearest level of its
/// run's grid, with the run's range fitted from its own min/max (optionally clip-searched).
///
/// The baseline every other method is measured against, and exact for 8 bits in practice.
public struct RTNQuantizer: WeightQuantizer {
    public let grid: AffineGrid
    public let clipSearch: ClipSearch?

    public init(grid: AffineGrid, clipSearch: ClipSearch? = nil) throws {
        guard (1...8).contains(grid.bits) else {
            throw QZooError(.invalidArgument, "bits must be 1...8, got \(grid.bits)")
        }
        if case .group(let size) = grid.granularity, size < 1 {
            throw QZooError(.invalidArgument, "group size must be positive, got \(size)")
        }
        self.grid = grid
        self.clipSearch = clipSearch
    }

    public func quantize(_ weight: Tensor) throws -> QuantizedTensor {
        let (rows, columns) = try weight.weightMatrixShape()
        let values = weight.floats()
        try checkFiniteWeight(values, columns: columns)
        let runs = ScaleRuns(rows: rows, columns: columns, granularity: grid.granularity)
        var scales = [Float](repeating: 0, count: runs.count)
        var zeroPoints = [UInt8](repeating: 0, count: runs.count)
        var codes = [UInt8](repeating: 0, count: values.count)
        try values.withUnsafeBufferPointer { source in
            try codes.withUnsafeMutableBufferPointer { codeBuffer in
                guard let codeBase = codeBuffer.baseAddress else { return }
                try runs.forEach { index, start, length in
                    let run = UnsafeBufferPointer(rebasing: source[start ..< start + length])
                    let parameters = try fit(run)
                    scales[index] = parameters.scale
                    zeroPoints[index] = UInt8(parameters.zeroPoint)
                    parameters.encode(run, maxCode: grid.maxCode, into: codeBase + start)
                }
            }
        }
        return try assemble(rows: rows, columns: columns, codes: codes, scales: scales, zeroPoints: zeroPoints, sourceDType: weight.dtype)
    }

    /// The parameters of one run: min/max fit, or the best clip-search candidate.
    func fit(_ run: UnsafeBufferPointer<Float>) throws -> AffineParameters {
        let range = QuantizationRange(of: run, symmetric: grid.symmetric)
        if let clipSearch {
            return try clipSearch.parameters(for: run, range: range, grid: grid)
        }
        return try AffineParameters(fitting: range, grid: grid)
    }

    private func assemble(rows: Int, columns: Int, codes: [UInt8], scales: [Float], zeroPoints: [UInt8],
                          sourceDType: DType) throws -> QuantizedTensor {
        let packed = BitPacking.pack(codes, bits: grid.bits)
        let scaleShape = grid.granularity.scaleShape(rows: rows, columns: columns)
        return try QuantizedTensor(
            rows: rows, columns: columns, grid: grid,
            codes: Tensor(dtype: .u8, shape: [packed.count], bytes: packed),
            scales: Tensor(shape: scaleShape, floats: scales),
            zeroPoints: grid.symmetric ? nil : Tensor(dtype: .u8, shape: scaleShape, bytes: zeroPoints),
            sourceDType: sourceDType)
    }
}
