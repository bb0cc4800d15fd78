import QZooCore
import QZooModels

/// Sentence pairs from a TSV file: `sentence A<TAB>sentence B` with an optional third column,
/// a gold similarity score (all lines must agree on whether it is there).
struct SentencePairs {
    var first: [String] = []
    var second: [String] = []
    var gold: [Double]?

    var count: Int { first.count }

    static func load(_ path: String) throws -> SentencePairs {
        let storage = try ByteStorage.map(path: path)
        var pairs = SentencePairs()
        var scores: [Double] = []
        for (index, line) in TextLines.parse(storage.buffer).enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 2 || fields.count == 3 else {
                throw QZooError(.malformed, "pair \(index + 1) has \(fields.count) tab-separated fields; expected 2 or 3", file: path)
            }
            pairs.first.append(fields[0])
            pairs.second.append(fields[1])
            if fields.count == 3 {
                guard let score = Double(fields[2]), score.isFinite else {
                    throw QZooError(.malformed, "pair \(index + 1): gold score '\(fields[2])' is not a number", file: path)
                }
                scores.append(score)
            }
        }
        guard pairs.count > 1 else { throw QZooError(.invalidArgument, "need at least two pairs", file: path) }
        guard scores.isEmpty || scores.count == pairs.count else {
            throw QZooError(.malformed, "some pairs have a gold score and some do not", file: path)
        }
        pairs.gold = scores.isEmpty ? nil : scores
        return pairs
    }
}
