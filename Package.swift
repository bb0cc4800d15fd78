// swift-tools-version: 6.1
import PackageDescription

/// Release builds target Haswell-class CPUs: `SIMD.addProduct` becomes real FMA and Float16
/// conversion uses F16C (about 10x faster than the baseline x86-64 software path).
let cpuFlags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"], .when(platforms: [.linux]))]

let package = Package(
    name: "qzoo",
    products: [
        .executable(name: "qzoo", targets: ["qzoo"]),
        .library(name: "QZooCore", targets: ["QZooCore"]),
        .library(name: "QZooQuant", targets: ["QZooQuant"]),
        .library(name: "QZooFormats", targets: ["QZooFormats"]),
        .library(name: "QZooMath", targets: ["QZooMath"]),
        .library(name: "QZooModels", targets: ["QZooModels"]),
        .library(name: "QZooPipeline", targets: ["QZooPipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(
            name: "CArchive", path: "Sources/CArchive", pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .target(name: "CBFloat16", cSettings: [.unsafeFlags(["-O3", "-fno-strict-aliasing"])]),
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .target(
            name: "QZooCore",
            dependencies: [.product(name: "Collections", package: "swift-collections")],
            swiftSettings: cpuFlags),
        .target(name: "QZooQuant", dependencies: ["QZooCore", "QZooMath", "CBFloat16"], swiftSettings: cpuFlags),
        .target(name: "QZooMath", dependencies: ["QZooCore", "COpenBLAS", "CBFloat16"], swiftSettings: cpuFlags),
        .target(
            name: "QZooModels", dependencies: ["QZooCore", "QZooMath"],
            exclude: ["Resources/README.md"],
            resources: [.embedInCode("Resources/calibration-en.txt")],
            swiftSettings: cpuFlags),
        .target(
            name: "QZooFormats",
            dependencies: [
                "QZooCore", "QZooMath", "QZooQuant", "CArchive", "CZstd",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: cpuFlags),
        .target(
            name: "QZooPipeline",
            dependencies: ["QZooCore", "QZooQuant", "QZooFormats", "QZooModels", .product(name: "Yams", package: "Yams")],
            swiftSettings: cpuFlags),
        .executableTarget(
            name: "qzoo",
            dependencies: [
                "QZooCore", "QZooQuant", "QZooFormats", "QZooMath", "QZooModels", "QZooPipeline", "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: cpuFlags),
        // Helpers every test target shares (seeded generator, temporary directories).
        .target(name: "QZooTestSupport", dependencies: ["QZooFormats"], path: "Tests/QZooTestSupport"),
        .testTarget(name: "QZooCoreTests", dependencies: ["QZooCore"], swiftSettings: cpuFlags),
        .testTarget(name: "QZooMathTests", dependencies: ["QZooMath", "QZooCore"], swiftSettings: cpuFlags),
        .testTarget(
            name: "QZooModelsTests", dependencies: ["QZooTestSupport", "QZooModels", "QZooMath", "QZooCore", "QZooFormats", "QZooQuant"],
            swiftSettings: cpuFlags),
        .testTarget(
            name: "QZooQuantTests", dependencies: ["QZooTestSupport", "QZooQuant", "QZooCore", "QZooFormats", "QZooMath"],
            swiftSettings: cpuFlags),
        .testTarget(
            name: "QZooFormatsTests",
            dependencies: ["QZooTestSupport", "QZooFormats", "QZooQuant", "QZooCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: cpuFlags),
        .testTarget(
            name: "QZooPipelineTests", dependencies: ["QZooTestSupport", "QZooPipeline", "QZooFormats", "QZooQuant", "QZooModels", "QZooCore"],
            swiftSettings: cpuFlags),
    ]
)
