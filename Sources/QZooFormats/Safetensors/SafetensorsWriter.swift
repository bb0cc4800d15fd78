import QZooCore

/// Writes a `Checkpoint` as one `.safetensors` file, byte-identical to the reference writer.
///
/// The reference (`safetensors` Rust `prepare`, used by Python `save_file`) orders tensors by dtype
/// alignment descending, then name, writes `__metadata__` first and pads the header with spaces to
/// a multiple of 8. qzoo does the same, but sorts metadata keys, so its output is deterministic
/// even where the reference's (hash-map ordered) output is not.
public enum SafetensorsWriter {
    public static func write(_ checkpoint: Checkpoint, to path: String, overwrite: Bool) throws {
        let ordered = orderedNames(checkpoint)
        let header = headerBytes(checkpoint, order: ordered)
        try AtomicFile.write(to: path, overwrite: overwrite) { sink in
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try sink.write($0) }
            try header.withUnsafeBytes { try sink.write($0) }
            for name in ordered {
                guard let tensor = checkpoint.tensors[name] else { continue }
                try tensor.withBytes { try sink.write($0) }
            }
        }
    }

    /// Tensor names in the reference writer's data order.
    static func orderedNames(_ checkpoint: Checkpoint) -> [String] {
        checkpoint.tensors.sorted { lhs, rhs in
            let (a, b) = (SafetensorsDType.rank(lhs.value.dtype), SafetensorsDType.rank(rhs.value.dtype))
            if a != b { return a > b }
            return Array(lhs.key.utf8).lexicographicallyPrecedes(Array(rhs.key.utf8))
        }.map(\.key)
    }

    /// The header JSON, space-padded so that its length is a multiple of 8.
    static func headerBytes(_ checkpoint: Checkpoint, order: [String]) -> [UInt8] {
        var members: [(key: String, value: JSONValue)] = []
        if !checkpoint.metadata.isEmpty {
            let sorted = checkpoint.metadata.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            members.append(("__metadata__", .object(sorted.map { (key: $0.key, value: .string($0.value)) })))
        }
        var offset = 0
        for name in order {
            guard let tensor = checkpoint.tensors[name] else { continue }
            let entry: JSONValue = .object([
                ("dtype", .string(tensor.dtype.rawValue)),
                ("shape", .array(tensor.shape.map { .int($0) })),
                ("data_offsets", .array([.int(offset), .int(offset + tensor.byteCount)])),
            ])
            members.append((name, entry))
            offset += tensor.byteCount
        }
        var bytes = Array(JSONWriter.serialize(.object(members), keys: .preserve).utf8)
        while bytes.count % 8 != 0 { bytes.append(0x20) }
        return bytes
    }
}
