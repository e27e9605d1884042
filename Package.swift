// swift-tools-version: 6.1
// Soundstage — a virtual room acoustics simulator for in-ear monitors and headphones.
import Foundation
import PackageDescription

/// One system-library target per C library; each is wrapped by one small Swift type in
/// `Soundstage` and imported nowhere else (see DESIGN.md).
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

/// `SOUNDSTAGE_NATIVE=1 swift build -c release` builds the engine for the CPU it is built on when
/// that CPU has AVX2 and FMA (x86-64 "haswell" and later): Swift has no run-time dispatch, and its
/// SIMD types otherwise compile to SSE2 — half the width, no fused multiply-add (FFTW and glibc's
/// libm choose their code at run time already). It is opt-in: the default build is portable, is
/// accepted by SwiftPM as a dependency (no unsafe flags), and gives the same samples on every
/// x86-64 machine. Fused multiply-adds round differently, so a native build's outputs differ from the
/// portable build's in the last bits (each build is still deterministic for any thread count).
let cpuSettings: [SwiftSetting] = {
    #if arch(x86_64) && os(Linux)
    guard ProcessInfo.processInfo.environment["SOUNDSTAGE_NATIVE"] == "1",
          let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
    let features = Set(flags.split(separator: " ").map(String.init))
    guard ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe"].allSatisfy(features.contains) else { return [] }
    return [.unsafeFlags(["-target-cpu", "haswell"])]
    #else
    return []
    #endif
}()

let package = Package(
    name: "Soundstage",
    products: [
        .library(name: "Soundstage", targets: ["Soundstage"]),
        .executable(name: "soundstage", targets: ["SoundstageCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The studio's HTTP server (SPEC §8). Its default traits pull swift-configuration, which the studio does not use.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    ],
    targets: [
        systemLibrary("CFFTW", pkgConfig: "fftw3f", apt: "libfftw3-dev"),
        systemLibrary("CSndFile", pkgConfig: "sndfile", apt: "libsndfile1-dev"),
        systemLibrary("CPNG", pkgConfig: "libpng16", apt: "libpng-dev"),
        systemLibrary("CMySofa", pkgConfig: "libmysofa", apt: "libmysofa-dev"),
        systemLibrary("CCairo", pkgConfig: "cairo", apt: "libcairo2-dev"),
        systemLibrary("CCrypto", pkgConfig: "libcrypto", apt: "libssl-dev"),
        systemLibrary("CEBUR128", pkgConfig: "libebur128", apt: "libebur128-dev"),
        systemLibrary("CHDF5", pkgConfig: "hdf5", apt: "libhdf5-dev"),
        systemLibrary("CNetCDF", pkgConfig: "netcdf", apt: "libnetcdf-dev"),
        // libpng reports errors by longjmp, which Swift cannot catch: the setjmp lives here.
        .target(name: "PNGShim", dependencies: ["CPNG"]),
        .target(
            name: "Soundstage",
            dependencies: ["CFFTW", "CSndFile", "PNGShim", "CMySofa", "CCairo", "CCrypto", "CEBUR128", "CHDF5", "CNetCDF"],
            swiftSettings: cpuSettings
        ),
        // `soundstage studio`: the HTTP API over the library and the page (Assets/) it serves.
        .target(
            name: "SoundstageStudio",
            dependencies: ["Soundstage", .product(name: "Hummingbird", package: "hummingbird")],
            resources: [.copy("Assets")]
        ),
        .executableTarget(
            name: "SoundstageCLI",
            dependencies: [
                "Soundstage",
                "SoundstageStudio",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmarks print figures for `make bench`; they are not part of the library or the tests.
        .executableTarget(name: "SoundstageBench", dependencies: ["Soundstage", "SoundstageStudio"], path: "Benchmarks"),
        .executableTarget(name: "SoundstageValidate", dependencies: ["Soundstage"], path: "Validation"),
        // The fuzzer of `make fuzz` (mutated inputs through the `soundstage` executable); the tests run a small seeded round.
        .executableTarget(name: "SoundstageFuzz", dependencies: ["Soundstage"], path: "Fuzz"),
        .testTarget(name: "SoundstageTests", dependencies: ["Soundstage"], exclude: ["Fixtures"]),
        // The studio's API on a real socket, and the page in a real (headless) browser.
        .testTarget(name: "SoundstageStudioTests", dependencies: ["SoundstageStudio", "Soundstage", .product(name: "Hummingbird", package: "hummingbird")]),
        // Uses the library as a client program would: `import Soundstage`, no `@testable`.
        .testTarget(name: "SoundstagePublicAPITests", dependencies: ["Soundstage"]),
    ]
)
