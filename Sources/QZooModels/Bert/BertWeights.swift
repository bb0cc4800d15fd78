import QZooCore
import QZooMath

/// A BERT encoder's parameters as contiguous arrays of `T`, ready for BLAS.
///
/// Built once from a validated checkpoint (any floating-point dtype is widened or narrowed to
/// `T`). The query, key and value projections are stacked into one `[3h, h]` matrix so that
/// each layer's attention input goes through a single, larger matrix product.
struct BertWeights<T: BLASScalar>: Sendable {
    struct Norm: Sendable {
        var gamma: [T]
        var beta: [T]
    }

    struct Dense: Sendable {
        /// Row-major `[out, in]`.
        var weight: [T]
        var bias: [T]
        var inFeatures: Int
        var outFeatures: Int
    }

    struct Layer: Sendable {
        var queryKeyValue: Dense
        var attentionOutput: Dense
        var attentionNorm: Norm
        var intermediate: Dense
        var output: Dense
        var outputNorm: Norm
    }

    var wordEmbeddings: [T]
    var positionEmbeddings: [T]
    var tokenTypeEmbeddings: [T]
    var embeddingNorm: Norm
    var layers: [Layer]

    init(architecture: BertArchitecture, checkpoint: Checkpoint) throws {
        try architecture.validate(checkpoint)
        let load = { (name: String) -> [T] in Self.values(checkpoint, name) }
        let p = architecture.prefix
        wordEmbeddings = load(p + "embeddings.word_embeddings.weight")
        positionEmbeddings = load(p + "embeddings.position_embeddings.weight")
        tokenTypeEmbeddings = load(p + "embeddings.token_type_embeddings.weight")
        embeddingNorm = Norm(gamma: load(p + "embeddings.LayerNorm.weight"), beta: load(p + "embeddings.LayerNorm.bias"))
        layers = (0..<architecture.config.layerCount).map { index in
            let linears = architecture.layerLinears(index)
            let dense = { (i: Int) in
                Dense(weight: load(linears[i].name), bias: load(linears[i].biasName),
                      inFeatures: linears[i].inFeatures, outFeatures: linears[i].outFeatures)
            }
            let norm = { (name: String) in
                Norm(gamma: load(architecture.layerPrefix(index) + name + ".weight"), beta: load(architecture.layerPrefix(index) + name + ".bias"))
            }
            let (q, k, v) = (dense(0), dense(1), dense(2))
            let stacked = Dense(weight: q.weight + k.weight + v.weight, bias: q.bias + k.bias + v.bias,
                                inFeatures: q.inFeatures, outFeatures: 3 * q.outFeatures)
            return Layer(queryKeyValue: stacked, attentionOutput: dense(3), attentionNorm: norm("attention.output.LayerNorm"),
                         intermediate: dense(4), output: dense(5), outputNorm: norm("output.LayerNorm"))
        }
    }

    /// The named tensor's values as `T` (validated present and floating-point beforehand).
    static func values(_ checkpoint: Checkpoint, _ name: String) -> [T] {
        let floats = checkpoint.tensors[name]?.floats() ?? []
        if T.self == Float.self, let same = floats as? [T] { return same }
        return floats.map { T($0) }
    }
}
