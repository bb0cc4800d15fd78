import Testing
import QZooTestSupport
import QZooCore
import QZooFormats
import QZooPipeline

@Suite struct CalibratedPassTests {
    static func pipeline(data: String) -> String {
        """
        name: shared
        stages:
          - {id: load, pass: load}
          - {id: calibrate, pass: calibrate, needs: [load], with: {data: "\(data)", max_length: 16, batch: 8}}
          - {id: rtn, pass: rtn, needs: [calibrate], ignore: [pooler], with: {bits: 4, group_size: 8}}
          - {id: gptq, pass: gptq, needs: [calibrate], with: {bits: 4, group_size: 8, act_order: true}}
          - {id: gptq-fixed, pass: gptq, needs: [calibrate], with: {bits: 4, group_size: 8, sequential: false}}
          - {id: rtn-out, pass: export, needs: [rtn], with: {format: qpack, name: rtn}}
          - {id: gptq-out, pass: export, needs: [gptq], with: {format: qpack, name: gptq}}
          - {id: fixed-out, pass: export, needs: [gptq-fixed], with: {format: qpack, name: fixed}}
          - {id: bundle, pass: bundle, needs: [rtn-out, gptq-out, fixed-out], with: {level: 3}}
        """
    }

    func exports(_ bundle: String) throws -> [String: [JSONValue]] {
        let manifest = try BundleVerifier.verify(path: bundle).manifest
        var byStage: [String: [JSONValue]] = [:]
        for export in manifest["exports"]?.arrayValue ?? [] {
            byStage[export["stage"]?.stringValue ?? ""] = export["tensors"]?.arrayValue ?? []
        }
        return byStage
    }

    @Test func oneCalibrationFeedsRTNAndBothGPTQModesAndManifestsCarryProxyLossAndDamping() throws {
        let root = try TemporaryDirectory()
        let model = try TinyBert.model(in: root.path)
        let report = try Fixtures.run(Self.pipeline(data: try TinyBert.text(in: root.path)), model: model, root: root.path)
        #expect(report.failure == nil, "\(report.failure?.message ?? "")")
        #expect(report.stages.filter { $0.pass == "calibrate" }.map(\.status) == [.ran])
        let tensors = try exports(root.path + "/out/shared.tar.zst")
        for stage in ["gptq-out", "fixed-out"] {
            let quantized = (tensors[stage] ?? []).filter { $0["scheme"]?.stringValue != "dense" }
            #expect(quantized.count == 12, "two layers × six encoder linears; the pooler has no statistics and stays dense")
            #expect(quantized.allSatisfy { ($0["rel_proxy_loss"]?.doubleValue ?? -1) >= 0 && ($0["damping"]?.doubleValue ?? 0) > 0 })
            #expect((tensors[stage] ?? []).contains { $0["name"] == .string("pooler.dense.weight") && $0["scheme"] == .string("dense") })
        }
        #expect((tensors["rtn-out"] ?? []).allSatisfy { $0["rel_proxy_loss"] == nil })
        let sequential = (tensors["gptq-out"] ?? []).compactMap { $0["rel_proxy_loss"]?.doubleValue }
        let fixed = (tensors["fixed-out"] ?? []).compactMap { $0["rel_proxy_loss"]?.doubleValue }
        #expect(sequential != fixed, "later layers see the quantized earlier ones, so their statistics differ")
    }

    @Test func aGPTQStageReadingACachedCalibrationMatchesAFreshRun() throws {
        let one = try TemporaryDirectory(), two = try TemporaryDirectory()
        let text = try TinyBert.text(in: one.path)
        let yaml = Self.pipeline(data: text)
        _ = try Fixtures.run(yaml, model: try TinyBert.model(in: one.path), root: one.path)
        let edited = yaml.edited("act_order: true", with: "act_order: false")
        let reused = try Fixtures.run(edited, model: one.path + "/bert", root: one.path)
        #expect(reused.status("calibrate") == .cached || reused.status("calibrate") == .notNeeded)
        #expect(reused.status("gptq") == .ran)
        let fresh = try Fixtures.run(edited, model: try TinyBert.model(in: two.path), root: two.path)
        #expect(fresh.status("calibrate") == .ran)
        #expect(try Fixtures.read(one.path + "/out/shared.tar.zst") == Fixtures.read(two.path + "/out/shared.tar.zst"),
                "statistics and texts restored from the cache give the same bytes")
    }

    @Test func editingTheCalibrationTextRerunsCalibrationAndItsDependants() throws {
        let root = try TemporaryDirectory()
        let model = try TinyBert.model(in: root.path)
        let text = try TinyBert.text(in: root.path)
        _ = try Fixtures.run(Self.pipeline(data: text), model: model, root: root.path)
        try Fixtures.write("a different calibration sentence\nand another one\n", to: text)
        let second = try Fixtures.run(Self.pipeline(data: text), model: model, root: root.path)
        #expect(second.status("calibrate") == .ran)
        #expect(second.status("gptq") == .ran)
    }

    @Test func gptqWithoutCalibrationOrOnAnUncalibratedTargetFailsClearly() throws {
        let root = try TemporaryDirectory()
        let model = try TinyBert.model(in: root.path)
        let missing = try Fixtures.run("""
            name: bare
            stages:
              - {id: load, pass: load}
              - {id: gptq, pass: gptq, needs: [load], with: {bits: 4}}
              - {id: out, pass: export, needs: [gptq], with: {format: qpack}}
            """, model: model, root: root.path)
        #expect(missing.failure?.message.contains("put a 'calibrate' stage before it") == true)
        let pooler = try Fixtures.run("""
            name: pooler
            stages:
              - {id: load, pass: load}
              - {id: calibrate, pass: calibrate, needs: [load], with: {data: "\(try TinyBert.text(in: root.path))"}}
              - {id: gptq, pass: gptq, needs: [calibrate], targets: [pooler], with: {bits: 4}}
              - {id: out, pass: export, needs: [gptq], with: {format: qpack}}
            """, model: model, root: root.path)
        #expect(pooler.failure?.tensor == "pooler.dense.weight", "\(String(describing: pooler.failure))")
    }

    @Test func calibrateAndGPTQParametersAreValidated() {
        let base = "name: x\nstages:\n  - {id: load, pass: load}\n  - {id: c, pass: calibrate, needs: [load], with: {max_length: 1}}\n  - {id: o, pass: export, needs: [c], with: {format: qpack}}\n"
        #expect(throws: QZooError.self) { try Pipeline.parse(text: base, file: "x.yaml") }
        let gptq = base.edited(", with: {max_length: 1}", with: "").edited("needs: [c], with: {format", with: "needs: [g], with: {format")
            + "  - {id: g, pass: gptq, needs: [c], with: {bits: 4, damp: 2}}\n"
        do {
            _ = try Pipeline.parse(text: gptq, file: "x.yaml")
            Issue.record("damp 2 was accepted")
        } catch let error as QZooError {
            #expect(error.message.contains("'damp' must be in 0.0...1.0"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
