import Foundation
import Testing
import QZooCore
import QZooFormats
@testable import QZooModels

/// Checks against published outputs of the real all-MiniLM-L6-v2 (QZOO_MODEL_DIR must name
/// its directory; the tests are skipped, visibly, without it).
@Suite struct PublishedOutputTests {
    static let directory = ProcessInfo.processInfo.environment["QZOO_MODEL_DIR"]

    /// The sentence-transformers quickstart (README.md and docs/index.rst of the
    /// sentence-transformers repository) prints this similarity matrix for all-MiniLM-L6-v2,
    /// rounded to 4 decimals.
    @Test(.enabled(if: directory != nil, "set QZOO_MODEL_DIR to the all-MiniLM-L6-v2 directory"))
    func reproducesTheQuickstartSimilarities() throws {
        let path = try #require(Self.directory)
        let config = try BertConfig.load(path: path + "/config.json")
        let checkpoint = try SafetensorsReader.read(path: path + "/model.safetensors")
        let architecture = try BertArchitecture(config: config, checkpoint: checkpoint)
        let embedder = try SentenceEmbedder(tokenizer: try WordPieceTokenizer.load(directory: path),
                                            encoder: try BertEncoder(architecture: architecture, checkpoint: checkpoint),
                                            maxLength: 256, batchSize: 3)
        let e = try embedder.embed(["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."])
        let published: [(Int, Int, Double)] = [(0, 1, 0.6660), (0, 2, 0.1046), (1, 2, 0.1411)]
        for (i, j, value) in published {
            #expect(abs(cosine(row(e, i, width: 384), row(e, j, width: 384)) - value) <= 0.00005)
        }
    }
}
