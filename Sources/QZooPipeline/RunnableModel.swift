import QZooCore
import QZooFormats
import QZooModels

extension RunnableBert {
    /// The BERT model a pipeline state describes: the architecture from its `config.json` side
    /// file, the tokenizer from the files beside it (side files always share one directory: the
    /// model's, or a cache entry's `side/`). Quantized tensors are dequantized for the forward.
    static func of(_ state: PipelineState, checkpoint: Checkpoint, stage: String) throws -> (RunnableBert, Checkpoint) {
        guard let config = state.sideFiles.first(where: { $0.name == "config.json" }) else {
            throw QZooError(.unsupported, "stage '\(stage)': running the model needs its config.json next to the weights (qzoo runs BERT encoders)")
        }
        let directory = AtomicFile.parentDirectory(of: config.path)
        let dense = try checkpoint.dequantized()
        let architecture = try BertArchitecture(config: try BertConfig.load(path: config.path), checkpoint: dense)
        try architecture.validate(dense)
        return (RunnableBert(architecture: architecture, tokenizer: try WordPieceTokenizer.load(directory: directory)), dense)
    }
}
