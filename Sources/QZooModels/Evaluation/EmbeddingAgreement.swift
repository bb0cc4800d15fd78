import QZooCore
import QZooMath

/// How closely a candidate model's sentence embeddings track a reference model's on the same
/// sentences: per sentence (cosine), and in what users do with embeddings (similarity
/// rankings and nearest-neighbour search).
public struct EmbeddingAgreement: Sendable, Equatable {
    public var sentences: Int
    public var meanCosine: Double
    public var minCosine: Double
    /// Spearman ρ between the two models' similarities over all sentence pairs.
    public var pairwiseSpearman: Double
    /// Fraction of sentences whose nearest other sentence is the same under both models.
    public var nearestNeighbourAgreement: Double

    /// All-pairs metrics hold two `count × count` float64 matrices; beyond this many sentences
    /// they would need gigabytes.
    public static let sentenceLimit = 8192

    /// `reference` and `candidate` are `[count, width]` row-major.
    public init(reference: [Float], candidate: [Float], count: Int, width: Int) throws {
        guard count > 0, width > 0, reference.count == count * width, candidate.count == reference.count else {
            throw QZooError(.invalidArgument, "embedding comparison needs two [\(count), \(width)] matrices")
        }
        guard count <= Self.sentenceLimit else {
            throw QZooError(.limitExceeded, "\(count) sentences; all-pairs comparison supports at most \(Self.sentenceLimit) (use a sample)")
        }
        let a = reference.map(Double.init), b = candidate.map(Double.init)
        let cosines = (0..<count).map { Self.cosine(a, b, row: $0, width: width) }
        sentences = count
        meanCosine = cosines.reduce(0, +) / Double(count)
        minCosine = cosines.min() ?? .nan
        let simA = try Self.similarities(a, count: count, width: width)
        let simB = try Self.similarities(b, count: count, width: width)
        var upperA: [Double] = [], upperB: [Double] = []
        for i in 0..<count {
            for j in (i + 1)..<max(count, i + 1) {
                upperA.append(simA[i * count + j])
                upperB.append(simB[i * count + j])
            }
        }
        pairwiseSpearman = Spearman.correlation(upperA, upperB)
        let agreeing = (0..<count).filter { Self.nearest(simA, row: $0, count: count) == Self.nearest(simB, row: $0, count: count) }
        nearestNeighbourAgreement = count > 1 ? Double(agreeing.count) / Double(count) : .nan
    }

    /// Cosine of row `row` of `a` and `b`; exactly 1 when the rows are equal and non-zero.
    static func cosine(_ a: [Double], _ b: [Double], row: Int, width: Int) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for c in row * width..<(row + 1) * width {
            dot += a[c] * b[c]
            na += a[c] * a[c]
            nb += b[c] * b[c]
        }
        return na > 0 && nb > 0 ? dot / (na * nb).squareRoot() : 0
    }

    /// Cosine similarity matrix `[count, count]` of the rows of `x`.
    static func similarities(_ x: [Double], count: Int, width: Int) throws -> [Double] {
        var unit = x
        for r in 0..<count {
            let norm = (r * width..<(r + 1) * width).reduce(0.0) { $0 + x[$1] * x[$1] }.squareRoot()
            if norm > 0 { for c in r * width..<(r + 1) * width { unit[c] = x[c] / norm } }
        }
        var out = [Double](repeating: 0, count: count * count)
        try unit.withUnsafeBufferPointer { u in
            try out.withUnsafeMutableBufferPointer { o in
                try BLAS.gemm(transB: true, m: count, n: count, k: width, a: u, lda: width, b: u, ldb: width, c: o, ldc: count)
            }
        }
        return out
    }

    /// The index of the most similar other row (the first on ties).
    static func nearest(_ similarity: [Double], row: Int, count: Int) -> Int {
        var best = -1
        var bestValue = -Double.infinity
        for j in 0..<count where j != row && similarity[row * count + j] > bestValue {
            best = j
            bestValue = similarity[row * count + j]
        }
        return best
    }
}
