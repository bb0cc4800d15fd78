import Testing
import QZooTestSupport
import QZooCore
import QZooFormats
import QZooPipeline

/// The `ldlq` pass (QuIP#) in a pipeline: after a calibrate stage, into qpack and a bundle.
@Suite struct LDLQPassTests {
    static func pipeline(data: String) -> String {
        """
        name: lattice
        stages:
          - {id: load, pass: load}
          - {id: calibrate, pass: calibrate, needs: [load], with: {data: "\(data)", max_length: 16, batch: 8}}
          - {id: w2, pass: ldlq, needs: [calibrate], with: {codebook: e8p, tune_passes: 2}}
          - {id: w4, pass: ldlq, needs: [calibrate], with: {codebook: e8p-rvq4, tune_passes: 2, sequential: false}}
          - {id: w2-out, pass: export, needs: [w2], with: {format: qpack, name: w2}}
          - {id: w4-out, pass: export, needs: [w4], with: {format: qpack, name: w4}}
          - {id: bundle, pass: bundle, needs: [w2-out, w4-out], with: {level: 3}}
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
