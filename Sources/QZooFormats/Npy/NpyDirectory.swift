#if canImport(Glibc)
import Glibc
#endif
import QZooCore

/// A directory of `.npy` files, one tensor each, as `numpy.save(f"{name}.npy", array)` makes.
///
/// Tensor names with `/` become nested folders (`encoder/w` ↔ `encoder/w.npy`), mirroring how
/// numpy keeps slashes in npz keys, so npz and npy-dir convert into each other losslessly. That is
/// safe because every name goes through `NpyMemberPath` (no absolute paths, no `..` or empty
/// components) and the directory is built in a temporary sibling before being renamed into place.
/// Names whose components start with `.` are refused on write because the reader skips hidden
/// entries (editor and tool droppings, qzoo's own temporaries).
///
/// Reading walks real subdirectories (not symlinked ones, so a link cannot make it loop), takes
/// every `*.npy` file, ignores other files (a folder may also hold a README or config.json), and
/// returns tensors sorted by name (byte order), so the result does not depend on the file system.
public enum NpyDirectory {
    public static func read(path: String, voidDType: DType?) throws -> Checkpoint {
        var found: [(name: String, file: String)] = []
        try collect(directory: path, prefix: "", into: &found)
        found.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        var checkpoint = Checkpoint()
        for (name, file) in found {
            do {
                try checkpoint.add(name, try NpyFile.readTensor(path: file, voidDType: voidDType))
            } catch let error as QZooError {
                throw error.inTensor(name)
            }
        }
        return checkpoint
    }

    /// Appends the `.npy` files under `directory` with their tensor names (`prefix` + relative path).
    static func collect(directory: String, prefix: String, into found: inout [(name: String, file: String)]) throws {
        for entry in try listDirectory(directory) where !entry.hasPrefix(".") {
            let full = directory + "/" + entry
            var info = stat()
            guard lstat(full, &info) == 0 else { throw QZooError.io("cannot access: \(errnoText())", file: full) }
            if info.st_mode & S_IFMT == S_IFDIR {
                try collect(directory: full, prefix: prefix + entry + "/", into: &found)
            } else if entry.hasSuffix(NpyMemberPath.suffix) {
                found.append((prefix + String(entry.dropLast(NpyMemberPath.suffix.count)), full))
            }
        }
    }

    /// Writes one `name.npy` per tensor into a new directory at `path`, atomically.
    public static func write(_ checkpoint: Checkpoint, to path: String, overwrite: Bool) throws {
        let files = try checkpoint.tensors.keys.map { name in
            let file = try NpyMemberPath.path(forTensor: name)
            guard !file.split(separator: "/").contains(where: { $0.hasPrefix(".") }) else {
                throw QZooError(.invalidArgument, "cannot store this tensor in a directory: a path component starts with '.', which readers treat as hidden", tensor: name)
            }
            return file
        }
        try AtomicFile.writeDirectory(at: path, overwrite: overwrite) { temporary in
            for (file, tensor) in zip(files, checkpoint.tensors.values) {
                do {
                    try makeParents(of: file, under: temporary)
                    try NpyFile.write(tensor, to: temporary + "/" + file, overwrite: false)
                } catch var error as QZooError {
                    error.file = path + "/" + file
                    throw error
                }
            }
        }
    }

    /// Whether `path` holds any `.npy` file at any depth (how format detection recognises a
    /// directory whose tensors all live in subfolders).
    public static func containsArrays(path: String) -> Bool {
        var found: [(name: String, file: String)] = []
        return (try? collect(directory: path, prefix: "", into: &found)) != nil && !found.isEmpty
    }

    /// Creates the folders leading to the relative path `file` inside `root`.
    static func makeParents(of file: String, under root: String) throws {
        var current = root
        for component in file.split(separator: "/").dropLast() {
            current += "/" + component
            var info = stat()
            if lstat(current, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR { continue }
            guard mkdir(current, 0o755) == 0 else {
                throw QZooError.io("cannot create folder '\(component)': \(errnoText())")
            }
        }
    }
}
