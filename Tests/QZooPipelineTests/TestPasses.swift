#if canImport(Glibc)
import Glibc
#endif
import QZooCore
import QZooPipeline

/// Test-only passes: one that takes a while (to see parallel stages overlap) and one that fails.
struct SlowPass: Pass {
    static let name = "slow"
    static let summary = "pass the checkpoint on after sleeping"
    static let signature = PassSignature(inputs: 1...1, consumes: .checkpoint, produces: .checkpoint, usesTargets: false)

    let milliseconds: Int
    /// Only here so that two slow stages get different cache keys.
    let tag: Int

    init(parameters: inout PassParameters) throws {
        milliseconds = try parameters.int("milliseconds", in: 0...10_000)
        tag = try parameters.int("tag", in: 0...100, default: 0)
    }

    func apply(_ inputs: [PipelineState], context: StageContext) throws -> PipelineState {
        usleep(UInt32(milliseconds * 1000))
        return inputs[0]
    }
}

struct FailingPass: Pass {
    static let name = "fail"
    static let summary = "always fails, after writing a file, to prove no partial output survives"
    static let signature = PassSignature(inputs: 1...1, consumes: .checkpoint, produces: .files, usesTargets: false)

    init(parameters: inout PassParameters) throws {}

    func apply(_ inputs: [PipelineState], context: StageContext) throws -> PipelineState {
        try Fixtures.write("half-written", to: context.directory + "/partial.bin")
        throw QZooError(.invalidArgument, "this pass always fails")
    }
}

extension PassRegistry {
    static let testing = PassRegistry.standard.adding(SlowPass.self).adding(FailingPass.self)
}
