import Foundation
import Soundstage
@testable import SoundstageStudio
import XCTest

/// The preview quality never does more work than the room file asks, and lowers what it may: the
/// wave part's crossover to at most 120 Hz whether the room gives it or leaves it automatic.
final class StudioQualityTests: XCTestCase {
    func crossover(_ scene: Scene, _ quality: StudioQuality) throws -> Double? {
        let simulator = try Simulator(scene: scene, options: quality.options(for: scene, threads: 1), binaural: false)
        return simulator.wavePlan.map(\.crossover)
    }

    func testPreviewLowersTheWaveCrossoverWhetherAutomaticOrGiven() throws {
        var scene = try RoomFile.load(path: "rooms/home-studio.json")
        guard case .auto = scene.simulation.wave else { return XCTFail("the home studio's wave part is expected to be automatic") }
        let automatic = scene.autoCrossover()
        XCTAssertGreaterThan(automatic, StudioQuality.previewCrossoverHertz)
        XCTAssertEqual(try crossover(scene, .full)!, automatic, accuracy: 1e-9)
        XCTAssertEqual(try crossover(scene, .preview)!, StudioQuality.previewCrossoverHertz, accuracy: 1e-9)

        scene.simulation.wave = .on(crossover: .value(90), pointsPerWavelength: 10)
        XCTAssertEqual(try crossover(scene, .preview)!, 90, accuracy: 1e-9) // already below the preview's
        scene.simulation.wave = .on(crossover: .value(250), pointsPerWavelength: 10)
        XCTAssertEqual(try crossover(scene, .preview)!, StudioQuality.previewCrossoverHertz, accuracy: 1e-9)
        scene.simulation.wave = .off
        XCTAssertNil(try crossover(scene, .preview))
    }

    func testPreviewCapsRaysAndOrderButNeverRaisesThem() throws {
        var scene = try RoomFile.load(path: "rooms/home-studio.json")
        let preview = try Simulator(scene: scene, options: StudioQuality.preview.options(for: scene, threads: 1), binaural: false).plan
        XCTAssertEqual(preview.rays, StudioQuality.previewRays)
        XCTAssertEqual(preview.maxOrder, StudioQuality.previewOrder)
        scene.simulation.rays = .value(1000)
        scene.simulation.maxOrder = .value(2)
        let small = try Simulator(scene: scene, options: StudioQuality.preview.options(for: scene, threads: 1), binaural: false).plan
        XCTAssertEqual(small.rays, 1000)
        XCTAssertEqual(small.maxOrder, 2)
    }
}
