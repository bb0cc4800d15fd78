import QZooMath

/// The four places in a BERT encoder layer where linear layers read an input (the layer's four
/// scale groups, in execution order): sequential calibration measures and quantizes them one
/// after another, so each site's statistics already see the rounding of the sites before it.
public enum LayerSite: Int, CaseIterable, Sendable {
    /// The layer input, read by query, key and value.
    case attentionInput
    /// The attention context, read by the attention output projection.
    case attentionOutput
    /// The attention block's LayerNorm output, read by the intermediate (FFN up) layer.
    case ffnInput
    /// The GELU output, read by the FFN output layer.
    case ffnOutput

    /// The width of what applying this site produces (the next site's input).
    func outputWidth(_ config: BertConfig) -> Int {
        self == .ffnInput ? config.intermediateSize : config.hiddenSize
    }
}

/// One batch's activations inside an encoder layer between sites: what the remaining sites read
/// (their inputs and the residuals still to be added). Buffers no later site needs are dropped:
/// sequential calibration keeps every calibration token's activations between sites, so a buffer
/// held too long is tens of megabytes more at the FFN, where the footprint peaks.
struct LayerActivations<T: Sendable>: Sendable {
    /// The layer's input until the attention output (which adds it back) is applied; after the
    /// last site, the layer's output.
    var input: [T]
    var context: [T] = []
    var attended: [T] = []
    var ffn: [T] = []
    /// The FFN activations rounded to bfloat16 instead of `ffn`, when the pass that made them
    /// already showed them to the observer (`BertForward.applyIntermediateKeepingRounded`).
    var ffnRounded: BFloat16Product.RoundedRows?

    init(input: [T]) {
        self.input = input
    }

    /// The input `site` reads and its row width.
    func input(of site: LayerSite, config: BertConfig) -> (values: [T], columns: Int) {
        switch site {
        case .attentionInput: (input, config.hiddenSize)
        case .attentionOutput: (context, config.hiddenSize)
        case .ffnInput: (attended, config.hiddenSize)
        case .ffnOutput: (ffn, config.intermediateSize)
        }
    }

    /// Keeps what applying `site` produced.
    mutating func store(_ result: [T], after site: LayerSite) {
        switch site {
        case .attentionInput: context = result
        case .attentionOutput: (attended, context, input) = (result, [], [])
        case .ffnInput: ffn = result
        case .ffnOutput: (input, attended, ffn, ffnRounded) = (result, [], [], nil)
        }
    }
}
