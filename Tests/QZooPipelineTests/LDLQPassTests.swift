import Testing
import QZooTestSupport
import QZooCore
import QZooFormats
import QZooPipeline

/// The `hadamard` and `ldlq` passes (QuIP#) in a pipeline: after a calibrate stage, into qpack
/// and a bundle.
@Suite struct LDLQPassTests {
    static func pipeline(data: String) -> String {
        """
        name: lattice
        stages:
          - {id: load, pass: load}
          - {id: calibrate, pass: calibrate, needs: [load], with: {data: "\(data)", max_length: 16, batch: 8}}
          - {id: rht, pass: hadamard, needs: [calibrate], with: {seed: 3}}
          - {id: w2, pass: ldlq, needs: [rht], with: {codebook: e8p, tune_passes: 2}}
          - {id: w4, pass: ldlq, needs: [calibrate], with: {codebook: e8p-rvq4, tune_passes: 2, sequential: false}}
          - {id: g3, pass: ldlq, needs: [rht], with: {codebook: grid, bits: 3}}
          - {id: w2-out, pass: export, needs: [w2], with: {format: qpack, name: w2}}
          - {id: w4-out, pass: export, needs: [w4], with: {format: qpack, name: w4}}
          - {id: g3-out, pass: export, needs: [g3], with: {format: qpack, name: g3}}
          - {id: bundle, pass: bundle, needs: [w2-out, w4-out, g3-out], with: {level: 3}}
        """
    }

    @Test func latticeStagesExportCodesAndReportTheirScheme() throws {
        let root = try TemporaryDirectory()
        let model = try TinyBert.model(in: root.path)
        let report = try Fixtures.run(Self.pipeline(data: try TinyBert.text(in: root.path)), model: model, root: root.path)
        #expect(report.failure == nil, "\(report.failure?.message ?? "")")
        let manifest = try BundleVerifier.verify(path: root.path + "/out/lattice.tar.zst").manifest
        var schemes: [String: Set<String>] = [:]
        for export in manifest["exports"]?.arrayValue ?? [] {
            let stage = export["stage"]?.stringValue ?? ""
            for tensor in export["tensors"]?.arrayValue ?? [] where tensor["scheme"]?.stringValue != "dense" {
                schemes[stage, default: []].insert(tensor["scheme"]?.stringValue ?? "?")
                #expect((tensor["rel_proxy_loss"]?.doubleValue ?? -1) >= 0)
            }
        }
        #expect(schemes["w2-out"] == ["e8p"])
        #expect(schemes["w4-out"] == ["e8p-rvq4"])
        #expect(schemes["g3-out"] == ["affine-asym"])
        // After the hadamard stage every rounded weight stores its rotation; without it, none.
        for export in manifest["exports"]?.arrayValue ?? [] {
            let stage = export["stage"]?.stringValue ?? ""
            for tensor in export["tensors"]?.arrayValue ?? [] where tensor["scheme"]?.stringValue != "dense" {
                let transforms = tensor["transforms"]?.arrayValue?.compactMap(\.stringValue)
                #expect(transforms == (stage == "w4-out" ? [] : ["randomized_hadamard"]), "\(stage): \(transforms ?? [])")
            }
        }
    }

    /// Only gptq and ldlq round inside the rotation; any other quantizer or an export right
    /// after a hadamard stage is refused, naming the stage, before it does any work.
    @Test(arguments: ["{id: next, pass: rtn, needs: [rht], with: {bits: 4}}\n  - {id: file, pass: export, needs: [next], with: {format: qpack}}",
                      "{id: next, pass: export, needs: [rht], with: {format: safetensors}}"])
    func stagesThatCannotApplyTheRotationRefuseIt(_ stage: String) throws {
        let root = try TemporaryDirectory()
        let model = try TinyBert.model(in: root.path)
        let yaml = """
            name: refused
            stages:
              - {id: load, pass: load}
              - {id: rht, pass: hadamard, needs: [load]}
              - \(stage)
            """
        let report = try Fixtures.run(yaml, model: model, root: root.path)
        let message = report.failure?.message ?? "no failure"
        #expect(message.contains("'next'") && message.contains("hadamard"), "\(message)")
    }

    @Test func anUnknownCodebookIsASpecError() throws {
        let root = try TemporaryDirectory()
        let model = try TinyBert.model(in: root.path)
        let yaml = Self.pipeline(data: try TinyBert.text(in: root.path)).edited("codebook: e8p,", with: "codebook: e8p-rvq9,")
        do {
            let report = try Fixtures.run(yaml, model: model, root: root.path)
            #expect(report.failure?.message.contains("e8p-rvq9") == true, "\(report.failure?.message ?? "no failure")")
        } catch {
            #expect("\(error)".contains("e8p-rvq9"), "\(error)")
        }
    }
}
