import QZooCore

/// Text in, sentence embeddings out: tokenizes, batches and runs a BERT encoder, optionally
/// with a linear-input observer (calibration) attached.
public struct SentenceEmbedder: Sendable {
    public let tokenizer: WordPieceTokenizer
    public let encoder: BertEncoder
    /// Tokens per sequence including `[CLS]` and `[SEP]`; longer texts are truncated.
    public let maxLength: Int
    /// Sequences per forward pass.
    public let batchSize: Int

    public init(tokenizer: WordPieceTokenizer, encoder: BertEncoder, maxLength: Int, batchSize: Int) throws {
        guard (2...encoder.config.maxPositions).contains(maxLength) else {
            throw QZooError(.invalidArgument, "max length \(maxLength) must be 2...\(encoder.config.maxPositions) (the model's position table)")
        }
        guard (1...65_536).contains(batchSize) else {
            throw QZooError(.invalidArgument, "batch size \(batchSize) must be 1...65536")
        }
        self.tokenizer = tokenizer
        self.encoder = encoder
        self.maxLength = maxLength
        self.batchSize = batchSize
    }

    public func tokenize(_ texts: [String]) -> [[Int32]] {
        texts.map { tokenizer.encode($0, maxLength: maxLength) }
    }

    /// `[texts.count, hiddenSize]` L2-normalised embeddings; `progress` gets the number of
    /// texts done after each batch.
    public func embed<O: LinearInputObserver>(
        _ texts: [String], observer: inout O, profile: inout ForwardProfile, progress: (Int) -> Void = { _ in }
    ) throws -> [Float] {
        let sequences = tokenize(texts)
        var embeddings: [Float] = []
        embeddings.reserveCapacity(texts.count * encoder.config.hiddenSize)
        var start = 0
        while start < sequences.count {
            let end = min(start + batchSize, sequences.count)
            let batch = TokenBatch(Array(sequences[start..<end]))
            embeddings += try encoder.sentenceEmbeddings(batch, observer: &observer, profile: &profile)
            progress(end)
            start = end
        }
        return embeddings
    }

    public func embed(_ texts: [String]) throws -> [Float] {
        var observer = NoObserver()
        var profile = ForwardProfile()
        return try embed(texts, observer: &observer, profile: &profile)
    }
}

/// One text per line: `\n` or `\r\n` line ends; blank lines are skipped (they carry no
/// sentence, and an empty input would only add `[CLS] [SEP]`). Lines are split on bytes, not
/// characters: Swift would merge a newline and a following combining mark into one character.
public enum TextLines {
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> [String] {
        splitLines(bytes).filter { !$0.allSatisfy(\.isWhitespace) }
    }

    /// Every line, blank ones included, without its `\n` or `\r\n` ending.
    public static func splitLines(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == 0x0D ? line.dropLast() : line[...], as: UTF8.self)
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }
}
