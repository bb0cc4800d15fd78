import Testing
import QZooCore
import QZooPipeline

/// Every kind of pipeline error is found before anything runs, and names the file, the line and
/// the stage.
@Suite struct SpecValidationTests {
    static let valid = """
        name: ok
        stages:
          - id: load
            pass: load
          - id: quantize
            pass: rtn
            needs: [load]
            with: {bits: 4, group_size: 128}
          - id: export
            pass: export
            needs: [quantize]
            with: {format: qpack}
        """

    /// Parses `yaml`, which must fail with a message containing `fragments`, at `line`.
    func expectInvalid(_ yaml: String, line: Int, stage: String?, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try Pipeline.parse(text: yaml, file: "p.yaml")
            Issue.record("accepted an invalid pipeline", sourceLocation: sourceLocation)
        } catch let error as QZooError {
            #expect(error.file == "p.yaml:\(line)", "wrong location in: \(error)", sourceLocation: sourceLocation)
            if let stage { #expect(error.message.hasPrefix("stage '\(stage)': "), "no stage in: \(error)", sourceLocation: sourceLocation) }
            for fragment in fragments {
                #expect(error.description.contains(fragment), "lacks \"\(fragment)\": \(error)", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func aValidPipelineIsOrderedTopologicallyWithDefaultsRecorded() throws {
        let pipeline = try Pipeline.parse(text: Self.valid, file: "p.yaml")
        #expect(pipeline.stages.map(\.id) == ["load", "quantize", "export"])
        #expect(pipeline.stages[1].parameters == .object([("bits", .int(4)), ("group_size", .int(128)), ("sym", .bool(false)), ("clip_search", .bool(false))]))
    }

    @Test func yamlSyntaxAndDuplicateKeys() {
        expectInvalid("name: x\nstages:\n  - id: a\n    pass: [load\n", line: 5, stage: nil, "not valid YAML")
        expectInvalid("name: x\nname: y\nstages: []\n", line: 1, stage: nil, "'name' appears twice")
    }

    @Test func topLevelShape() {
        expectInvalid("name: x\nstagez: []\n", line: 2, stage: nil, "unknown key 'stagez'")
        expectInvalid("description: d\nstages:\n  - {id: a, pass: load}\n", line: 1, stage: nil, "missing 'name'")
        expectInvalid("name: x\nstages: []\n", line: 2, stage: nil, "non-empty list")
        expectInvalid("name: x y\nstages: []\n", line: 1, stage: nil, "'name' must be letters")
    }

    @Test func unknownPassAndParameters() {
        expectInvalid(Self.valid.replacingPass("rtn", with: "gptx"), line: 6, stage: "quantize", "unknown pass 'gptx'", "available: " + PassRegistry.standard.names.joined(separator: ", "))
        expectInvalid(Self.valid.edited("group_size: 128", with: "group_size: 128, bitz: 3"), line: 8, stage: "quantize", "unknown parameter 'bitz'", "it takes: bits, clip_search, group_size, sym")
        expectInvalid(Self.valid.edited("with: {format: qpack}", with: "with: {format: qpack, level: 3}"), line: 12, stage: "export", "unknown parameter 'level'")
        expectInvalid("name: x\nstages:\n  - id: a\n    pass: load\n    colour: red\n", line: 5, stage: "a", "unknown key 'colour'")
    }

    @Test func wrongTypeRangeOrMissingParameter() {
        expectInvalid(Self.valid.edited("bits: 4,", with: "bits: four,"), line: 8, stage: "quantize", "'bits' must be an integer, got 'four'")
        expectInvalid(Self.valid.edited("bits: 4,", with: "bits: 9,"), line: 8, stage: "quantize", "'bits' must be in 1...8, got 9")
        expectInvalid(Self.valid.edited("{bits: 4, group_size: 128}", with: "{group_size: 128}"), line: 5, stage: "quantize", "missing parameter 'bits'")
        expectInvalid(Self.valid.edited("{format: qpack}", with: "{format: onnx}"), line: 12, stage: "export", "must be one of safetensors, npz, qpack, qdq-json")
        expectInvalid(Self.valid.edited("group_size: 128", with: "sym: yes please"), line: 8, stage: "quantize", "'sym' must be true or false")
        expectInvalid(Self.valid.edited("bits: 4, group_size: 128", with: "bits: 1, sym: true"), line: 8, stage: "quantize", "symmetric 1-bit")
    }

    @Test func idsAndNeeds() {
        expectInvalid(Self.valid.edited("id: export", with: "id: quantize"), line: 9, stage: "quantize", "duplicate stage id (first defined at line 5)")
        expectInvalid(Self.valid.edited("needs: [quantize]", with: "needs: [quantise]"), line: 11, stage: "export", "needs 'quantise', which no stage defines")
        expectInvalid(Self.valid.edited("  - id: load\n    pass: load", with: "  - pass: load"), line: 3, stage: nil, "missing 'id'")
        expectInvalid(Self.valid.edited("needs: [load]", with: "needs: [load, load]"), line: 7, stage: "quantize", "needs 'load' twice")
    }

    @Test func cyclesAreSpelledOut() {
        expectInvalid((Self.valid + "\n  - {id: again, pass: rtn, needs: [quantize], with: {bits: 2}}").edited("needs: [load]", with: "needs: [again]"), line: 5, stage: "quantize", "cycle in 'needs': quantize -> again -> quantize")
        expectInvalid("""
            name: x
            stages:
              - {id: load, pass: load}
              - {id: a, pass: rtn, needs: [c], with: {bits: 4}}
              - {id: b, pass: rtn, needs: [a], with: {bits: 4}}
              - {id: c, pass: rtn, needs: [b], with: {bits: 4}}
              - {id: e, pass: export, needs: [c], with: {format: qpack}}
            """, line: 4, stage: "a", "cycle in 'needs': a -> b -> c -> a")
    }

    @Test func edgesMustCarryTheRightKindAndCount() {
        expectInvalid(Self.valid.edited("needs: [quantize]", with: "needs: []"), line: 9, stage: "export", "takes exactly 1 input stage(s) in 'needs', got 0")
        expectInvalid(Self.valid + "\n  - {id: b, pass: bundle, needs: [quantize]}\n", line: 13, stage: "b", "pass 'bundle' takes a files, but 'quantize' (rtn) gives checkpoint")
        expectInvalid(Self.valid.edited("    pass: load\n", with: "    pass: load\n    needs: [export]\n"), line: 3, stage: "load", "takes exactly 0 input")
    }

    @Test func unreachableOutputs() {
        expectInvalid(Self.valid + "\n  - {id: dangling, pass: rtn, needs: [load], with: {bits: 8}}\n", line: 13, stage: "dangling", "unreachable output")
    }

    @Test func targetsMustBeValidAndMeaningful() {
        expectInvalid(Self.valid.edited("needs: [load]", with: "needs: [load]\n    targets: ['(unclosed']"), line: 8, stage: "quantize", "not a valid regular expression")
        expectInvalid(Self.valid + "\n  - {id: b, pass: bundle, needs: [export], ignore: [x]}\n", line: 13, stage: "b", "does not select tensors")
    }
}

extension String {
    func edited(_ old: String, with new: String) -> String {
        var copy = self
        guard let range = copy.range(of: old) else { return "<<\(old) not found>>" }
        copy.replaceSubrange(range, with: new)
        return copy
    }

    func replacingPass(_ old: String, with new: String) -> String { edited("pass: \(old)", with: "pass: \(new)") }
}
