import QZooCore

/// Writes a `Checkpoint` (dense and quantized entries, metadata) as a qpack file.
///
/// Deterministic: dense tensors then quantized weights, each in checkpoint order; the index is
/// canonical JSON; every section starts at the next 64-byte boundary after the previous one and
/// the gaps are zero. The same checkpoint therefore always gives the same bytes. Atomic through
/// `AtomicFile`.
public enum QPackWriter {
    public static func write(_ checkpoint: Checkpoint, to path: String, overwrite: Bool) throws {
        let plan = try QPackPlan(checkpoint)
        let indexBytes = plan.index.encoded()
        try AtomicFile.write(to: path, overwrite: overwrite) { sink in
            try sink.write(preamble(indexBytes))
            try sink.write(indexBytes)
            try sink.write(zeros(plan.index.dataStart - QPackLayout.preambleSize - indexBytes.count))
            var cursor = 0
            for (section, tensor) in plan.sections {
                try sink.write(zeros(section.offset - cursor))
                try tensor.withBytes { try sink.write($0) }
                cursor = section.offset + section.length
            }
        }
    }

    static func preamble(_ index: [UInt8]) -> [UInt8] {
        var bytes = QPackLayout.magic
        withUnsafeBytes(of: QPackLayout.version.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: UInt64(index.count).littleEndian) { bytes += $0 }
        bytes += index.withUnsafeBytes { SHA256Digest.raw($0) }
        return bytes
    }

    static func zeros(_ count: Int) -> [UInt8] { [UInt8](repeating: 0, count: count) }
}

/// Where every section of a checkpoint goes: the index to write and the tensors in data order.
struct QPackPlan {
    var index: QPackIndex
    var sections: [(QPackSection, Tensor)] = []
    private var cursor = 0

    init(_ checkpoint: Checkpoint) throws {
        try checkpoint.validateActivationSide()
        index = QPackIndex(metadata: checkpoint.metadata, records: [], dataStart: 0, activations: checkpoint.activations)
        for (name, tensor) in checkpoint.tensors {
            let data = place(tensor)
            index.records.append(.dense(name: name, data: data, inputScale: checkpoint.inputScales[name].map { place($0) }))
        }
        for (name, weight) in checkpoint.quantized {
            do { try weight.validateStoredValues() } catch let error as QZooError { throw error.inTensor(name) }
            index.records.append(record(name, weight))
        }
        let indexLength = index.encoded().count
        guard indexLength <= QPackLayout.maxIndexLength, let start = QPackLayout.alignUp(QPackLayout.preambleSize + indexLength) else {
            throw QZooError(.limitExceeded, "the index would be \(indexLength) bytes, over the \(QPackLayout.maxIndexLength)-byte limit")
        }
        index.dataStart = start
    }

    private mutating func place(_ tensor: Tensor) -> QPackSection {
        // Sizes of tensors held in memory: the sum cannot approach Int.max.
        let offset = cursor + (QPackLayout.alignment - cursor % QPackLayout.alignment) % QPackLayout.alignment
        let section = QPackSection(dtype: tensor.dtype, shape: tensor.shape, offset: offset, length: tensor.byteCount, sha256: SHA256Digest.hex(tensor))
        sections.append((section, tensor))
        cursor = offset + tensor.byteCount
        return section
    }

    private mutating func record(_ name: String, _ weight: QuantizedTensor) -> QPackRecord {
        let codes = place(weight.codes)
        let scales = place(weight.scales)
        let zeros = weight.zeroPoints.map { place($0) }
        let transforms = weight.transforms.map { transform -> QPackTransformRecord in
            switch transform {
            case .columnPermutation(let data): return QPackTransformRecord(kind: .columnPermutation, data: place(data))
            case .inputScale(let data): return QPackTransformRecord(kind: .inputScale, data: place(data))
            case .randomizedHadamard(let data): return QPackTransformRecord(kind: .randomizedHadamard, data: place(data))
            }
        }
        switch weight.scheme {
        case .affine(let grid):
            return .affine(QPackAffineRecord(name: name, rows: weight.rows, columns: weight.columns, grid: grid, sourceDType: weight.sourceDType,
                                             codes: codes, scales: scales, zeroPoints: zeros, transforms: transforms))
        case .lattice(let codebook):
            return .lattice(QPackLatticeRecord(name: name, rows: weight.rows, columns: weight.columns, codebook: codebook,
                                               sourceDType: weight.sourceDType, codes: codes, scale: scales, transforms: transforms))
        }
    }
}
