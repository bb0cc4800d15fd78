import QZooCore

/// Turns the bytes of one `.npy` array (a file or an `.npz` member) into a tensor.
enum NpyArrayDecoder {
    /// Validates header and size, then returns a tensor that views `storage` when the data is
    /// already little-endian C order (no copy), or owned, reordered bytes otherwise.
    ///
    /// The data must fill the rest of `storage` exactly. numpy's reader ignores trailing bytes,
    /// but numpy's writers never produce them, so they mean a truncated header edit, a corrupt
    /// file or a hidden payload: qzoo rejects them.
    static func tensor(from storage: ByteStorage, voidDType: DType?) throws -> Tensor {
        let header = try storage.withBuffer { try NpyHeader.parse($0) }
        let dtype = try header.descr.resolve(voidDType: voidDType)
        let available = storage.count - header.dataOffset
        let needed = header.dataByteCount
        guard available >= needed else {
            throw QZooError.malformed("array data is \(available) bytes but shape \(header.shape) of \(dtype.rawValue) needs \(needed) (truncated file?)")
        }
        guard available == needed else {
            throw QZooError.malformed("\(available - needed) bytes follow the \(needed) bytes of array data; numpy never writes trailing data, so the file is corrupt or carries a hidden payload")
        }
        let swap: Bool
        if case .numeric(_, let bigEndian) = header.descr { swap = bigEndian } else { swap = false }
        guard NpyReorder.needsCopy(shape: header.shape, fortranOrder: header.fortranOrder, swapBytes: swap) else {
            return try Tensor(dtype: dtype, shape: header.shape, storage: storage, offset: header.dataOffset)
        }
        let reordered = ByteStorage.make(count: needed) { out in
            guard let source = storage.base, let destination = out.baseAddress else { return }
            NpyReorder.copy(from: source + header.dataOffset, shape: header.shape, width: dtype.byteSize,
                            fortranOrder: header.fortranOrder, swapBytes: swap, into: destination)
        }
        return try Tensor(dtype: dtype, shape: header.shape, storage: reordered)
    }
}
