import Testing
import QZooCore
@testable import QZooModels

@Suite struct ForwardTests {
    @Test func float32AgreesWithFloat64() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let batch = SyntheticBert.batch(lengths: [5, 17, 2, 31])
        let single = try BertEncoder(architecture: architecture, checkpoint: checkpoint).sentenceEmbeddings(batch)
        let double = try BertEncoder(architecture: architecture, checkpoint: checkpoint, precision: .float64).sentenceEmbeddings(batch)
        for index in 0..<batch.count {
            #expect(cosine(row(single, index, width: 16), row(double, index, width: 16)) > 0.999999)
        }
    }

    /// bfloat16 linear products round (the output differs from float32) and only round: the
    /// embeddings stay within bfloat16's precision of the float64 ones.
    @Test func bfloat16LinearsStayCloseToFloat64() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let batch = SyntheticBert.batch(lengths: [5, 17, 2, 31])
        let single = try BertEncoder(architecture: architecture, checkpoint: checkpoint).sentenceEmbeddings(batch)
        let rounded = try BertEncoder(architecture: architecture, checkpoint: checkpoint, precision: .bfloat16Linears).sentenceEmbeddings(batch)
        let double = try BertEncoder(architecture: architecture, checkpoint: checkpoint, precision: .float64).sentenceEmbeddings(batch)
        #expect(rounded != single)
        for index in 0..<batch.count {
            let similarity = cosine(row(rounded, index, width: 16), row(double, index, width: 16))
            #expect(similarity > 0.9999 && similarity < 0.999999, "\(similarity)")
        }
    }

    /// Weights replaced in a bfloat16 encoder (rounded straight into their rows: the key's third
    /// of the stacked q|k|v, the whole FFN up) and a replaced bias act exactly as if the
    /// checkpoint had held them when the encoder was built.
    @Test func replacedWeightsActAsIfLoaded() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let other = try SyntheticBert.checkpoint(architecture, seed: 9)
        let linears = architecture.layerLinears(0)
        let names = [linears[1].name, linears[4].name, linears[0].biasName]
        var edited = checkpoint
        for name in names { edited.tensors[name] = other.tensors[name] }
        let original = try BertEncoder(architecture: architecture, checkpoint: checkpoint, precision: .bfloat16Linears)
        let replaced = try original.replacingWeights(Dictionary(uniqueKeysWithValues: names.compactMap { name in other.tensors[name].map { (name, $0) } }),
                                                     layer: 0)
        let loaded = try BertEncoder(architecture: architecture, checkpoint: edited, precision: .bfloat16Linears)
        let batch = SyntheticBert.batch(lengths: [5, 17, 2])
        let embeddings = try replaced.sentenceEmbeddings(batch)
        #expect(embeddings == (try loaded.sentenceEmbeddings(batch)))
        #expect(embeddings != (try original.sentenceEmbeddings(batch)))
    }

    /// Packing sequences together must not let them attend to each other: each sequence's
    /// embedding is the same alone and in a batch.
    @Test func sequencesInABatchDoNotInteract() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let encoder = try BertEncoder(architecture: architecture, checkpoint: checkpoint, precision: .float64)
        let batch = SyntheticBert.batch(lengths: [9, 4, 12])
        let together = try encoder.sentenceEmbeddings(batch)
        for index in 0..<batch.count {
            let alone = try encoder.sentenceEmbeddings(TokenBatch([Array(batch.ids[batch.range(index)])]))
            #expect(zip(alone, row(together, index, width: 16)).allSatisfy { abs($0 - $1) < 1e-6 })
        }
    }

    @Test func embeddingsAreUnitLength() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let embeddings = try BertEncoder(architecture: architecture, checkpoint: checkpoint).sentenceEmbeddings(SyntheticBert.batch(lengths: [3, 8]))
        for index in 0..<2 {
            let norm = row(embeddings, index, width: 16).reduce(0.0) { $0 + Double($1) * Double($1) }
            #expect(abs(norm - 1) < 1e-5)
        }
    }

    @Test func changingOneWeightChangesTheOutput() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        var changed = checkpoint
        changed.tensors["encoder.layer.1.output.dense.weight"] = try SyntheticBert.checkpoint(architecture, seed: 2).tensors["encoder.layer.1.output.dense.weight"]
        let batch = SyntheticBert.batch(lengths: [6])
        let a = try BertEncoder(architecture: architecture, checkpoint: checkpoint).sentenceEmbeddings(batch)
        let b = try BertEncoder(architecture: architecture, checkpoint: changed).sentenceEmbeddings(batch)
        #expect(cosine(a[...], b[...]) < 0.9999)
    }

    @Test func rejectsTokensOutsideTheVocabularyAndOverlongSequences() throws {
        let (architecture, checkpoint) = try SyntheticBert.model()
        let encoder = try BertEncoder(architecture: architecture, checkpoint: checkpoint)
        #expect(throws: QZooError.self) { try encoder.sentenceEmbeddings(TokenBatch([[1, 50]])) }
        #expect(throws: QZooError.self) { try encoder.sentenceEmbeddings(TokenBatch([[1], [Int32](repeating: 1, count: 33)])) }
        #expect(throws: QZooError.self) { try encoder.sentenceEmbeddings(TokenBatch([[]])) }
    }
}
