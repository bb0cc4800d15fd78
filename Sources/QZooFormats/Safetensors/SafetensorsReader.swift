import QZooCore

/// Reads a single `.safetensors` file into a `Checkpoint` whose tensors view the memory map.
public enum SafetensorsReader {
    public static func read(path: String) throws -> Checkpoint {
        do {
            let storage = try ByteStorage.map(path: path)
            return try read(storage: storage)
        } catch let error as QZooError {
            throw error.inFile(path)
        }
    }

    /// Parses and validates `storage` completely before creating any tensor.
    public static func read(storage: ByteStorage) throws -> Checkpoint {
        let header = try storage.withBuffer { try SafetensorsHeader.parse($0) }
        var checkpoint = Checkpoint(metadata: header.metadata)
        for entry in header.entries {
            let tensor = try Tensor(dtype: entry.dtype, shape: entry.shape, storage: storage, offset: header.dataStart + entry.begin)
            try checkpoint.add(entry.name, tensor)
        }
        return checkpoint
    }
}
