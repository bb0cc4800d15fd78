import Testing
import QZooTestSupport
import QZooCore
import QZooFormats
import QZooPipeline

@Suite struct SchedulingTests {
    static let branches = """
        name: branches
        stages:
          - {id: load, pass: load}
          - {id: a, pass: slow, needs: [load], with: {milliseconds: 400, tag: 1}}
          - {id: b, pass: slow, needs: [load], with: {milliseconds: 400, tag: 2}}
          - {id: qa, pass: rtn, needs: [a], with: {bits: 4}}
          - {id: qb, pass: rtn, needs: [b], with: {bits: 8}}
          - {id: ea, pass: export, needs: [qa], with: {format: qpack, name: a}}
          - {id: eb, pass: export, needs: [qb], with: {format: qpack, name: b}}
          - {id: bundle, pass: bundle, needs: [ea, eb]}
        """

    /// Whether the two stages' run intervals intersect.
    func overlap(_ report: RunReport, _ x: String, _ y: String) throws -> Bool {
        let a = try #require(report.outcome(x)), b = try #require(report.outcome(y))
        let (aStart, aEnd, bStart, bEnd) = (try #require(a.started), try #require(a.finished), try #require(b.started), try #require(b.finished))
        return aStart < bEnd && bStart < aEnd
    }

    @Test func independentBranchesOverlapWithTwoJobsAndNotWithOne() throws {
        let root = try TemporaryDirectory()
        let model = try Fixtures.model(in: root.path)
        let parallel = try Fixtures.run(Self.branches, model: model, root: root.path + "/p", jobs: 2, registry: .testing)
        #expect(parallel.stages.allSatisfy { $0.status == .ran })
        #expect(try overlap(parallel, "a", "b"), "with -j 2 the two slow branches should run at the same time")
        let serial = try Fixtures.run(Self.branches, model: model, root: root.path + "/s", jobs: 1, registry: .testing)
        #expect(try !overlap(serial, "a", "b"), "with -j 1 stages must not overlap")
        let order = serial.stages.compactMap { stage in stage.started.map { (stage.id, $0) } }.sorted { $0.1 < $1.1 }.map(\.0)
        #expect(order.firstIndex(of: "bundle") == order.count - 1)
        #expect(try Fixtures.read(root.path + "/p/out/branches.tar.zst") == Fixtures.read(root.path + "/s/out/branches.tar.zst"))
    }

    @Test func aFailingStageBlocksItsDependantsAndLeavesNoOutput() throws {
        let root = try TemporaryDirectory()
        let model = try Fixtures.model(in: root.path)
        let yaml = """
            name: failing
            stages:
              - {id: load, pass: load}
              - {id: broken, pass: fail, needs: [load]}
              - {id: quantize, pass: rtn, needs: [load], with: {bits: 8}}
              - {id: good, pass: export, needs: [quantize], with: {format: qpack}}
              - {id: bundle, pass: bundle, needs: [broken, good]}
            """
        let report = try Fixtures.run(yaml, model: model, root: root.path, registry: .testing)
        #expect(report.status("broken") == .failed)
        #expect(report.failure?.message.contains("stage 'broken': this pass always fails") == true)
        #expect(report.status("bundle") == .blocked)
        #expect(report.status("good") == .ran, "an independent branch still finishes")
        #expect(report.outputs.isEmpty)
        #expect((try? listDirectory(root.path + "/out")) == nil, "nothing may be written to --out")
        let cache = try listDirectory(root.path + "/cache")
        #expect(!cache.contains(try #require(report.outcome("broken")).key), "a failed stage leaves no cache entry")
        #expect(cache.contains(try #require(report.outcome("good")).key))
        #expect(!cache.contains { $0.hasPrefix(".qzoo-tmp") }, "no temporary left behind: \(cache)")
    }
}
