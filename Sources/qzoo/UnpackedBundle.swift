import Foundation
import QZooCore
import QZooFormats

/// A bundle unpacked (and verified) into a temporary directory for the life of a command, so
/// `eval`, `embed` and `quantize` can run a bundle's model with the config and tokenizer files
/// it carries. The directory is removed when the last reference goes away.
final class UnpackedBundle {
    let directory: String

    static func isBundle(_ path: String) -> Bool { path.hasSuffix(".tar.zst") }

    init(bundle path: String) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("qzoo-bundle-\(UUID().uuidString)").path
        _ = try BundleExtractor.extract(path: path, to: root)
        directory = root
    }

    deinit { AtomicFile.removeTree(directory) }

    /// The model file inside: the qpack export if there is one, else a QDQ JSON, else dense
    /// safetensors (the exports a pipeline can put in a bundle, most compact first).
    func modelFile(bundle path: String) throws -> String {
        let names = try listDirectory(directory)
        let preferred = names.first { $0.hasSuffix(".qpack") }
            ?? names.first { $0.hasSuffix(".qdq.json") }
            ?? names.first { $0.hasSuffix(".safetensors") && !$0.hasSuffix(".dense.safetensors") }
        guard let file = preferred else {
            throw QZooError(.unsupported, "the bundle holds no .qpack, .qdq.json or .safetensors model", file: path)
        }
        return directory + "/" + file
    }
}
