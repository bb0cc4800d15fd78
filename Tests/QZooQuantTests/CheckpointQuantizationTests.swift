import Testing
import QZooCore
@testable import QZooQuant

@Suite struct CheckpointQuantizationTests {
    static func matrix(_ rows: Int, _ columns: Int, seed: UInt64) throws -> Tensor {
        try TestMatrices.tensor(TestMatrices.weights(rows: rows, columns: columns, seed: seed), rows: rows, columns: columns)
    }

    /// A miniature BERT layer: linears, biases, a LayerNorm, embeddings and an integer matrix.
    static func checkpoint() throws -> Checkpoint {
        var checkpoint = Checkpoint(metadata: ["format": "pt"])
        try checkpoint.add("embeddings.word_embeddings.weight", matrix(10, 8, seed: 1))
        try checkpoint.add("encoder.layer.0.attention.self.query.weight", matrix(8, 8, seed: 2))
        try checkpoint.add("encoder.layer.0.attention.self.query.bias", Tensor(shape: [8], floats: Array(repeating: 0.5, count: 8)))
        try checkpoint.add("encoder.layer.0.intermediate.dense.weight", matrix(16, 8, seed: 3))
        try checkpoint.add("encoder.layer.0.output.LayerNorm.weight", Tensor(shape: [8], floats: Array(repeating: 1, count: 8)))
        try checkpoint.add("position_ids.weight", Tensor(dtype: .i64, shape: [1, 4], bytes: Array(repeating: 0, count: 32)))
        return checkpoint
    }

    static let linears = ["encoder.layer.0.attention.self.query.weight", "encoder.layer.0.intermediate.dense.weight"]

    func regexes(_ patterns: [String]) throws -> [Regex<AnyRegexOutput>] { try patterns.map { try Regex($0) } }

    @Test func defaultSelectionIsLinearWeightsWithoutEmbeddings() throws {
        let source = try Self.checkpoint()
        let selection = WeightSelection()
        let chosen = source.tensors.filter { selection.decision(for: $0.key, $0.value) == .quantize }.keys
        #expect(Array(chosen) == Self.linears)
    }

    @Test func includeReplacesTheNameRuleAndExcludeWins() throws {
        let source = try Self.checkpoint()
        let selection = WeightSelection(include: try regexes(["embeddings", "LayerNorm", "query"]), exclude: try regexes(["bias$"]))
        var decisions: [String: WeightSelection.Decision] = [:]
        for (name, tensor) in source.tensors { decisions[name] = selection.decision(for: name, tensor) }
        #expect(decisions["embeddings.word_embeddings.weight"] == .quantize)
        #expect(decisions["encoder.layer.0.attention.self.query.weight"] == .quantize)
        #expect(decisions["encoder.layer.0.attention.self.query.bias"] == .keep)
        #expect(decisions["encoder.layer.0.intermediate.dense.weight"] == .keep)
        guard case .ineligible(let reason) = decisions["encoder.layer.0.output.LayerNorm.weight"] else {
            Issue.record("a rank-1 tensor named by --include must be reported as ineligible")
            return
        }
        #expect(reason.contains("rank-2"))
    }

