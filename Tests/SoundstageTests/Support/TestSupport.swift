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

/// The omni RIR of speaker 0 through the propagation and synthesis stages (the façade's path, for
/// tests that look at one stage's output as a signal).
func hybridRIR(_ s: Scene, plan: ResolvedSimulation) -> [Float] {
    ImpulseSynthesis.omni(HybridSimulator.run(scene: s, speakerIndex: 0, plan: plan), scene: s, plan: plan)
}

/// Image sources alone, with their omni RIR from the synthesis stage.
struct ImageSourceRun {
    let result: ImageSourceResult
    let rir: [Float]
    var paths: [Path] { result.paths }
    var lateEnergy: [Double] { result.lateEnergy }
    var lateLateralEnergy: [Double] { result.lateLateralEnergy }
    var imageCount: Int { result.imageCount }
    var usedShoebox: Bool { result.usedShoebox }
}

func imageSources(_ s: Scene, plan: ResolvedSimulation, speaker: Int = 0) -> ImageSourceRun {
    let r = ImageSourceEngine.run(scene: s, speakerIndex: speaker, plan: plan)
    return ImageSourceRun(result: r, rir: ImpulseSynthesis.omni(r, scene: s, plan: plan))
}

/// What a run of the `soundstage` executable printed and returned.
struct CLIRun { var status: Int32; var stdout: String; var stderr: String }

/// The built `soundstage` executable (beside the test bundle, in .build/<triple>/<config>/).
var soundstageExecutable: URL {
    let bundle = Bundle(for: BundleMarker.self).bundleURL
    return [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("soundstage") }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? bundle.appendingPathComponent("soundstage")
}
private final class BundleMarker {}

/// Starts `soundstage` with `arguments` in the package root; the caller waits or signals it.
func startSoundstage(_ arguments: [String], environment: [String: String]? = nil) throws -> (process: Process, stdout: Pipe, stderr: Pipe) {
    let process = Process()
    process.executableURL = soundstageExecutable
    process.arguments = arguments
    if let environment { process.environment = environment }
    process.currentDirectoryURL = TestPaths.packageRoot
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    return (process, out, err)
}

/// Runs `soundstage` as a user would and waits for it.
func runSoundstage(_ arguments: [String], environment: [String: String]? = nil) throws -> CLIRun {
    let (process, out, err) = try startSoundstage(arguments, environment: environment)
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CLIRun(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}
