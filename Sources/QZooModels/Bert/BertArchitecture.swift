import QZooCore

/// The architecture adapter for BERT encoders in Hugging Face layout.
///
/// It names every tensor the forward pass reads, lists the linear layers that quantization
/// passes may touch and the scale groups that tie them together, and checks a checkpoint
/// against the config before anything is allocated. Names carry an optional `bert.` prefix
/// (checkpoints saved from `BertFor...` heads) so that calibration keys match the file.
/// The pooler (`pooler.dense`) is not listed: sentence embeddings (mean pooling) never run it,
/// so it has no calibration statistics and evaluation cannot see its effect.
public struct BertArchitecture: Sendable, Equatable {
    public var config: BertConfig
    /// "" or "bert.": prepended to every tensor name.
    public var prefix: String

    public init(config: BertConfig, prefix: String = "") {
        self.config = config
        self.prefix = prefix
    }

    /// The adapter for `checkpoint`, detecting the name prefix from its word embeddings.
    public init(config: BertConfig, checkpoint: Checkpoint) throws {
        let candidates = ["", "bert."]
        guard let found = candidates.first(where: { checkpoint.contains($0 + "embeddings.word_embeddings.weight") }) else {
            throw QZooError.malformed("not a BERT checkpoint: no embeddings.word_embeddings.weight (with or without a 'bert.' prefix)")
        }
        self.init(config: config, prefix: found)
    }

    /// The tensor-name prefix of encoder layer `index`.
    public func layerPrefix(_ index: Int) -> String { "\(prefix)encoder.layer.\(index)." }

    /// The six linear layers of each encoder layer, in execution order.
    public var linearLayers: [LinearLayer] {
        (0..<config.layerCount).flatMap { layerLinears($0) }
    }

    public func layerLinears(_ index: Int) -> [LinearLayer] {
        let base = layerPrefix(index)
        let (h, i) = (config.hiddenSize, config.intermediateSize)
        let shapes: [(String, Int, Int)] = [
            ("attention.self.query", h, h), ("attention.self.key", h, h), ("attention.self.value", h, h),
            ("attention.output.dense", h, h), ("intermediate.dense", h, i), ("output.dense", i, h),
        ]
        return shapes.map { LinearLayer(name: base + $0.0 + ".weight", biasName: base + $0.0 + ".bias", inFeatures: $0.1, outFeatures: $0.2) }
    }

    /// The four scale groups of each encoder layer, in execution order.
    ///
    /// In post-LayerNorm BERT a LayerNorm's output also feeds the residual stream, so scaling
    /// it would change the residual: LayerNorm groups are not foldable. The value projection's
    /// output reaches `attention.output.dense` only through per-head weighted averages (linear
    /// in V), so that group folds. GELU is not linear, so the FFN group does not fold.
    public var scaleGroups: [ScaleGroup] {
        (0..<config.layerCount).flatMap { index -> [ScaleGroup] in
            let base = layerPrefix(index)
            let linears = layerLinears(index).map(\.name)
            let inputNorm = index == 0 ? "\(prefix)embeddings.LayerNorm" : "\(layerPrefix(index - 1))output.LayerNorm"
            let (h, i) = (config.hiddenSize, config.intermediateSize)
            return [
                ScaleGroup(producer: .layerNorm(inputNorm), consumers: Array(linears[0...2]), inFeatures: h, foldable: false),
                ScaleGroup(producer: .linear(linears[2]), consumers: [linears[3]], inFeatures: h, foldable: true),
                ScaleGroup(producer: .layerNorm(base + "attention.output.LayerNorm"), consumers: [linears[4]], inFeatures: h, foldable: false),
                ScaleGroup(producer: .activation("gelu", after: linears[4]), consumers: [linears[5]], inFeatures: i, foldable: false),
            ]
        }
    }

    /// Every tensor the forward pass reads, with its expected shape.
    public var requiredTensors: [(name: String, shape: [Int])] {
        let (h, c) = (config.hiddenSize, config)
        var list: [(String, [Int])] = [
            (prefix + "embeddings.word_embeddings.weight", [c.vocabSize, h]),
            (prefix + "embeddings.position_embeddings.weight", [c.maxPositions, h]),
            (prefix + "embeddings.token_type_embeddings.weight", [c.typeVocabSize, h]),
            (prefix + "embeddings.LayerNorm.weight", [h]), (prefix + "embeddings.LayerNorm.bias", [h]),
        ]
        for index in 0..<c.layerCount {
            for linear in layerLinears(index) {
                list.append((linear.name, [linear.outFeatures, linear.inFeatures]))
                list.append((linear.biasName, [linear.outFeatures]))
            }
            for norm in ["attention.output.LayerNorm", "output.LayerNorm"] {
                list.append((layerPrefix(index) + norm + ".weight", [h]))
                list.append((layerPrefix(index) + norm + ".bias", [h]))
            }
        }
        return list
    }

    /// Checks that `checkpoint` has every required tensor, dense, floating-point and of the
    /// shape the config implies; the error names the first offending tensor.
    public func validate(_ checkpoint: Checkpoint) throws {
        for (name, shape) in requiredTensors {
            guard let tensor = checkpoint.tensors[name] else {
                if checkpoint.quantized[name] != nil {
                    throw QZooError.unsupported("is quantized; dequantize the checkpoint before running the model", tensor: name)
                }
                throw QZooError.malformed("missing (the config describes \(config.layerCount) layers of width \(config.hiddenSize))", tensor: name)
            }
            guard tensor.dtype.isFloatingPoint else {
                throw QZooError.malformed("has dtype \(tensor.dtype.rawValue); expected a floating-point type", tensor: name)
            }
            guard tensor.shape == shape else {
                throw QZooError.malformed("has shape \(tensor.shape); config.json implies \(shape)", tensor: name)
            }
        }
    }
}

extension Checkpoint {
    /// Whether a dense or quantized entry is called `name`.
    func contains(_ name: String) -> Bool { tensors[name] != nil || quantized[name] != nil }
}
