import QZooCore

/// Writes a `QDQDocument` as `NAME.qdq.json` + `NAME.qdq.bin` + `NAME.dense.safetensors`.
///
/// Each file is written atomically; the sidecars go first and the JSON last, and the JSON
/// carries the SHA-256 of the raw data of every weight and of the dense companion, so a reader
/// never mistakes a half-replaced set for a valid one. Output is deterministic: weights in
/// checkpoint order, raw data 64-byte aligned with zero padding, canonical JSON.
public enum QDQJSONWriter {
    public static func write(_ document: QDQDocument, to path: String, overwrite: Bool) throws {
        let names = try QDQFileNames(jsonPath: path)
        let binPath = names.path(of: names.binName), densePath = names.path(of: names.denseName)
        for target in [path, binPath, densePath] { try AtomicFile.checkDestination(target, overwrite: overwrite) }
        for (name, weight) in document.checkpoint.quantized {
            do {
                try weight.validateStoredValues()
                _ = try weight.transforms.map { try QDQWeightRecord.postOp($0, weight) }
                if weight.grid == nil { throw QDQWeightRecord.notRepresentable(weight) }
            } catch let error as QZooError { throw error.inTensor(name).inFile(path) }
        }
        let records = try writeRawData(document.checkpoint, to: binPath, location: names.binName, overwrite: overwrite)
        try SafetensorsWriter.write(Checkpoint(tensors: document.checkpoint.tensors), to: densePath, overwrite: overwrite)
        let written = try ByteStorage.map(path: densePath)
        let denseDigest = withExtendedLifetime(written) { SHA256Digest.hex(written.buffer) }
        let envelope = QDQEnvelope(
            minimumOpset: QDQEnvelope.requiredOpset(weights: records, activations: document.activations),
            metadata: document.checkpoint.metadata, weights: records, activations: document.activations,
            dense: QDQDenseReference(location: names.denseName, sha256: denseDigest))
        try AtomicFile.write(to: path, overwrite: overwrite) { try $0.write(envelope.encoded()) }
    }

    /// Streams every weight's raw data into the sidecar and returns the records pointing at it.
    static func writeRawData(_ checkpoint: Checkpoint, to binPath: String, location: String, overwrite: Bool) throws -> [QDQWeightRecord] {
        var records: [QDQWeightRecord] = []
        try AtomicFile.write(to: binPath, overwrite: overwrite) { sink in
            for (name, weight) in checkpoint.quantized {
                try sink.write([UInt8](repeating: 0, count: (64 - sink.bytesWritten % 64) % 64))
                let (record, raw) = try QDQWeightRecord.make(name: name, weight: weight, location: location, offset: sink.bytesWritten)
                try sink.write(raw)
                records.append(record)
            }
        }
        return records
    }
}