    @Test func movesSelectedTensorsAndKeepsEverythingElse() throws {
        let source = try Self.checkpoint()
        let quantizer = try RTNQuantizer(grid: AffineGrid(bits: 4, symmetric: false, granularity: .group(size: 4)))
        let result = try quantizeCheckpoint(source, with: quantizer)
        #expect(Array(result.checkpoint.quantized.keys) == Self.linears)
        #expect(Array(result.checkpoint.tensors.keys) == source.tensors.keys.filter { !Self.linears.contains($0) })
        #expect(result.checkpoint.metadata == source.metadata)
        for name in result.checkpoint.tensors.keys { #expect(result.checkpoint.tensors[name] == source.tensors[name]) }
        #expect(result.reports.map(\.name) == Self.linears)
        #expect(result.ineligible.isEmpty)
    }

    @Test func reportsSizesBitsAndErrors() throws {
        let source = try Self.checkpoint()
        let quantizer = try RTNQuantizer(grid: AffineGrid(bits: 4, symmetric: false, granularity: .group(size: 4)))
        let result = try quantizeCheckpoint(source, with: quantizer)
        // 4-bit codes + one F32 scale and one U8 zero point per 4 weights: 4 + 32/4 + 8/4 = 14.
        for report in result.reports { #expect(report.bitsPerWeight == 14) }
        #expect(result.bitsPerWeight == 14)
        // 8×8 and 16×8 F32 matrices (768 bytes) become 192 weights × 14 bits = 336 bytes.
        #expect(result.bytesBefore == source.byteCount)
        #expect(result.bytesAfter == source.byteCount - 768 + 336)
        for report in result.reports {
            let original = try #require(source.tensors[report.name]).floats()
            let quantized = try #require(result.checkpoint.quantized[report.name])
            let maxScale = Double(quantized.scales.floats().max() ?? 0)
            #expect(report.error.maxAbsolute > 0)
            #expect(report.error.maxAbsolute <= maxScale / 2 * 1.0001)
            let norm = original.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            #expect(report.error.relativeRMS > 0)
            #expect(report.error.relativeRMS <= maxScale / 2 * Double(original.count).squareRoot() / norm)
            #expect(report.shape == source.tensors[report.name]?.shape)
        }
    }

    @Test func errorsNameTheTensor() throws {
        var source = try Self.checkpoint()
        var values = TestMatrices.weights(rows: 3, columns: 8, seed: 4)
        values[9] = .nan
        try source.add("encoder.layer.1.output.dense.weight", TestMatrices.tensor(values, rows: 3, columns: 8))
        let quantizer = try RTNQuantizer(grid: AffineGrid(bits: 4, symmetric: true, granularity: .perChannel))
        let error = #expect(throws: QZooError.self) { try quantizeCheckpoint(source, with: quantizer) }
        #expect(error?.tensor == "encoder.layer.1.output.dense.weight")
        #expect(error?.message.contains("[1, 1]") == true)
    }

    @Test func parallelResultsEqualOneByOneQuantization() throws {
        var source = Checkpoint()
        for layer in 0..<9 { try source.add("layer.\(layer).dense.weight", Self.matrix(7 + layer, 19, seed: UInt64(layer))) }
        let quantizer = try RTNQuantizer(grid: AffineGrid(bits: 3, symmetric: false, granularity: .group(size: 8)), clipSearch: ClipSearch())
        let result = try quantizeCheckpoint(source, with: quantizer)
        for (name, tensor) in source.tensors { #expect(result.checkpoint.quantized[name] == (try quantizer.quantize(tensor))) }
    }

    @Test func theFirstFailingTensorInFileOrderIsReported() throws {
        var source = Checkpoint()
        for layer in 0..<6 {
            var values = TestMatrices.weights(rows: 4, columns: 8, seed: UInt64(layer))
            if layer == 2 || layer == 5 { values[3] = .infinity }
            try source.add("layer.\(layer).dense.weight", TestMatrices.tensor(values, rows: 4, columns: 8))
        }
        let quantizer = try RTNQuantizer(grid: AffineGrid(bits: 4, symmetric: false, granularity: .perChannel))
        let error = #expect(throws: QZooError.self) { try quantizeCheckpoint(source, with: quantizer) }
        #expect(error?.tensor == "layer.2.dense.weight")
    }

    @Test func reportsIneligibleIncludedTensors() throws {
        let source = try Self.checkpoint()
        let quantizer = try RTNQuantizer(grid: AffineGrid(bits: 8, symmetric: true, granularity: .perChannel))
        let result = try quantizeCheckpoint(source, with: quantizer, selection: WeightSelection(include: try regexes(["LayerNorm", "position_ids"])))
        #expect(result.reports.isEmpty)
        #expect(result.ineligible.map(\.name) == ["encoder.layer.0.output.LayerNorm.weight", "position_ids.weight"])
        #expect(result.checkpoint.tensors.count == source.tensors.count)
    }

    @Test func reconstructionErrorDefinition() {
        let error = ReconstructionError(original: [3, 4], reconstructed: [3, 3])
        #expect(error.maxAbsolute == 1)
        #expect(error.relativeRMS == 0.2)
        #expect(ReconstructionError(original: [0, 0], reconstructed: [0, 0]).relativeRMS == 0)
        #expect(ReconstructionError(original: [0, 0], reconstructed: [1, 0]).relativeRMS == .infinity)
    }
}
