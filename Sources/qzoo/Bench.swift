import ArgumentParser

/// `qzoo bench`: speed measurements against this machine's sgemm rate, one mode per workload.
/// `forward` is the default, so `qzoo bench MODEL` times the forward pass and calibration.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure forward-pass, calibration or GPTQ speed against this machine's sgemm rate.",
        subcommands: [BenchForward.self, BenchGPTQ.self],
        defaultSubcommand: BenchForward.self)
}
