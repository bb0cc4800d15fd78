import QZooCore

// Interfaces the NumPy formats provide; the implementations land in this folder.
public enum NpyFile {
    public static func readCheckpoint(path: String, voidDType: DType?) throws -> Checkpoint {
        throw QZooError.unsupported("npy reading is not implemented yet", file: path)
    }
    public static func writeCheckpoint(_ checkpoint: Checkpoint, to path: String, overwrite: Bool) throws {
        throw QZooError.unsupported("npy writing is not implemented yet", file: path)
    }
}

public enum NpzArchive {
    public static func read(path: String, voidDType: DType?) throws -> Checkpoint {
        throw QZooError.unsupported("npz reading is not implemented yet", file: path)
    }
    public static func write(_ checkpoint: Checkpoint, to path: String, overwrite: Bool) throws {
        throw QZooError.unsupported("npz writing is not implemented yet", file: path)
    }
}

public enum NpyDirectory {
    public static func read(path: String, voidDType: DType?) throws -> Checkpoint {
        throw QZooError.unsupported("npy-dir reading is not implemented yet", file: path)
    }
    public static func write(_ checkpoint: Checkpoint, to path: String, overwrite: Bool) throws {
        throw QZooError.unsupported("npy-dir writing is not implemented yet", file: path)
    }
}
