import QZooCore

/// A single `.npy` file: a checkpoint with one tensor, named after the file's base name without
/// `.npy` (numpy has no other place for a name).
///
/// Little-endian C-order arrays are not copied: the tensor views the memory map. Checkpoint
/// metadata has no place in a `.npy` file and is not written. bfloat16 and float8 tensors are
/// written as numpy writes ml_dtypes arrays, with the void descrs `<V2` and `<V1`; reading them
/// back needs `voidDType` (`--npy-dtype`), since the file does not record what the bytes mean.
public enum NpyFile {
    public static func readCheckpoint(path: String, voidDType: DType?) throws -> Checkpoint {
        let name = tensorName(forFile: path)
        var checkpoint = Checkpoint()
        try checkpoint.add(name, try readTensor(path: path, voidDType: voidDType))
        return checkpoint
    }

    public static func readTensor(path: String, voidDType: DType?) throws -> Tensor {
        do {
            return try readTensor(storage: try ByteStorage.map(path: path), voidDType: voidDType)
        } catch let error as QZooError {
            throw error.inFile(path)
        }
    }

    /// Reads the `.npy` array that fills `storage` exactly (also the entry point for fuzzing the
    /// whole read path on in-memory bytes).
    public static func readTensor(storage: ByteStorage, voidDType: DType?) throws -> Tensor {
        try NpyArrayDecoder.tensor(from: storage, voidDType: voidDType)
    }

    /// Writes the checkpoint's only tensor; a `.npy` file cannot hold more or fewer.
    public static func writeCheckpoint(_ checkpoint: Checkpoint, to path: String, overwrite: Bool) throws {
        guard checkpoint.tensors.count == 1, let tensor = checkpoint.tensors.values.first else {
            throw QZooError(.invalidArgument, "a .npy file holds exactly one array but the checkpoint has \(checkpoint.tensors.count) tensors; write npz or npy-dir instead", file: path)
        }
        try write(tensor, to: path, overwrite: overwrite)
    }

    /// Writes one tensor exactly as `numpy.save` writes the same array.
    public static func write(_ tensor: Tensor, to path: String, overwrite: Bool) throws {
        try AtomicFile.write(to: path, overwrite: overwrite) { sink in
            try sink.write(NpyHeaderEncoder.header(dtype: tensor.dtype, shape: tensor.shape))
            try tensor.withBytes { try sink.write($0) }
        }
    }

    /// The base name of `path` without a `.npy` extension.
    static func tensorName(forFile path: String) -> String {
        let base = path.split(separator: "/").last.map(String.init) ?? path
        return base.hasSuffix(".npy") && base.count > 4 ? String(base.dropLast(4)) : base
    }
}
