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
/// digits), so the file's chunks (`ChunkedOutput`) are written while one core takes the
/// sections' SHA-256 digests, and the chunks that hold the index, which lists the digests, are
/// written last: hashing a checkpoint (MiniLM's 47 MB embedding table alone takes tens of
/// milliseconds) no longer comes before writing it. Any core takes the next chunk as it comes
/// free, the one that hashed included.
public enum QPackWriter {
    public static func write(_ checkpoint: Checkpoint, to path: String, overwrite: Bool) throws {
        let layout = try QPackPlan(checkpoint, digests: nil)
        try AtomicFile.write(to: path, overwrite: overwrite) { sink in
            try sink.withChunks(size: layout.fileSize) { file in
                let headChunks = min(ChunkedOutput.chunks(holding: layout.index.dataStart), file.chunkCount)
                // Job 0 hashes every section; job i > 0 writes the i-th chunk after the index's.
                // The jobs are taken in order, so hashing starts first and the core that finishes
                // it joins the writing.
                let jobs = try parallelMap(count: file.chunkCount - headChunks + 1) { job -> [String] in
                    guard job > 0 else { return layout.sections.map { SHA256Digest.hex($0.1) } }
                    try file.write(chunk: headChunks + job - 1) { layout.copySections($0, into: $1) }
                    return []
                }
                let plan = try QPackPlan(checkpoint, digests: jobs[0])
                guard plan.index.dataStart == layout.index.dataStart, plan.sections.map({ $0.0.offset }) == layout.sections.map({ $0.0.offset }) else {
                    throw QZooError(.invalidArgument, "the qpack index changed length once its digests were filled in", file: path)
                }
                let indexBytes = plan.index.encoded()
                let head = preamble(indexBytes) + indexBytes
                for chunk in 0 ..< headChunks {
                    try file.write(chunk: chunk) { range, buffer in
                        head.withUnsafeBytes { ChunkedOutput.place($0, at: 0, in: range, buffer) }
                        plan.copySections(range, into: buffer)
                    }
                }
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

    /// Copies the sections' bytes that fall within the file's bytes `range` into `buffer`,
    /// which holds that range (the gaps between sections are left as they are: zero).
    func copySections(_ range: Range<Int>, into buffer: UnsafeMutableRawBufferPointer) {
        for (section, tensor) in sections {
            let start = index.dataStart + section.offset
            guard start < range.upperBound, start + section.length > range.lowerBound else { continue }
            tensor.withBytes { ChunkedOutput.place($0, at: start, in: range, buffer) }
        }
    }

    /// The file's length: the index region, then the data up to the end of the last section.
    var fileSize: Int { index.dataStart + cursor }

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
