// swift-tools-version: 6.1
import PackageDescription

/// libFuzzer targets, one per header parser. A separate package because fuzz executables have no
/// `main` of their own (libFuzzer supplies it), which a normal `swift build` would reject.
/// Build and run through `make fuzz` (Fuzz/run.sh).
let package = Package(
    name: "qzoo-fuzz",
    dependencies: [.package(name: "qzoo", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzSafetensors", dependencies: ["FuzzSupport", .product(name: "QZooFormats", package: "qzoo"), .product(name: "QZooCore", package: "qzoo")]),
        .executableTarget(name: "FuzzJSON", dependencies: ["FuzzSupport", .product(name: "QZooCore", package: "qzoo")]),
        .executableTarget(name: "FuzzNpy", dependencies: ["FuzzSupport", .product(name: "QZooFormats", package: "qzoo"), .product(name: "QZooCore", package: "qzoo")]),
        .executableTarget(name: "FuzzQPack", dependencies: ["FuzzSupport", .product(name: "QZooFormats", package: "qzoo"), .product(name: "QZooCore", package: "qzoo")]),
        .executableTarget(name: "FuzzQDQJSON", dependencies: ["FuzzSupport", .product(name: "QZooFormats", package: "qzoo"), .product(name: "QZooCore", package: "qzoo")]),
    ]
)
