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
        /// Row-major `[out, in]`; empty once rounded for bfloat16 products (`bfloat16`).
        var weight: [T]
        var bias: [T]
        var inFeatures: Int
        var outFeatures: Int
        /// The weight rounded for `BFloat16Product.linear`, when the forward pass multiplies
        /// in bfloat16 (float32 weights only).
        var bfloat16: BFloat16Product.LinearWeight?

        /// Rounds `weight` to bfloat16 for the linear product and drops the float32 copy: the
        /// forward pass reads only the rounded one, and a replacement is rounded straight into its
        /// rows (`replace`). Kept, the copies were a sixth of a QuIP# run's peak memory (43 MB on
        /// MiniLM), every page of it first touched and later freed at a cost on this kind of VM.
        mutating func roundToBFloat16() throws {
            guard let floats = weight as? [Float] else {
                throw QZooError(.invalidArgument, "bfloat16 linear products need float32 weights, not \(T.self)")
            }
            bfloat16 = try floats.withUnsafeBufferPointer {
                try BFloat16Product.linearWeight($0, outFeatures: outFeatures, inFeatures: inFeatures)
            }
            weight = []
        }
    }

    /// What happens to a scale group's input before its linears read it: the explicit
    /// per-channel multiply `1/s` of the consumers' input scale, then activation quantization.
    struct GroupInput: Sendable {
        var multiplier: [T]?
        var activation: ActivationQuantization?

        var isIdentity: Bool { multiplier == nil && activation == nil }
    }

    struct Layer: Sendable {
        /// One per scale group of the layer, in `BertArchitecture.scaleGroups` order.
        var inputs: [GroupInput]
        var queryKeyValue: Dense
        var attentionOutput: Dense
        var attentionNorm: Norm
        var intermediate: Dense
        var output: Dense
        var outputNorm: Norm
    }

    var wordEmbeddings: EmbeddingTable
    var positionEmbeddings: [T]
    var tokenTypeEmbeddings: [T]
    var embeddingNorm: Norm
    var layers: [Layer]

    init(architecture: BertArchitecture, checkpoint: Checkpoint) throws {
        try architecture.validate(checkpoint)
        let load = { @Sendable (name: String) -> [T] in Self.values(checkpoint, name) }
        let p = architecture.prefix
        wordEmbeddings = try EmbeddingTable(checkpoint, p + "embeddings.word_embeddings.weight", width: architecture.config.hiddenSize)
        positionEmbeddings = load(p + "embeddings.position_embeddings.weight")
        tokenTypeEmbeddings = load(p + "embeddings.token_type_embeddings.weight")
        embeddingNorm = Norm(gamma: load(p + "embeddings.LayerNorm.weight"), beta: load(p + "embeddings.LayerNorm.bias"))
        let inputs = try architecture.scaleGroups.map { try Self.groupInput($0, checkpoint) }
        layers = try parallelMap(count: architecture.config.layerCount) { index in
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
            return Layer(inputs: inputs[index * 4 ..< (index + 1) * 4].map { $0 }, queryKeyValue: stacked, attentionOutput: dense(3), attentionNorm: norm("attention.output.LayerNorm"),
                         intermediate: dense(4), output: dense(5), outputNorm: norm("output.LayerNorm"))
        }
    }

    /// Every linear layer's weight rounded for bfloat16 products (`Dense.bfloat16`).
    mutating func roundLinearsToBFloat16() throws {
        layers = try parallelMap(count: layers.count) { [layers] index in
            var layer = layers[index]
            for field in [\Layer.queryKeyValue, \.attentionOutput, \.intermediate, \.output] {
                try layer[keyPath: field].roundToBFloat16()
            }
            return layer
        }
    }

    /// The group's input treatment; its consumers must agree (one input feeds them all).
    static func groupInput(_ group: ScaleGroup, _ checkpoint: Checkpoint) throws -> GroupInput {
        let scales = group.consumers.map { checkpoint.inputScales[$0]?.floats() }
        let activations = group.consumers.map { checkpoint.activations[$0] }
        guard Set(scales.map { $0.map { $0.map(\.bitPattern) } }).count == 1, Set(activations).count == 1 else {
            throw QZooError.unsupported("the linears reading one input (\(group.consumers.joined(separator: ", "))) carry different input scales or activation quantization",
                                        tensor: group.consumers.first)
        }
        let multiplier = group.consumers.first.flatMap { checkpoint.inputScales[$0] }.map(WeightTransform.inputMultiplier)
        return GroupInput(multiplier: multiplier.map { $0.map { T($0) } }, activation: activations.first ?? nil)
    }

    /// The named tensor's values as `T` (validated present and floating-point beforehand).
    static func values(_ checkpoint: Checkpoint, _ name: String) -> [T] {
        let floats = checkpoint.tensors[name]?.floats() ?? []
        if T.self == Float.self, let same = floats as? [T] { return same }
        return floats.map { T($0) }
    }
}

extension BertWeights {
    /// Replaces `field` (`\.weight`, row-major `[out, in]`, or `\.bias`) of linear `position`
    /// of layer `index` (0…5 in `BertArchitecture.layerLinears` order) with `values` of the
    /// checkpoint's shape; query, key and value are their thirds of the stacked matrix. A weight
    /// kept rounded for bfloat16 products gets the values rounded into its rows.
    mutating func replace(_ field: WritableKeyPath<Dense, [T]>, ofLinear position: Int, layer index: Int, values: [T]) throws {
        if field == \Dense.weight, layers[index][keyPath: Self.dense(position)].bfloat16 != nil {
            return try replaceRounded(ofLinear: position, layer: index, values: values)
        }
        switch position {
        case 0...2:
            let offset = position * values.count
            layers[index].queryKeyValue[keyPath: field].replaceSubrange(offset ..< offset + values.count, with: values)
        default: layers[index][keyPath: Self.dense(position)][keyPath: field] = values
        }
    }

    /// `values` (float32) rounded into the rows of linear `position`'s bfloat16 weight.
    private mutating func replaceRounded(ofLinear position: Int, layer index: Int, values: [T]) throws {
        let dense = Self.dense(position), inFeatures = layers[index][keyPath: dense].inFeatures
        guard let floats = values as? [Float], inFeatures > 0, values.count % inFeatures == 0 else {
            throw QZooError(.invalidArgument, "a weight rounded for bfloat16 products takes float32 rows of \(inFeatures), not \(values.count) \(T.self)")
        }
        let rows = values.count / inFeatures, first = position <= 2 ? position * rows : 0
        try floats.withUnsafeBufferPointer { try layers[index][keyPath: dense].bfloat16?.replaceRows(first ..< first + rows, with: $0) }
    }

    /// The matrix holding linear `position` (0…5 in `BertArchitecture.layerLinears` order).
    private static func dense(_ position: Int) -> WritableKeyPath<Layer, Dense> {
        switch position {
        case 0...2: \.queryKeyValue
        case 3: \.attentionOutput
        case 4: \.intermediate
        default: \.output
        }
    }
}
