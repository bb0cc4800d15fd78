import QZooCore

/// Reads a QDQ JSON file and its sidecars into a `QDQDocument`.
///
/// Validation happens before any weight is built: the JSON strictly (unknown fields, types,
/// shapes, ranges, opsets), then every raw-data span (length from x's shape and type, inside its
/// file, no two overlapping, SHA-256 when given), then the values of each weight.
public enum QDQJSONReader {
    /// Largest JSON file accepted (scales are inline, so it grows with the model).
    static let maxJSONLength = 1 << 30

    public static func read(path: String) throws -> QDQDocument {
        do {
            return try readDocument(path: path)
        } catch let error as QZooError {
            throw error.inFile(path)
        }
    }

    /// Parses and validates the JSON document alone (no sidecars): everything a reader checks
    /// before touching raw data. Public so a fuzz target can drive it.
    public static func validateDocument(_ bytes: UnsafeRawBufferPointer) throws {
        _ = try parseEnvelope(bytes)
    }

    static func parseEnvelope(_ bytes: UnsafeRawBufferPointer) throws -> QDQEnvelope {
        let json: JSONValue
        do { json = try JSONParser.parse(bytes) } catch let error as QZooError {
            throw QZooError.malformed("QDQ JSON: \(error.message)")
        }
        let envelope = try QDQEnvelope.decode(json)
        for record in envelope.weights {
            do { _ = try record.grid() } catch let error as QZooError { throw error.inTensor(record.name) }
        }
        return envelope
    }

    static func readDocument(path: String) throws -> QDQDocument {
        let storage = try ByteStorage.map(path: path)
        guard storage.count <= maxJSONLength else {
            throw QZooError(.limitExceeded, "QDQ JSON is \(storage.count) bytes, over the \(maxJSONLength)-byte limit")
        }
        let envelope = try storage.withBuffer { try parseEnvelope($0) }
        let directory = AtomicFile.parentDirectory(of: path)
        let sidecars = try QDQSidecars(records: envelope.weights, directory: directory)
        var checkpoint = Checkpoint(metadata: envelope.metadata)
        // The raw buffers point into the sidecars' maps, which must outlive every use.
        try withExtendedLifetime(sidecars) {
            for record in envelope.weights {
                do {
                    let weight = try record.quantizedTensor(raw: try sidecars.rawData(of: record))
                    try weight.validateStoredValues()
                    try checkpoint.add(record.name, weight)
                } catch let error as QZooError {
                    throw error.inTensor(record.name)
                }
            }
        }
        if let dense = envelope.dense { try addDense(dense, directory: directory, to: &checkpoint) }
        return QDQDocument(checkpoint: checkpoint, activations: envelope.activations)
    }

    static func addDense(_ reference: QDQDenseReference, directory: String, to checkpoint: inout Checkpoint) throws {
        let path = directory + "/" + reference.location
        let storage = try ByteStorage.map(path: path)
        if let digest = reference.sha256, SHA256Digest.hex(storage.buffer) != digest {
            throw QZooError(.checksumMismatch, "dense companion \(reference.location) does not match the sha256 in the JSON")
        }
        let dense: Checkpoint
        do { dense = try SafetensorsReader.read(storage: storage) } catch let error as QZooError { throw error.inFile(path) }
        for (name, tensor) in dense.tensors { try checkpoint.add(name, tensor) }
    }
}

/// The raw-data files a QDQ JSON names, mapped once each, with every span validated.
struct QDQSidecars {
    private var files: [String: ByteStorage] = [:]

    /// Maps each referenced file and checks every record's span: length matching x's shape
    /// and type, inside the file, not overlapping another span, then matching its SHA-256.
    init(records: [QDQWeightRecord], directory: String) throws {
        var spans: [String: [(start: Int, end: Int, name: String)]] = [:]
        for record in records {
            do {
                let storage = try file(record.external.location, directory: directory)
                let end = try Self.checkSpan(record, fileSize: storage.count)
                spans[record.external.location, default: []].append((record.external.offset, end, record.name))
            } catch let error as QZooError {
                throw error.inTensor(record.name)
            }
        }
        for location in spans.keys.sorted() { try Self.checkOverlaps(spans[location] ?? [], location) }
        for record in records {
            guard let digest = record.external.sha256 else { continue }
            guard SHA256Digest.hex(try rawData(of: record)) == digest else {
                throw QZooError(.checksumMismatch, "raw data in \(record.external.location) does not match x.external_data.sha256 (the sidecar is corrupt or from another write)", tensor: record.name)
            }
        }
    }

    private mutating func file(_ location: String, directory: String) throws -> ByteStorage {
        if let storage = files[location] { return storage }
        let storage = try ByteStorage.map(path: directory + "/" + location)
        files[location] = storage
        return storage
    }

    /// The span's end offset, after checking its length and bounds.
    static func checkSpan(_ record: QDQWeightRecord, fileSize: Int) throws -> Int {
        let external = record.external
        guard let expected = QuantizedTensor.packedByteCount(count: record.rows * record.columns, bits: record.elementType.bits) else {
            throw QZooError.malformed("x shape \(record.shape) overflows")
        }
        guard external.length == expected else {
            throw QZooError.malformed("x.external_data length \(external.length) does not match x's shape \(record.shape) of \(record.elementType.rawValue) (\(expected) bytes)")
        }
        guard let end = CheckedMath.add(external.offset, external.length), end <= fileSize else {
            throw QZooError.malformed("x.external_data offset \(external.offset) + length \(external.length) runs past the end of \(external.location) (\(fileSize) bytes)")
        }
        return end
    }

    static func checkOverlaps(_ spans: [(start: Int, end: Int, name: String)], _ location: String) throws {
        let sorted = spans.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.start < previous.end {
            throw QZooError.malformed("raw data of tensors '\(previous.name)' and '\(next.name)' overlap in \(location)", tensor: next.name)
        }
    }

    /// The record's raw bytes, valid only while `self` lives (callers extend its lifetime);
    /// the span was validated by `init`.
    func rawData(of record: QDQWeightRecord) throws -> UnsafeRawBufferPointer {
        guard let storage = files[record.external.location] else {
            throw QZooError.malformed("raw data file \(record.external.location) was not mapped")
        }
        let start = record.external.offset
        return UnsafeRawBufferPointer(rebasing: storage.buffer[start..<(start + record.external.length)])
    }
}
