import QZooCore
import QZooTestSupport
@testable import QZooModels

/// A small BERT with seeded random weights, for tests that need a model but not a real one.
enum SyntheticBert {
    static func config(layers: Int = 2, hidden: Int = 16, heads: Int = 2, intermediate: Int = 32) throws -> BertConfig {
        try BertConfig(hiddenSize: hidden, layerCount: layers, headCount: heads, intermediateSize: intermediate,
                       vocabSize: 50, maxPositions: 32, typeVocabSize: 2, layerNormEpsilon: 1e-12)
    }

    /// Every tensor the architecture requires, filled from a SplitMix64 stream: weights
    /// uniform in ±0.5, LayerNorm gammas around 1.
    static func checkpoint(_ architecture: BertArchitecture, seed: UInt64 = 1) throws -> Checkpoint {
        var random = SplitMix64(seed: seed)
        var checkpoint = Checkpoint()
        for (name, shape) in architecture.requiredTensors {
            let count = shape.reduce(1, *)
            let isGamma = name.hasSuffix("LayerNorm.weight")
            let values = (0..<count).map { _ in Float(random.unit() - 0.5) * (isGamma ? 0.2 : 1) + (isGamma ? 1 : 0) }
            try checkpoint.add(name, try Tensor(shape: shape, floats: values))
        }
        return checkpoint
    }

    static func model(seed: UInt64 = 1) throws -> (BertArchitecture, Checkpoint) {
        let architecture = BertArchitecture(config: try config())
        return (architecture, try checkpoint(architecture, seed: seed))
    }

    /// Token sequences of the given lengths with ids from the stream, starting with 1 ([CLS]).
    static func batch(lengths: [Int], seed: UInt64 = 7) -> TokenBatch {
        var random = SplitMix64(seed: seed)
        return TokenBatch(lengths.map { length in [1] + (1..<length).map { _ in Int32(2 + random.next() % 48) } })
    }
}


func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for (x, y) in zip(a, b) {
        dot += Double(x) * Double(y)
        na += Double(x) * Double(x)
        nb += Double(y) * Double(y)
    }
    return dot / (na * nb).squareRoot()
}

func row(_ values: [Float], _ index: Int, width: Int) -> ArraySlice<Float> {
    values[index * width..<(index + 1) * width]
}
