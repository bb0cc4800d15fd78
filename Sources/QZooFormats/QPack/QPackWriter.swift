import QZooCore
import QZooMath

/// Writes a `Checkpoint` (dense and quantized entries, metadata) as a qpack file.
///
/// Deterministic: dense tensors then quantized weights, each in checkpoint order; the index is
/// canonical JSON; every section starts at the next 64-byte boundary after the previous one and
/// the gaps are zero. The same checkpoint therefore always gives the same bytes. Atomic through
/// `AtomicFile`.
///
/// Where each section goes depends on the sizes alone (a digest in the index is always 64 hex
/// digits), so the sections are written at their offsets while the other core takes their
/// SHA-256 digests, and the index, which lists the digests, is written last at the front:
/// hashing a checkpoint (MiniLM's 47 MB embedding table alone takes tens of milliseconds) no
/// longer comes before writing it.
public enum QPackWriter {
    public static func write(_ checkpoint: Checkpoint, to path: String, overwrite: Bool) throws {
        let layout = try QPackPlan(checkpoint, digests: nil)
        try AtomicFile.write(to: path, overwrite: overwrite) { sink in
            let writer = sink.positional
            let (digests, _) = try parallelPair({ layout.sections.map { SHA256Digest.hex($0.1) } },
                                                { try writeSections(layout, writer) })
            let plan = try QPackPlan(checkpoint, digests: digests)
            guard plan.index.dataStart == layout.index.dataStart, plan.sections.map({ $0.0.offset }) == layout.sections.map({ $0.0.offset }) else {
                throw QZooError(.invalidArgument, "the qpack index changed length once its digests were filled in", file: path)
            }
            let indexBytes = plan.index.encoded()
            let head = preamble(indexBytes) + indexBytes + zeros(plan.index.dataStart - QPackLayout.preambleSize - indexBytes.count)
            try head.withUnsafeBytes { try writer.write($0, at: 0) }
        }
    }

    /// Every section's bytes at its offset in the data region (the gaps stay zero).
    private static func writeSections(_ plan: QPackPlan, _ writer: PositionalWriter) throws {
        for (section, tensor) in plan.sections {
            try tensor.withBytes { try writer.write($0, at: plan.index.dataStart + section.offset) }
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

    /// The SHA-256 of each section in the order they are placed; nil: a placeholder of the same
    /// length (`QPackWriter` lays the file out first and fills the digests in after).
    private let digests: [String]?

    init(_ checkpoint: Checkpoint, digests: [String]?) throws {
        self.digests = digests
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
        let digest = digests.flatMap { sections.count < $0.count ? $0[sections.count] : nil } ?? String(repeating: "0", count: 64)
        let section = QPackSection(dtype: tensor.dtype, shape: tensor.shape, offset: offset, length: tensor.byteCount, sha256: digest)
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
