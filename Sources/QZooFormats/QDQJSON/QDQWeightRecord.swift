import QZooCore

/// One quantized weight as QDQ JSON describes it: the inputs and attributes of an ONNX
/// DequantizeLinear node (`x`, `x_scale`, `x_zero_point`, `axis`, `block_size`), the ops that
/// undo qzoo's weight transforms after it, and qzoo's own extension fields.
///
/// This is the file's vocabulary, checked for ONNX consistency here; the mapping to and from
/// `QuantizedTensor` (which also needs the raw data) lives in `QDQWeightRecord+Quantized`.
struct QDQWeightRecord: Equatable {
    var name: String
    var minimumOpset: Int
    var elementType: ONNXElementType
    /// x's shape, `[rows, columns]`.
    var shape: [Int]
    var external: QDQExternalData
    var axis: Int?
    var blockSize: Int?
    var scaleShape: [Int]
    var scales: [Float]
    var zeroPoint: QDQZeroPoint?
    /// Applied to DequantizeLinear's output in order.
    var postOps: [QDQPostOp]
    /// `qzoo.bits`: the grid's width when narrower than the element type.
    var gridBits: Int?
    /// `qzoo.source_dtype`.
    var sourceDType: DType?
}

/// Where x's raw data lives, as ONNX external data says it: a file beside the JSON, a byte
/// offset and a length; plus an optional SHA-256 of those bytes.
struct QDQExternalData: Equatable {
    var location: String
    var offset: Int
    var length: Int
    var sha256: String?
}

/// `x_zero_point`: same element type as x and same shape as the scale.
struct QDQZeroPoint: Equatable {
    var elementType: ONNXElementType
    var shape: [Int]
    var values: [Int]
}

/// An ONNX op applied to the dequantized weight to undo one qzoo transform exactly.
enum QDQPostOp: Equatable {
    /// `Div(W, B)` with a FLOAT constant B of shape `[1, columns]`: undoes `inputScale`.
    case divide([Float])
    /// `Gather(W, indices, axis = 1)` with INT64 indices of shape `[columns]`: undoes a
    /// `columnPermutation` (the indices are its inverse).
    case gather([Int])

    var minimumOpset: Int {
        switch self {
        case .divide: return 7
        case .gather: return 1
        }
    }
}

extension QDQWeightRecord {
    var rows: Int { shape[0] }
    var columns: Int { shape[1] }

    /// The qzoo granularity this DequantizeLinear layout expresses, by ONNX's rules: the scale's
    /// shape decides (scalar or one element → per-tensor; 1-D → per-axis along `axis`, default 1;
    /// same rank as x with `block_size` > 0 → blocked along `axis`). Layouts qzoo grids cannot
    /// express (per-column scales, blocks along rows) are `unsupported`.
    func granularity() throws -> Granularity {
        let axis = try normalizedAxis()
        let block = blockSize ?? 0
        guard block >= 0 else { throw QZooError.malformed("block_size must not be negative, got \(block)") }
        if block == 0 {
            if scaleShape.isEmpty || scaleShape == [1] { return .perTensor }
            guard scaleShape.count == 1 else {
                throw QZooError.malformed("x_scale of shape \(scaleShape) needs block_size > 0 (blocked scales have x's rank); per-axis scales are 1-D")
            }
            guard axis == 0 else {
                throw QZooError.unsupported("per-axis scales along axis 1 (one per column) cannot be expressed by a qzoo grid, whose scales run per output row (axis 0)")
            }
            guard scaleShape[0] == rows else {
                throw QZooError.malformed("x_scale shape \(scaleShape) does not match x's \(rows) rows on axis 0")
            }
            return .perChannel
        }
        guard scaleShape.count == 2 else {
            throw QZooError.malformed("blocked quantization (block_size \(block)) needs an x_scale of x's rank 2, got shape \(scaleShape)")
        }
        guard axis == 1 else {
            throw QZooError.unsupported("blocks along axis 0 (rows) cannot be expressed by a qzoo grid, whose groups run along columns (axis 1)")
        }
        let blocks = (columns + block - 1) / block
        guard scaleShape == [rows, blocks] else {
            throw QZooError.malformed("block_size \(block) does not match the shapes: x \(shape) needs x_scale [\(rows), \(blocks)], got \(scaleShape)")
        }
        return .group(size: block)
    }

    /// `axis` in 0...1 (ONNX accepts −rank...rank−1; the default is 1).
    func normalizedAxis() throws -> Int {
        let value = axis ?? 1
        guard (-2...1).contains(value) else { throw QZooError.malformed("axis \(value) is outside -2...1 for a rank-2 x") }
        return value < 0 ? value + 2 : value
    }

    /// The lowest opset that has everything this record uses (formats/qdq-json.md §5).
    static func requiredOpset(_ type: ONNXElementType, _ granularity: Granularity, _ postOps: [QDQPostOp]) -> Int {
        let layout: Int
        switch granularity {
        case .perTensor: layout = 10
        case .perChannel: layout = 13
        case .group: layout = 21
        }
        return ([type.minimumOpset, layout] + postOps.map(\.minimumOpset)).max() ?? layout
    }
}
