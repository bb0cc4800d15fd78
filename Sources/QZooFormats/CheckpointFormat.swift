#if canImport(Glibc)
import Glibc
#endif
import QZooCore

/// The checkpoint formats qzoo reads and writes, and how to tell them apart.
public enum CheckpointFormat: String, CaseIterable, Sendable {
    case safetensors
    /// A directory with `model.safetensors.index.json` and its shards.
    case shardedSafetensors = "sharded-safetensors"
    case npz
    /// A single `.npy` array (one tensor, named after the file).
    case npy
    /// A directory of `.npy` files, one tensor each.
    case npyDirectory = "npy-dir"
    /// qzoo's own container for quantized and dense tensors (formats/qpack.md).
    case qpack
    /// ONNX-style QDQ JSON plus its sidecar files (formats/qdq-json.md).
    case qdqJSON = "qdq-json"

    /// Whether the format can hold quantized weights; the others hold dense tensors only.
    public var holdsQuantized: Bool {
        self == .qpack || self == .qdqJSON
    }

    /// Detects the format of an existing path: directories by their contents, files by magic
    /// bytes first and extension second (a mislabelled file is read as what it is).
    public static func detect(path: String) throws -> CheckpointFormat {
        var info = stat()
        guard stat(path, &info) == 0 else { throw QZooError.io("cannot access: \(errnoText())", file: path) }
        if info.st_mode & S_IFMT == S_IFDIR { return try detectDirectory(path) }
        if path.hasSuffix(ShardedSafetensors.indexName) { return .shardedSafetensors }
        if path.hasSuffix(QDQFileNames.jsonSuffix) { return .qdqJSON }
        let magic = try readPrefix(path, count: 8)
        if magic.starts(with: QPackLayout.magic) { return .qpack }
        if magic.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) { return .npy }
        if magic.starts(with: [0x50, 0x4B, 0x03, 0x04]) || magic.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return .npz }
        if path.hasSuffix(".safetensors") || looksLikeSafetensors(path) {
            return .safetensors
        }
        throw QZooError.unsupported("unrecognised format (expected safetensors, .npy, .npz, a directory of them, .qpack or .qdq.json)", file: path)
    }

    static func looksLikeSafetensors(_ path: String) -> Bool {
        guard let prefix = try? readPrefix(path, count: 9), prefix.count == 9 else { return false }
        return prefix[8] == UInt8(ascii: "{")
    }

    static func detectDirectory(_ path: String) throws -> CheckpointFormat {
        let names = try listDirectory(path)
        if names.contains(ShardedSafetensors.indexName) { return .shardedSafetensors }
        if names.contains("model.safetensors") { return .safetensors }
        if NpyDirectory.containsArrays(path: path) { return .npyDirectory }
        throw QZooError.unsupported("directory holds no model.safetensors, \(ShardedSafetensors.indexName) or .npy files", file: path)
    }

    /// The format implied by an output path's extension, or nil when it implies none.
    public static func forOutput(path: String) -> CheckpointFormat? {
        if path.hasSuffix(".safetensors") { return .safetensors }
        if path.hasSuffix(".npz") { return .npz }
        if path.hasSuffix(".npy") { return .npy }
        if path.hasSuffix(".qpack") { return .qpack }
        if path.hasSuffix(QDQFileNames.jsonSuffix) { return .qdqJSON }
        return nil
    }
}

/// Reads up to `count` bytes from the start of a file.
func readPrefix(_ path: String, count: Int) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw QZooError.io("cannot open: \(errnoText())", file: path) }
    defer { close(fd) }
    var bytes = [UInt8](repeating: 0, count: count)
    let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, count) }
    guard n >= 0 else { throw QZooError.io("cannot read: \(errnoText())", file: path) }
    return Array(bytes.prefix(n))
}

/// The entries of a directory (without `.` and `..`), sorted by bytes.
public func listDirectory(_ path: String) throws -> [String] {
    guard let dir = opendir(path) else { throw QZooError.io("cannot list directory: \(errnoText())", file: path) }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
}
