import QZooCore

/// Where one array of a tensor lives in the data region, and what it holds.
public struct QPackSection: Sendable, Equatable {
    public var dtype: DType
    public var shape: [Int]
    /// Byte offset from the start of the data region; a multiple of 64.
    public var offset: Int
    /// Byte length; equals the shape's element count times the dtype's size.
    public var length: Int
    /// Lowercase hex SHA-256 of the section's bytes.
    public var sha256: String
}

/// One entry of the index: a dense tensor (with the pending input scale of a scaled weight, if
/// any), an affine-quantized or a lattice-coded weight.
public enum QPackRecord: Sendable, Equatable {
    case dense(name: String, data: QPackSection, inputScale: QPackSection?)
    case affine(QPackAffineRecord)
    case lattice(QPackLatticeRecord)

    public var name: String {
        switch self {
        case .dense(let name, _, _): return name
        case .affine(let record): return record.name
        case .lattice(let record): return record.name
        }
    }

    /// The record's sections in the order the data region stores them, each with the label
    /// errors use for it.
    public var sections: [(label: String, section: QPackSection)] {
        switch self {
        case .dense(_, let data, let scale): return [("data", data)] + (scale.map { [("input_scale", $0)] } ?? [])
        case .affine(let record): return record.sections
        case .lattice(let record): return record.sections
        }
    }
}

/// An affine-quantized weight: grid, logical shape and the sections of its arrays.
public struct QPackAffineRecord: Sendable, Equatable {
    public var name: String
    public var rows: Int
    public var columns: Int
    public var grid: AffineGrid
    public var sourceDType: DType
    public var codes: QPackSection
    public var scales: QPackSection
    public var zeroPoints: QPackSection?
    public var transforms: [QPackTransformRecord]

    var sections: [(label: String, section: QPackSection)] {
        var list: [(label: String, section: QPackSection)] = [("codes", codes), ("scales", scales)]
        if let zeroPoints { list.append(("zero_points", zeroPoints)) }
        for (index, transform) in transforms.enumerated() {
            list.append(("transforms[\(index)] (\(transform.kind.rawValue))", transform.data))
        }
        return list
    }
}

/// A lattice-coded weight (QuIP#): codebook, logical shape and the sections of its arrays.
public struct QPackLatticeRecord: Sendable, Equatable {
    public var name: String
    public var rows: Int
    public var columns: Int
    public var codebook: LatticeCodebook
    public var sourceDType: DType
    public var codes: QPackSection
    public var scale: QPackSection
    public var transforms: [QPackTransformRecord]

    var sections: [(label: String, section: QPackSection)] {
        [("codes", codes), ("scales", scale)] + transforms.enumerated().map { index, transform in
            ("transforms[\(index)] (\(transform.kind.rawValue))", transform.data)
        }
    }
}

/// A weight transform and the section holding its vector.
public struct QPackTransformRecord: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case columnPermutation = "column_permutation"
        case inputScale = "input_scale"
        case randomizedHadamard = "randomized_hadamard"
    }

    public var kind: Kind
    public var data: QPackSection

    /// The dtype and shape `data` must have for a `[rows, columns]` weight.
    func expectedSection(rows: Int, columns: Int) -> (dtype: DType, shape: [Int]) {
        switch kind {
        case .columnPermutation: return (.i32, [columns])
        case .inputScale: return (.f32, [columns])
        case .randomizedHadamard: return (.i8, [rows + columns])
        }
    }
}
