#if canImport(Glibc)
import Glibc
#endif
import Benchmark
import QZooCore
import QZooFormats

/// The model the benchmarks load: `$QZOO_MODEL_DIR/model.safetensors` (make bench sets it).
let modelPath = (getenv("QZOO_MODEL_DIR").map { String(cString: $0) } ?? ".cache/models/all-MiniLM-L6-v2") + "/model.safetensors"

/// Sums every byte so the whole tensor data is really read (a lazy mmap would otherwise skip it).
func touchEveryByte(_ checkpoint: Checkpoint) -> UInt64 {
    var total: UInt64 = 0
    for tensor in checkpoint.tensors.values {
        tensor.withBytes { raw in
            var words: UInt64 = 0
            let count = raw.count / 8
            for i in 0..<count { words &+= raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) }
            for i in (count * 8)..<raw.count { words &+= UInt64(raw[i]) }
            total &+= words
        }
    }
    return total
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], timeUnits: .milliseconds, maxDuration: .seconds(10), maxIterations: 50)

    Benchmark("load safetensors + read every byte") { benchmark in
        let checkpoint = try SafetensorsReader.read(path: modelPath)
        blackHole(touchEveryByte(checkpoint))
    }

    Benchmark("convert safetensors -> npz") { benchmark in
        let checkpoint = try SafetensorsReader.read(path: modelPath)
        let out = "/tmp/qzoo-bench-\(getpid()).npz"
        try CheckpointIO.write(checkpoint, to: out, format: .npz, options: WriteOptions(overwrite: true))
        benchmark.stopMeasurement()
        unlink(out)
    }
}
