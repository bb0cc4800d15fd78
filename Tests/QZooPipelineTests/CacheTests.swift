import Testing
import QZooTestSupport
import QZooCore
import QZooFormats
import QZooPipeline

@Suite struct CacheTests {
    static let pipeline = """
        name: w4
        stages:
          - {id: load, pass: load}
          - {id: quantize, pass: rtn, needs: [load], with: {bits: 4, group_size: 8}}
          - {id: export, pass: export, needs: [quantize], with: {format: qpack}}
          - {id: bundle, pass: bundle, needs: [export], with: {level: 5}}
        """

    func statuses(_ report: RunReport) -> [StageStatus] { report.stages.map(\.status) }

    @Test func aSecondRunReusesEveryStage() throws {
        let root = try TemporaryDirectory()
        let model = try Fixtures.model(in: root.path)
        let first = try Fixtures.run(Self.pipeline, model: model, root: root.path)
        #expect(statuses(first) == [.ran, .ran, .ran, .ran])
        let bundle = try Fixtures.read(root.path + "/out/w4.tar.zst")
        let second = try Fixtures.run(Self.pipeline, model: model, root: root.path)
        #expect(statuses(second) == [.notNeeded, .notNeeded, .notNeeded, .cached])
        #expect(try Fixtures.read(root.path + "/out/w4.tar.zst") == bundle)
        #expect(first.stages.map(\.key) == second.stages.map(\.key))
    }

    @Test func changingAParameterRerunsExactlyTheStagesAfterIt() throws {
        let root = try TemporaryDirectory()
        let model = try Fixtures.model(in: root.path)
        _ = try Fixtures.run(Self.pipeline, model: model, root: root.path)
        let level = try Fixtures.run(Self.pipeline.edited("level: 5", with: "level: 6"), model: model, root: root.path)
        #expect(statuses(level) == [.notNeeded, .notNeeded, .cached, .ran])
        let bits = try Fixtures.run(Self.pipeline.edited("bits: 4", with: "bits: 3"), model: model, root: root.path)
        #expect(statuses(bits) == [.ran, .ran, .ran, .ran])
        let spelledDefault = try Fixtures.run(Self.pipeline.edited("group_size: 8", with: "group_size: 8, sym: false"), model: model, root: root.path)
        #expect(statuses(spelledDefault)[1] == .notNeeded, "spelling out a default is the same parameters")
    }

    @Test func changingAnInputByteRerunsEverything() throws {
        let root = try TemporaryDirectory()
        let model = try Fixtures.model(in: root.path)
        let first = try Fixtures.run(Self.pipeline, model: model, root: root.path)
        var bytes = try Fixtures.read(model + "/model.safetensors")
        bytes[bytes.count - 1] ^= 0x01
        try AtomicFile.write(to: model + "/model.safetensors", overwrite: true) { try $0.write(bytes) }
        let second = try Fixtures.run(Self.pipeline, model: model, root: root.path)
        #expect(statuses(second) == [.ran, .ran, .ran, .ran])
        #expect(zip(first.stages, second.stages).allSatisfy { $0.key != $1.key })
        try Fixtures.write("{\"model_type\": \"other\"}\n", to: model + "/config.json")
        let third = try Fixtures.run(Self.pipeline, model: model, root: root.path)
        #expect(statuses(third) == [.ran, .ran, .ran, .ran], "side files are inputs too")
    }

    @Test func bundlesAreByteIdenticalAcrossFoldersAndCaches() throws {
        let one = try TemporaryDirectory(), two = try TemporaryDirectory()
        let yaml = Self.pipeline.edited("format: qpack}", with: "format: qdq-json}")
        _ = try Fixtures.run(yaml, model: try Fixtures.model(in: one.path), root: one.path, jobs: 1)
        _ = try Fixtures.run(yaml, model: try Fixtures.model(in: two.path), root: two.path, jobs: 2)
        let a = try Fixtures.read(one.path + "/out/w4.tar.zst")
        #expect(a == (try Fixtures.read(two.path + "/out/w4.tar.zst")))
        let verified = try BundleVerifier.verify(path: one.path + "/out/w4.tar.zst")
        #expect(verified.members.map(\.path) == ["config.json", "manifest.json", "model.dense.safetensors", "model.qdq.bin", "model.qdq.json", "pipeline.yaml"])
        #expect(verified.manifest["model"] == .string("tiny"))
    }

    @Test func anExistingDifferentOutputIsReplacedOnlyWithForce() throws {
        let root = try TemporaryDirectory()
        let model = try Fixtures.model(in: root.path)
        try Directories.make(root.path + "/out")
        try Fixtures.write("something else", to: root.path + "/out/w4.tar.zst")
        let pipeline = try Pipeline.parse(text: Self.pipeline, file: "test.yaml")
        let context = RunContext(model: try ModelSource(path: model), modelName: "tiny", pipelineName: "w4", pipelineText: pipeline.text)
        let options = RunOptions(cacheDirectory: root.path + "/cache", outDirectory: root.path + "/out", force: false)
        #expect(throws: QZooError.self) { try PipelineRunner.run(pipeline, context: context, options: options) }
        #expect(try Fixtures.read(root.path + "/out/w4.tar.zst") == Array("something else".utf8))
    }

    @Test func dryRunPlansWithoutRunning() throws {
        let root = try TemporaryDirectory()
        let model = try Fixtures.model(in: root.path)
        let pipeline = try Pipeline.parse(text: Self.pipeline, file: "test.yaml")
        let context = RunContext(model: try ModelSource(path: model), modelName: "tiny", pipelineName: "w4", pipelineText: pipeline.text)
        let options = RunOptions(cacheDirectory: root.path + "/cache", outDirectory: root.path + "/out", dryRun: true)
        let plan = try PipelineRunner.run(pipeline, context: context, options: options)
        #expect(statuses(plan) == [.wouldRun, .wouldRun, .wouldRun, .wouldRun])
        #expect(plan.outputs == [root.path + "/out/w4.tar.zst"])
        #expect(try listDirectory(root.path + "/cache").isEmpty)
        _ = try Fixtures.run(Self.pipeline, model: model, root: root.path)
        #expect(statuses(try PipelineRunner.run(pipeline, context: context, options: options)) == [.notNeeded, .notNeeded, .notNeeded, .cached])
    }
}
