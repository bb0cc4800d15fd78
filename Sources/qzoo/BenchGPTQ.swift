import ArgumentParser
import Foundation
import QZooCore
import QZooFormats
import QZooMath
import QZooQuant

struct BenchGPTQ: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gptq",
        abstract: "Time GPTQ on every weight that has a Hessian in a calibration file.",
        discussion: """
            Reads CHECKPOINT and CALIB (NAME.hessian matrices, e.g. from 'qzoo calibrate') first, \
            then times only the rounding: every weight with a Hessian is quantized as \
            'qzoo quantize --method gptq' does (all weights in parallel), --repeat times; the best \
            run is reported, with the sgemm rate measured in the same process.

            GFLOP/s counts the work GPTQ needs per [rows × n] weight: n³/3 to factor the n×n \
            Hessian (one Cholesky) and rows·n·(n−1) for the error feedback (one multiply-add \
            per row for every pair of columns j < t).

            Example:
              qzoo bench gptq all-MiniLM-L6-v2/model.safetensors --calibration calib.safetensors --bits 4 --group-size 128
            """)

    @Argument(help: "Checkpoint holding the weights (file or directory).")
    var checkpoint: String

    @Option(help: ArgumentHelp("Calibration file with NAME.hessian matrices.", valueName: "calib"))
    var calibration: String

    @Option(help: "Bits per weight.")
    var bits = 4

    @Option(help: ArgumentHelp("Input columns per scale (0: one scale per output row).", valueName: "g"))
    var groupSize = 128

    @Flag(help: "Quantize columns in order of decreasing Hessian diagonal.")
    var actOrder = false

    @Option(help: ArgumentHelp("Timed runs; the fastest is reported.", valueName: "n"))
    var `repeat` = 3

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func run() throws {
        let (source, _) = try CheckpointIO.read(path: checkpoint)
        let (file, _) = try CheckpointIO.read(path: calibration)
        var jobs: [(weight: Tensor, hessian: [Double])] = []
        for (name, tensor) in source.tensors {
            guard let hessian = file.tensors[name + ".hessian"] else { continue }
            let (_, columns) = try tensor.weightMatrixShape()
            guard hessian.dtype.isFloatingPoint, hessian.shape == [columns, columns] else {
                throw QZooError.malformed("must be a floating-point [\(columns), \(columns)] matrix, found \(hessian.dtype.rawValue) \(hessian.shape)",
                                          tensor: name + ".hessian").inFile(calibration)
            }
            jobs.append((tensor, GPTQCalibration.doubles(hessian)))
        }
        guard !jobs.isEmpty else {
            throw QZooError(.invalidArgument, "no weight of \(checkpoint) has a NAME.hessian in \(calibration)")
        }
        let quantizer = try GPTQQuantizer(parameters: GPTQParameters(bits: bits, groupSize: groupSize > 0 ? groupSize : nil, actOrder: actOrder))
        let sgemm = try SgemmRate.measure()
        let inputs = jobs
        var runs: [Double] = []
        for _ in 0..<max(self.repeat, 1) {
            let start = MonotonicClock.seconds()
            _ = try parallelMapLargestFirst(count: inputs.count, cost: { GPTQQuantizer.cost(of: inputs[$0].weight) }) {
                try quantizer.quantize(inputs[$0].weight, hessian: inputs[$0].hessian)
            }
            runs.append(MonotonicClock.seconds() - start)
        }
        try report(jobs: jobs, runs: runs, sgemm: sgemm)
    }

    private func report(jobs: [(weight: Tensor, hessian: [Double])], runs: [Double], sgemm: Double) throws {
        let best = runs.min() ?? 0
        let flops = jobs.reduce(0.0) { $0 + GPTQQuantizer.cost(of: $1.weight) }
        let gflops = flops / best / 1e9
        let values: [(String, JSONValue, String)] = [
            ("openblas_core", .string(BLAS.coreName), BLAS.coreName), ("openblas_threads", .int(BLAS.threadCount), String(BLAS.threadCount)),
            ("sgemm_gflops", .double(sgemm), format(sgemm)), ("weights", .int(jobs.count), String(jobs.count)),
            ("bits", .int(bits), String(bits)), ("group_size", .int(groupSize), String(groupSize)),
            ("runs_seconds", .array(runs.map { .double($0) }), runs.map { format($0, 3) }.joined(separator: " ")),
            ("best_seconds", .double(best), format(best, 3)),
            ("gflop", .double(flops / 1e9), format(flops / 1e9, 2)),
            ("gflops", .double(gflops), format(gflops)),
            ("fraction_of_sgemm", .double(gflops / sgemm), format(gflops / sgemm, 3)),
        ]
        if json {
            print(JSONWriter.serialize(.object(values.map { (key: $0.0, value: $0.1) })))
        } else {
            print(TextTable.render(values.map { [$0.0, $0.2] }, rightAligned: [1]).joined(separator: "\n"))
        }
    }

    func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
}
