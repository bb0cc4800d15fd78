import QZooCore

/// Safety limits for reading `.npz` archives, whose members are decompressed into memory.
///
/// A zip can declare or inflate to far more than its own size (a zip bomb), so the reader caps
/// the number of members and the total declared uncompressed size before allocating, and refuses
/// a member whose data inflates beyond the size its header declares.
public struct NpzLimits: Sendable {
    /// At most this many members (numpy writes one per array; 100k is far above any checkpoint).
    public var maxMembers: Int
    /// At most this many uncompressed bytes in total (64 GiB by default: npz members are loaded
    /// into memory, so larger checkpoints belong in safetensors, which is memory-mapped).
    public var maxTotalBytes: Int

    public init(maxMembers: Int = 100_000, maxTotalBytes: Int = 64 << 30) {
        self.maxMembers = maxMembers
        self.maxTotalBytes = maxTotalBytes
    }
}

/// `.npz` archives as `numpy.savez` / `savez_compressed` write them: a zip with one `key.npy`
/// member per array. Member `a/b.npy` is tensor `a/b` (numpy keeps slashes in keys).
///
/// Reading accepts stored and deflated members with or without Zip64 (numpy always writes Zip64
/// extra fields), in archive order. Writing produces stored members like `np.savez`, in checkpoint
/// order, with fixed metadata so the same checkpoint always gives the same bytes; see `NpzWriter`.
/// Checkpoint metadata has no place in an npz and is not written.
public enum NpzArchive {
    public static func read(path: String, voidDType: DType?) throws -> Checkpoint {
        try read(path: path, voidDType: voidDType, limits: NpzLimits())
    }

    public static func read(path: String, voidDType: DType?, limits: NpzLimits) throws -> Checkpoint {
        do {
            return try NpzReader.read(path: path, voidDType: voidDType, limits: limits)
        } catch let error as QZooError {
            throw error.inFile(path)
        }
    }

    public static func write(_ checkpoint: Checkpoint, to path: String, overwrite: Bool) throws {
        do {
            try NpzWriter.write(checkpoint, to: path, overwrite: overwrite)
        } catch let error as QZooError {
            throw error.inFile(path)
        }
    }
}
