// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for memoryd's parsers and its HTTP request path. Built only with sanitizers, by
// fuzz.sh in this folder (see README.md):
//   swift build -Xswiftc -sanitize=fuzzer,address
// Each target is an executable whose libFuzzer driver is started from main.swift; they are linked with
// lld, which lets libFuzzer's own main stay out (SwiftPM names the executable's entry point).
let fuzzerLink: [LinkerSetting] = [.unsafeFlags(["-use-ld=lld"])]

let package = Package(
    name: "memoryd-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "memoryd", path: "..")],
    targets: [
        .target(name: "FuzzSupport", swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(
            name: "FuzzPromQL",
            dependencies: ["FuzzSupport", .product(name: "JobkitHealth", package: "memoryd")],
            swiftSettings: [.swiftLanguageMode(.v6)], linkerSettings: fuzzerLink),
        .executableTarget(
            name: "FuzzTOML",
            dependencies: ["FuzzSupport", .product(name: "MemorydCore", package: "memoryd")],
            swiftSettings: [.swiftLanguageMode(.v6)], linkerSettings: fuzzerLink),
        .executableTarget(
            name: "FuzzRuleFile",
            dependencies: ["FuzzSupport", .product(name: "JobkitHealth", package: "memoryd")],
            swiftSettings: [.swiftLanguageMode(.v6)], linkerSettings: fuzzerLink),
        .executableTarget(
            name: "FuzzHTTPRequest",
            dependencies: [
                "FuzzSupport", .product(name: "MemorydCore", package: "memoryd"),
                .product(name: "JobkitDaemon", package: "memoryd"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)], linkerSettings: fuzzerLink),
    ]
)
