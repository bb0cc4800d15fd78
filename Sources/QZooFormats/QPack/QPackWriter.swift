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
/// digits), so the sections are written at their offsets while one core takes their SHA-256
/// digests, and the index, which lists the digests, is written last at the front: hashing a
/// checkpoint (MiniLM's 47 MB embedding table alone takes tens of milliseconds) no longer comes
/// before writing it. The sections go out in pieces of at most `pieceSize` bytes that any core
/// takes as it comes free, the one that hashed included: copying into freshly allocated page
/// cache is slow where the kernel's new pages are (on a virtual machine whose host backs memory
/// on first touch, a single writer took three times as long as the digests), and two writers
/// share it.
public enum QPackWriter {
    /// The largest piece of a section one write call takes.
    static let pieceSize = 2 << 20

    public static func write(_ checkpoint: Checkpoint, to path: String, overwrite: Bool) throws {
        let layout = try QPackPlan(checkpoint, digests: nil)
        try AtomicFile.write(to: path, overwrite: overwrite) { sink in
            try sink.withMapping(size: layout.fileSize) { file in
                let pieces = layout.pieces(of: pieceSize)
                // Job 0 hashes every section; job i > 0 copies piece i − 1. The jobs are taken in
                // order, so hashing starts first and the core that finishes it joins the copying.
                let jobs = try parallelMap(count: pieces.count + 1) { job -> [String] in
                    guard job > 0 else { return layout.sections.map { SHA256Digest.hex($0.1) } }
                    try layout.write(pieces[job - 1], file)
                    return []
                }
                let plan = try QPackPlan(checkpoint, digests: jobs[0])
                guard plan.index.dataStart == layout.index.dataStart, plan.sections.map({ $0.0.offset }) == layout.sections.map({ $0.0.offset }) else {
                    throw QZooError(.invalidArgument, "the qpack index changed length once its digests were filled in", file: path)
                }
                let indexBytes = plan.index.encoded()
                let head = preamble(indexBytes) + indexBytes + zeros(plan.index.dataStart - QPackLayout.preambleSize - indexBytes.count)
                try head.withUnsafeBytes { try file.write($0, at: 0) }
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

    /// One write of a section's bytes: `bytes` of section `section`, in the file at `offset`.
    struct Piece {
        let section: Int
        let bytes: Range<Int>
        let offset: Int
    }

    /// Every section's bytes cut into pieces of at most `size` bytes, in file order (an empty
    /// section has none; the gaps between sections stay zero).
    func pieces(of size: Int) -> [Piece] {
        sections.indices.flatMap { position in
            let (section, tensor) = sections[position]
            return stride(from: 0, to: tensor.byteCount, by: size).map { start in
                Piece(section: position, bytes: start ..< min(start + size, tensor.byteCount), offset: index.dataStart + section.offset + start)
            }
        }
    }

    /// Copies `piece` into `file`.
    func write(_ piece: Piece, _ file: MappedOutput) throws {
        try sections[piece.section].1.withBytes { raw in
            try file.write(UnsafeRawBufferPointer(rebasing: raw[piece.bytes]), at: piece.offset)
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
