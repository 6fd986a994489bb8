// swift-tools-version: 6.1
import PackageDescription

// Benchmarks against side-by-side baselines measured in the same run: JobkitMetrics against a bare
// `Atomic<UInt64>` and swift-server/swift-prometheus, the daemon's I/O paths against plain ones, and
// Jobkit's scheduler against a bare TaskGroup. Run with `swift package benchmark` from this directory
// (see README.md).
let package = Package(
    name: "memoryd-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "memoryd", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .executableTarget(
            name: "MetricsBenchmarks",
            dependencies: [
                .product(name: "JobkitMetrics", package: "memoryd"),
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Benchmarks/MetricsBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "JobkitBenchmarks",
            dependencies: [
                .product(name: "Jobkit", package: "memoryd"),
                .product(name: "JobkitMetrics", package: "memoryd"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/JobkitBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "DaemonBenchmarks",
            dependencies: [
                .product(name: "Jobkit", package: "memoryd"),
                .product(name: "JobkitDaemon", package: "memoryd"),
                .product(name: "MemorydCore", package: "memoryd"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/DaemonBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
