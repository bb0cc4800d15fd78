import Foundation
import QZooCore
import QZooFormats
import QZooModels
import QZooQuant

/// A model named on the command line, read and made ready to run.
///
/// MODEL is a Hugging Face directory (config.json, model.safetensors or a sharded index,
/// tokenizer.json or vocab.txt), a checkpoint file with config.json beside it, or a `.tar.zst`
/// bundle (unpacked to a temporary directory; its config and tokenizer files are used). Quantized
/// entries are dequantized on load, so the same forward pass evaluates any qzoo output; a model
/// with activation quantization (W8A8) keeps its explicit input scales, and the forward pass
/// simulates its activation quantization.
struct ModelInput {
    let path: String
    /// Where config.json and the tokenizer files are looked up.
    let directory: String
    var checkpoint: Checkpoint
    let architecture: BertArchitecture
    /// Keeps an unpacked bundle's files (tokenizer, config) alive while the model is in use.
    var bundle: UnpackedBundle?

    /// Reads `path`. Without a config.json beside it, `fallbackConfig` is used when given
    /// (a bare weights file evaluated against a reference with the same architecture).
    static func load(_ path: String, fallbackConfig: BertConfig? = nil) throws -> ModelInput {
        guard !UnpackedBundle.isBundle(path) else {
            let bundle = try UnpackedBundle(bundle: path)
            var input = try load(try bundle.modelFile(bundle: path), fallbackConfig: fallbackConfig)
            input.bundle = bundle
            return input
        }
        let directory = try directory(of: path)
        let (read, _) = try CheckpointIO.read(path: path)
        let checkpoint: Checkpoint
        do {
            // With activation quantization the forward pass must see the weights in the basis the
            // runtime multiplies (input scales explicit) to simulate the export exactly.
            checkpoint = read.activations.isEmpty ? try read.dequantized() : try read.dequantizedKeepingInputScales()
        } catch let error as QZooError { throw error.inFile(path) }
        let configPath = directory + "/config.json"
        let config: BertConfig
        if FileManager.default.fileExists(atPath: configPath) {
            config = try BertConfig.load(path: configPath)
        } else if let fallbackConfig {
            Terminal.note("note: no config.json beside \(path); using the reference model's")
            config = fallbackConfig
        } else {
            throw QZooError.io("no config.json beside the model; qzoo needs the Hugging Face config to run it", file: configPath)
        }
        do {
            let architecture = try BertArchitecture(config: config, checkpoint: checkpoint)
            try architecture.validate(checkpoint)
            return ModelInput(path: path, directory: directory, checkpoint: checkpoint, architecture: architecture)
        } catch let error as QZooError {
            throw error.inFile(path)
        }
    }

    /// `path` itself when it is a directory, else the directory holding it.
    static func directory(of path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw QZooError.io("no such file or directory", file: path)
        }
        return isDirectory.boolValue ? path : URL(fileURLWithPath: path).deletingLastPathComponent().path
    }

    func tokenizer() throws -> WordPieceTokenizer {
        try WordPieceTokenizer.load(directory: directory)
    }

    func encoder(_ precision: BertEncoder.Precision = .float32) throws -> BertEncoder {
        do { return try BertEncoder(architecture: architecture, checkpoint: checkpoint, precision: precision) } catch let error as QZooError {
            throw error.inFile(path)
        }
    }
}
