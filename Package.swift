// swift-tools-version: 6.1
import PackageDescription

/// Settings every target shares: Swift 6 mode with complete strict concurrency and
/// the upcoming features swift-log builds with (see ../shared/STYLE.md).
let strictSettings: [SwiftSetting] = [
    .enableExperimentalFeature("StrictConcurrency=complete"),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    // Each function in its own section, so a release link can drop unused ones and order the rest.
    .unsafeFlags(["-Xfrontend", "-function-sections"], .when(configuration: .release)),
]

/// How the release `memoryd-server` (the daemon and every command) is linked, to keep the idle daemon's resident memory small
/// (linker/README.md, Benchmarks/README.md):
/// - the Swift runtime and FoundationEssentials inside the binary, with only the parts memoryd uses;
/// - lld, with relative relocations packed (`DT_RELR`, glibc 2.36 or later) and no dynamic symbol
///   table for the executable's own symbols: less for the loader to read and write at start;
/// - the functions listed in linker/memoryd.order placed together at the front of `.text`.
let releaseLinkerFlags: [String] = [
    "-static-stdlib", "-use-ld=lld", "-l_FoundationCollections", "-l_FoundationCShims",
    "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
    "-Xlinker", "--no-export-dynamic",
    "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/linker/memoryd.order",
    // A stale entry (a function since renamed or inlined) only costs its place in the order.
    "-Xlinker", "--no-warn-symbol-ordering",
]

/// How the release `memoryd` front is linked: one static executable (glibc and the Swift runtime
/// inside), so a client call maps no shared library and the loader has nothing to relocate. It calls
/// nothing that needs glibc's NSS or `dlopen` at run time (docs/daemon.md, "Two binaries").
let frontLinkerFlags: [String] = [
    "-static-executable", "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
]

let package = Package(
    name: "memoryd",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "JobkitMetrics", targets: ["JobkitMetrics"]),
        .library(name: "Jobkit", targets: ["Jobkit"]),
        .library(name: "JobkitTesting", targets: ["JobkitTesting"]),
        .library(name: "JobkitHealth", targets: ["JobkitHealth"]),
        .library(name: "JobkitDaemon", targets: ["JobkitDaemon"]),
        // The daemon's logic and its client, for the end-to-end tests and benchmarks; not a stable API.
        .library(name: "MemorydCore", targets: ["MemorydCore", "MemorydClient"]),
        // The command users run: the client calls scripts make in loops, in a small static binary, and
        // everything else by exec'ing memoryd-server beside it (docs/daemon.md, "Two binaries").
        .executable(name: "memoryd", targets: ["memoryd"]),
        .executable(name: "memoryd-server", targets: ["memoryd-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        // The daemon's parts run as services of one ServiceGroup (no Foundation in it or its dependencies).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // Helpers every module shares (system calls, named threads); internal to the package, not a product.
        .target(name: "JobkitSupport", path: "Sources/Support", swiftSettings: strictSettings),
        .target(name: "CJobkitMetricsSupport"),
        .target(
            name: "JobkitMetrics",
            dependencies: [
                "CJobkitMetricsSupport", "JobkitSupport", .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            path: "Sources/Metrics",
            swiftSettings: strictSettings
        ),
        .target(
            name: "Jobkit",
            dependencies: [
                "JobkitMetrics", "JobkitSupport",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: strictSettings
        ),
        // libmicrohttpd, loaded with dlopen when a server starts (see its header): client commands do not
        // pay for it. Its headers come from Debian's libmicrohttpd-dev.
        .target(name: "CMicroHTTPD", linkerSettings: [.linkedLibrary("dl")]),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(
            name: "JobkitHealth",
            dependencies: ["Jobkit", "JobkitMetrics", "JobkitSupport", "CYAML"],
            path: "Sources/Health",
            swiftSettings: strictSettings
        ),
        // Installing signal handlers that write to a pipe, for JobkitDaemon's SignalWatcher.
        .target(name: "CJobkitDaemonSupport"),
        .target(
            name: "JobkitDaemon",
            dependencies: [
                "Jobkit", "JobkitMetrics", "JobkitHealth", "JobkitSupport", "CJobkitDaemonSupport", "CMicroHTTPD",
                "CZlib",
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strictSettings
        ),
        // The daemon's client side that needs no Foundation and no server: the socket, the HTTP exchange,
        // submit. The small `memoryd` binary is made of it alone.
        .target(name: "MemorydClient", dependencies: ["JobkitSupport"], swiftSettings: strictSettings),
        .target(name: "CProcessSupport"),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(
            name: "MemorydCore",
            dependencies: [
                "Jobkit", "JobkitMetrics", "JobkitHealth", "JobkitDaemon", "JobkitSupport", "CProcessSupport",
                "CSQLite",
                "CJobkitDaemonSupport", "MemorydClient",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [
                .embedInCode("API/openapi.yaml"), .embedInCode("Web/index.html"), .embedInCode("Web/app.js"),
                .embedInCode("Web/app.css"),
            ],
            swiftSettings: strictSettings
        ),
        // PromQL's test cases evaluated by the rule engine, for scripts/promql-conformance (not a product).
        .executableTarget(
            name: "promql-test-evaluator", dependencies: ["JobkitHealth"], path: "Tools/PromQLTestEvaluator",
            swiftSettings: strictSettings),
        // toml-test's decoder over the config parser, for scripts/toml-conformance (not a product).
        .executableTarget(
            name: "toml-test-decoder", dependencies: ["MemorydCore", "JobkitSupport"], path: "Tools/TOMLTestDecoder",
            swiftSettings: strictSettings),
        // Every command (ArgumentParser) and the daemon; `memoryd` execs it for all but its fast paths.
        .executableTarget(
            name: "memoryd-server",
            dependencies: [
                "MemorydCore", "MemorydClient", "JobkitMetrics", "Jobkit", "JobkitDaemon", "JobkitSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings,
            linkerSettings: [.unsafeFlags(releaseLinkerFlags, .when(configuration: .release))]
        ),
        // `memoryd`: `submit JOB` and `--version` answered here, anything else by memoryd-server.
        .executableTarget(
            name: "memoryd",
            dependencies: ["MemorydClient", "JobkitSupport"],
            swiftSettings: strictSettings,
            linkerSettings: [.unsafeFlags(frontLinkerFlags, .when(configuration: .release))]
        ),
        .target(
            name: "JobkitTesting",
            dependencies: ["Jobkit"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "JobkitMetricsTests",
            dependencies: ["JobkitMetrics", "JobkitSupport", .product(name: "Metrics", package: "swift-metrics")],
            path: "Tests/MetricsTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MemorydTests",
            dependencies: [
                "MemorydCore", "MemorydClient", "memoryd", "memoryd-server", "JobkitTesting", "JobkitHealth",
                "JobkitMetrics", "JobkitSupport",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "JobkitDaemonTests",
            dependencies: ["JobkitDaemon", "Jobkit", "JobkitMetrics", "JobkitSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "JobkitHealthTests",
            dependencies: ["JobkitHealth", "JobkitMetrics", "Jobkit", "JobkitTesting"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "JobkitTests",
            dependencies: ["Jobkit", "JobkitTesting", "JobkitMetrics"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
