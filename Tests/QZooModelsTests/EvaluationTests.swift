import Testing
import QZooTestSupport
import QZooCore
@testable import QZooModels

@Suite struct EvaluationTests {
    @Test func spearmanAveragesTiedRanksLikeScipy() {
        #expect(Spearman.ranks([10, 20, 20, 5]) == [2, 3.5, 3.5, 1])
        // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) = 0.8207826816681233
        #expect(abs(Spearman.correlation([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) - 0.8207826816681233) < 1e-12)
        #expect(Spearman.correlation([1, 2, 3], [3, 2, 1]) == -1)
        #expect(Spearman.correlation([1, 1, 1], [1, 2, 3]).isNaN)
    }

    func embeddings(seed: UInt64, count: Int, width: Int) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<count * width).map { _ in Float(random.unit() - 0.5) }
    }

    @Test func identicalEmbeddingsAgreeExactly() throws {
        let e = embeddings(seed: 1, count: 40, width: 8)
        let agreement = try EmbeddingAgreement(reference: e, candidate: e, count: 40, width: 8)
        #expect(agreement.meanCosine == 1)
        #expect(agreement.minCosine == 1)
        #expect(agreement.pairwiseSpearman == 1)
        #expect(agreement.nearestNeighbourAgreement == 1)
    }

    @Test func perturbedEmbeddingsAgreeLess() throws {
        let e = embeddings(seed: 1, count: 40, width: 8)
        let noise = embeddings(seed: 2, count: 40, width: 8)
        let candidate = zip(e, noise).map { $0 + 0.3 * $1 }
        let agreement = try EmbeddingAgreement(reference: e, candidate: candidate, count: 40, width: 8)
        #expect(agreement.meanCosine < 1 && agreement.meanCosine > 0.8)
        #expect(agreement.minCosine < agreement.meanCosine)
        #expect(agreement.pairwiseSpearman < 1 && agreement.pairwiseSpearman > 0.5)
        #expect(agreement.nearestNeighbourAgreement <= 1)
        let unrelated = try EmbeddingAgreement(reference: e, candidate: noise, count: 40, width: 8)
        #expect(unrelated.pairwiseSpearman < agreement.pairwiseSpearman)
    }
}
