import QZooCore

/// Reads a qpack file into a `Checkpoint` whose tensors view the memory map in place.
///
/// Everything is validated before the checkpoint is returned: the index (`QPackIndex.parse`),
/// then every section's SHA-256 — before any value check, so a flipped data byte is always
/// reported as a checksum mismatch naming the tensor and section — then the values.
public enum QPackReader {
    public static func read(path: String) throws -> Checkpoint {
        do {
            return try read(storage: try ByteStorage.map(path: path))
        } catch let error as QZooError {
            throw error.inFile(path)
        }
    }

    public static func read(storage: ByteStorage) throws -> Checkpoint {
        let index = try QPackIndex.parse(storage.buffer)
        try verifyChecksums(index, storage.buffer)
        var checkpoint = Checkpoint(metadata: index.metadata, activations: index.activations)
        for record in index.records {
            do {
                switch record {
                case .dense(let name, let data, let scale):
                    try checkpoint.add(name, try tensor(data, index, storage))
                    if let scale { checkpoint.inputScales[name] = try tensor(scale, index, storage) }
                case .affine(let affine):
                    let weight = try quantized(affine, index, storage)
                    try weight.validateStoredValues()
                    try checkpoint.add(affine.name, weight)
                case .lattice(let lattice):
                    let weight = try QuantizedTensor(
                        rows: lattice.rows, columns: lattice.columns, lattice: lattice.codebook,
                        codes: try tensor(lattice.codes, index, storage), scale: try tensor(lattice.scale, index, storage),
                        transforms: try transforms(lattice.transforms, index, storage), sourceDType: lattice.sourceDType)
                    try weight.validateStoredValues()
                    try checkpoint.add(lattice.name, weight)
                }
            } catch let error as QZooError {
                throw error.inTensor(record.name)
            }
        }
        try checkpoint.validateActivationSide()
        return checkpoint
    }

    static func verifyChecksums(_ index: QPackIndex, _ file: UnsafeRawBufferPointer) throws {
        for record in index.records {
            for (label, section) in record.sections {
                let start = index.dataStart + section.offset
                let bytes = UnsafeRawBufferPointer(rebasing: file[start..<(start + section.length)])
                guard SHA256Digest.hex(bytes) == section.sha256 else {
                    throw QZooError(.checksumMismatch, "checksum mismatch in \(label): its bytes do not match the SHA-256 in the index (the file is corrupt)", tensor: record.name)
                }
            }
        }
    }

    static func tensor(_ section: QPackSection, _ index: QPackIndex, _ storage: ByteStorage) throws -> Tensor {
        try Tensor(dtype: section.dtype, shape: section.shape, storage: storage, offset: index.dataStart + section.offset)
    }

    static func transforms(_ records: [QPackTransformRecord], _ index: QPackIndex, _ storage: ByteStorage) throws -> [WeightTransform] {
        try records.map { transform -> WeightTransform in
            let data = try tensor(transform.data, index, storage)
            switch transform.kind {
            case .columnPermutation: return .columnPermutation(data)
            case .inputScale: return .inputScale(data)
            case .randomizedHadamard: return .randomizedHadamard(data)
            }
        }
    }

    static func quantized(_ record: QPackAffineRecord, _ index: QPackIndex, _ storage: ByteStorage) throws -> QuantizedTensor {
        try QuantizedTensor(
            rows: record.rows, columns: record.columns, grid: record.grid,
            codes: try tensor(record.codes, index, storage), scales: try tensor(record.scales, index, storage),
            zeroPoints: try record.zeroPoints.map { try tensor($0, index, storage) },
            transforms: try transforms(record.transforms, index, storage), sourceDType: record.sourceDType)
    }
}
