import Foundation
import Soundstage
import XCTest

/// The library as a client program uses it: a room built in code, simulated through the façade,
/// checked against the free-field Green's function — through the public API only (no `@testable`).
final class PublicAPITests: XCTestCase {
    /// A 6 × 5 × 3 m shoebox with α = 0.3 everywhere, an omni speaker 2 m in front of the listener;
    /// geometric only (the exact image sources: the wave part's direct sound is band-limited and
    /// tested on its own).
    func room(rays: Int = 0) throws -> Scene {
        let material = Material(name: "plaster", absorption: BandValues(uniform: 0.3), scattering: BandValues(uniform: 0))
        let speaker = Speaker(name: "S", position: Vec3(3, 3.5, 1.5), orientation: Orientation(facing: Vec3(0, -1, 0)),
                              directivity: .omni, channel: 0, gainDB: 0, delaySeconds: 0)
        var settings = SimulationSettings()
        settings.durationSeconds = .value(0.1)
        settings.rays = .value(rays)
        settings.maxOrder = .value(2)
        settings.airAbsorption = false
        settings.highpassHertz = 0
        settings.wave = .off
        return try Scene(name: "code-room", boundary: .shoebox(width: 6, length: 5, height: 3), materials: ["all": material],
                         speakers: [speaker], listener: Listener(position: Vec3(3, 1.5, 1.5)), simulation: settings)
    }

    func testDirectSoundArrivesAtROverCWithTheFreeFieldAmplitude() throws {
        let scene = try room()
        let simulator = try Simulator(scene: scene, options: SimulationOptions(threads: 2), binaural: false)
        let result = try simulator.run()
        let rir = result.speakers[0].rir
        XCTAssertEqual(rir.receiver, .omni)
        XCTAssertEqual(rir.audio.channelCount, 1)
        XCTAssertEqual(rir.audio.frameCount, Int((0.1 * Double(rir.sampleRate)).rounded()))
        let r = 2.0, c = scene.air.speedOfSound, fs = Double(rir.sampleRate)
        let x = rir.audio.channels[0]
        // The direct sound is the only arrival within the first 2 ms after r/c (the first reflection,
        // from the floor, arrives √(2² + 3²) − 2 = 1.6 m later, 4.7 ms).
        let arrival = r / c * fs
        let window = Int(arrival) - 48 ..< Int(arrival) + 48
        let peak = window.max { abs(x[$0]) < abs(x[$1]) }!
        // Fractional delay by a windowed sinc: the peak sample is the one nearest r/c, and the area
        // under the pulse (its DC gain) is the amplitude 1/(4πr) within 0.5 %.
        XCTAssertLessThanOrEqual(abs(Double(peak) - arrival), 0.5 + 1e-9)
        let area = window.reduce(0.0) { $0 + Double(x[$1]) }
        XCTAssertEqual(area, 1 / (4 * .pi * r), accuracy: 0.005 / (4 * .pi * r))
        // Nothing before the direct sound (beyond the sinc's leading ripple, < 1 % of the peak).
        let before = x[0..<(Int(arrival) - 48)].map { abs($0) }.max()!
        XCTAssertLessThan(before, 0.01 * abs(x[peak]))
    }

    func testTheResultKeyChangesWithEverythingThatChangesTheSamples() throws {
        let scene = try room()
        let base = try Simulator(scene: scene, binaural: false).key
        XCTAssertEqual(try Simulator(scene: scene, options: SimulationOptions(threads: 1), binaural: false).key, base, "threads change no sample")
        XCTAssertNotEqual(try Simulator(scene: scene, options: SimulationOptions(sampleRate: 44100), binaural: false).key, base)
        XCTAssertNotEqual(try Simulator(scene: scene, options: SimulationOptions(seed: 7), binaural: false).key, base)
        var moved = scene
        moved.speakers[0].position.x += 0.001
        XCTAssertNotEqual(try Simulator(scene: moved, binaural: false).key, base)
        var absorbed = scene
        absorbed.surfaces[0].material.absorption = BandValues(uniform: 0.31)
        XCTAssertNotEqual(try Simulator(scene: absorbed, binaural: false).key, base)
    }

    func testBadPlacementsAreRefusedWithTheRoomFilesPath() throws {
        let material = Material(name: "m", absorption: BandValues(uniform: 0.2), scattering: BandValues(uniform: 0))
        let outside = Speaker(name: "S", position: Vec3(7, 1, 1), orientation: Orientation(facing: Vec3(0, -1, 0)),
                              directivity: .omni, channel: 0, gainDB: 0, delaySeconds: 0)
        XCTAssertThrowsError(try Scene(boundary: .shoebox(width: 6, length: 5, height: 3), materials: ["all": material],
                                       speakers: [outside], listener: Listener(position: Vec3(3, 1.5, 1.5)))) { error in
            XCTAssertEqual("\(error)", "speakers[0].position: the speaker at (7.00, 1.00, 1.00) lies outside the room (width 6 m)")
        }
        XCTAssertThrowsError(try Scene(boundary: .shoebox(width: 6, length: 5, height: 3), materials: ["floor": material],
                                       speakers: [], listener: Listener(position: Vec3(3, 1.5, 1.5)))) { error in
            XCTAssertTrue("\(error)".hasPrefix("surfaces: surface"), "\(error)")
        }
        XCTAssertThrowsError(try SimulationOptions(rays: .value(-1)).validate()) { error in
            XCTAssertTrue("\(error)".hasPrefix("--rays:"), "\(error)")
        }
    }
}

/// The README's "For developers" example, as written there, and what it promises.
final class ReadmeExampleTests: XCTestCase {
    func testTheReadmeExampleRunsAndWritesAnOutputSet() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("soundstage-readme-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let plaster = Material(name: "plaster", absorption: BandValues(uniform: 0.3), scattering: BandValues(uniform: 0.05))
        let speaker = Speaker(name: "S", position: Vec3(3, 3.5, 1.5), orientation: Orientation(facing: Vec3(0, -1, 0)),
                              directivity: .omni, channel: 0, gainDB: 0, delaySeconds: 0)
        var scene = try Scene(boundary: .shoebox(width: 6, length: 5, height: 3), materials: ["all": plaster],
                              speakers: [speaker], listener: Listener(position: Vec3(3, 1.5, 1.5)))
        scene.simulation.durationSeconds = .value(0.3) // shorter than the README's "auto", for the test's speed
        let simulator = try Simulator(scene: scene, options: SimulationOptions(rays: .value(20_000)))
        let room = try simulator.run()
        let brir = room.speakers[0].brir!.audio
        XCTAssertEqual(brir.channelCount, 2)
        // A frontal source: both ears hear the direct sound at the same time (±1 sample), r/c after emission.
        func onset(_ x: [Float]) -> Int { let peak = x.map { abs($0) }.max()!; return x.firstIndex { abs($0) > 0.5 * peak }! }
        XCTAssertEqual(onset(brir.channels[0]), onset(brir.channels[1]), accuracy: 1)
        XCTAssertEqual(Double(onset(brir.channels[0])), 2 / scene.air.speedOfSound * 48000, accuracy: 24) // within 0.5 ms (HRIR rise)
        let written = try OutputFolder(outDir: out.path, roomName: scene.name).write(room, plots: true, command: "my program")
        XCTAssertEqual(Set(written), Set(OutputFolder.names(speakers: ["S"], binaural: true, plots: true, wave: room.wavePlan?.enabled ?? false)))
        for name in written { XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("room/\(name)").path), name) }
    }
}
