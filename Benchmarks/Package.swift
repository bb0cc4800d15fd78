// swift-tools-version: 6.1
import PackageDescription

/// Release benchmarks of qzoo's hot paths (ordo-one/benchmark). A separate package so the main
/// build and `make test` never compile the benchmark harness. Run through `make bench`, which also
/// times the reference Python tools on the same data and prints the ratios.
let package = Package(
    name: "qzoo-benchmarks",
    dependencies: [
        .package(name: "qzoo", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "FormatBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "QZooCore", package: "qzoo"),
                .product(name: "QZooFormats", package: "qzoo"),
            ],
            path: "Benchmarks/FormatBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
