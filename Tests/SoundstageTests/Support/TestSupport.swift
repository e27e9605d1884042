import Foundation
@testable import Soundstage

/// Paths of the package, for tests that read example rooms or run the built executable.
enum TestPaths {
    /// The package root (…/Tests/SoundstageTests/Support/TestSupport.swift → four levels up).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let rooms = packageRoot.appendingPathComponent("rooms")
    static let badRooms = packageRoot.appendingPathComponent("Tests/SoundstageTests/Fixtures/bad-rooms")

    static var exampleRooms: [URL] {
        (try? FileManager.default.contentsOfDirectory(at: rooms, includingPropertiesForKeys: nil))?
            .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path } ?? []
    }

    /// A fresh temporary folder.
    static func temporaryFolder() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("soundstage-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A small deterministic generator (SplitMix64) so test signals do not depend on the platform RNG.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A sine of `hertz` at `sampleRate`, `count` samples, peak `amplitude`.
func sine(hertz: Double, sampleRate: Double, count: Int, amplitude: Double = 1) -> [Float] {
    (0..<count).map { Float(amplitude * sin(2 * .pi * hertz * Double($0) / sampleRate)) }
}
