#if canImport(Glibc)
import Glibc
#endif
import QZooCore
import QZooFormats

/// The model a run starts from: the path given to `--model` and the files it consists of, with
/// their SHA-256 (the root of every cache key and the "inputs" of every bundle manifest).
///
/// For a directory: every regular, non-hidden file at its top level (weights, config, tokenizer).
/// For a file: the file, plus the side files a model directory conventionally holds next to it.
public struct ModelSource: Sendable {
    /// Files that describe a model without being weights; bundles carry them along.
    public static let sideFileNames: Set<String> = [
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "vocab.txt", "vocab.json", "merges.txt", "tokenizer.model", "sentencepiece.bpe.model", "added_tokens.json",
        "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json", "README.md", "LICENSE",
    ]

    public struct File: Sendable, Equatable {
        public var name: String
        public var path: String
        public var sha256: String
        public var size: Int
    }

    public var path: String
    public var files: [File]

    public var sideFiles: [NamedFile] {
        files.filter { Self.sideFileNames.contains($0.name) }.map { NamedFile(name: $0.name, path: $0.path) }
    }

    public init(path: String) throws {
        self.path = path
        var info = stat()
        guard stat(path, &info) == 0 else { throw QZooError.io("cannot access the model: \(errnoText())", file: path) }
        var candidates: [(String, String)]
        if info.st_mode & S_IFMT == S_IFDIR {
            candidates = try listDirectory(path).filter { !$0.hasPrefix(".") }.map { ($0, path + "/" + $0) }
        } else {
            let directory = AtomicFile.parentDirectory(of: path)
            let name = String(path.split(separator: "/").last ?? Substring(path))
            candidates = [(name, path)]
            candidates += try listDirectory(directory).filter { Self.sideFileNames.contains($0) && $0 != name }.map { ($0, directory + "/" + $0) }
        }
        files = try candidates.filter { Self.isRegularFile($0.1) }.map { name, file in
            let storage = try ByteStorage.map(path: file)
            return File(name: name, path: file, sha256: storage.withBuffer { SHA256Digest.hex($0) }, size: storage.count)
        }
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }
}
