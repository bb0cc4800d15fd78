#if canImport(Glibc)
import Glibc
#endif
import QZooCore
import QZooFormats
import QZooPipeline
import QZooTestSupport

enum Fixtures {
    /// A tiny model folder: two linear layers, a bias and an embedding table in model.safetensors,
    /// plus config.json. `seed` changes the weights.
    static func model(in directory: String, seed: Float = 1) throws -> String {
        let path = directory + "/model"
        try Directories.make(path)
        var checkpoint = Checkpoint()
        let values = { (count: Int, offset: Float) in (0 ..< count).map { sin(Float($0) * 0.37 * seed + offset) } }
        try checkpoint.add("encoder.layer.0.dense.weight", Tensor(shape: [8, 16], floats: values(128, 0)))
        try checkpoint.add("encoder.layer.0.dense.bias", Tensor(shape: [8], floats: values(8, 1)))
        try checkpoint.add("encoder.layer.1.dense.weight", Tensor(shape: [4, 8], floats: values(32, 2)))
        try checkpoint.add("embeddings.word_embeddings.weight", Tensor(shape: [10, 4], floats: values(40, 3)))
        try CheckpointIO.write(checkpoint, to: path + "/model.safetensors", format: .safetensors)
        try write("{\"model_type\": \"tiny\"}\n", to: path + "/config.json")
        return path
    }

    static func write(_ text: String, to path: String) throws {
        try AtomicFile.write(to: path, overwrite: true) { try $0.write(Array(text.utf8)) }
    }

    static func read(_ path: String) throws -> [UInt8] {
        try ByteStorage.map(path: path).withBuffer { Array($0) }
    }

    /// Runs `yaml` on `model`, with outputs and cache in `root`.
    static func run(_ yaml: String, model: String, root: String, jobs: Int = 2, registry: PassRegistry = .standard,
                    out: String? = nil) throws -> RunReport {
        let pipeline = try Pipeline.parse(text: yaml, file: "test.yaml", registry: registry)
        let context = RunContext(model: try ModelSource(path: model), modelName: "tiny", pipelineName: pipeline.name, pipelineText: pipeline.text)
        let options = RunOptions(cacheDirectory: root + "/cache", outDirectory: out ?? root + "/out", jobs: jobs, force: true)
        return try PipelineRunner.run(pipeline, context: context, options: options)
    }
}

enum Directories {
    static func make(_ path: String) throws {
        guard mkdir(path, 0o755) == 0 else { throw QZooError.io("mkdir failed: \(errnoText())", file: path) }
    }
}

extension RunReport {
    func status(_ id: String) -> StageStatus? { stages.first { $0.id == id }?.status }
    func outcome(_ id: String) -> StageOutcome? { stages.first { $0.id == id } }
}
