/// Token sequences of different lengths, packed end to end without padding.
///
/// Linear layers and normalisations work per token, so packing wastes no work on padding and
/// hooks see exactly the real tokens; attention runs per sequence, which is what an attention
/// mask over right padding computes.
public struct TokenBatch: Sendable, Equatable {
    /// All token ids, sequence after sequence.
    public private(set) var ids: [Int32] = []
    /// Sequence `i` is `ids[starts[i] ..< starts[i + 1]]`.
    public private(set) var starts: [Int] = [0]

    public init() {}

    public init(_ sequences: [[Int32]]) {
        for sequence in sequences { append(sequence) }
    }

    public mutating func append(_ sequence: [Int32]) {
        ids.append(contentsOf: sequence)
        starts.append(ids.count)
    }

    public var count: Int { starts.count - 1 }
    public var tokenCount: Int { ids.count }

    /// The token positions of sequence `index`.
    public func range(_ index: Int) -> Range<Int> { starts[index]..<starts[index + 1] }

    /// The longest sequence's length.
    public var maxLength: Int { (0..<count).map { range($0).count }.max() ?? 0 }
}
