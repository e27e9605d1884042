import XCTest
@testable import Soundstage

final class EarlyPatternTests: XCTestCase {
    func testOneWallsReflectionHasTheImageSourcesLevelAndDelay() throws {
        // A 400 m cube: within 20 ms only the wall at y = 0 reflects. Speaker 1 m and listener 1.5 m
        // from it, 2 m apart along it: direct 2.062 m, image path 3.202 m; the level re direct is
        // 20 log(r_d/r_i) + 10 log(1 − α) = −3.82 − 1.55 = −5.37 dB (α 0.3, no scattering, omni).
        let s = try RoomFile.parse("""
        {"room": {"shoebox": {"width": 400, "length": 400, "height": 400}}, "surfaces": {"all": {"absorption": 0.3, "scattering": 0}},
         "speakers": [{"name": "S", "position": [200, 1.0, 201], "directivity": "omni"}], "listener": {"position": [202, 1.5, 201]},
         "simulation": {"airAbsorption": false}}
        """)
        let pattern = try XCTUnwrap(EarlyPattern.compute(scene: s, speaker: 0))
        XCTAssertEqual(pattern.reflections.count, 1)
        let rd = (4.0 + 0.25).squareRoot(), ri = (4.0 + 6.25).squareRoot()
        XCTAssertEqual(pattern.strongestDB, 20 * log10(rd / ri) + 10 * log10(0.7), accuracy: 1e-6)
        XCTAssertEqual(pattern.reflections[0].delay, (ri - rd) / s.air.speedOfSound * 1000, accuracy: 1e-9)
    }

    func testAMirrorSymmetricPairHasASymmetricEarlyPattern() throws {
        func room(right: Double) throws -> Scene {
            try RoomFile.parse("""
            {"room": {"shoebox": {"width": 4.2, "length": 5.6, "height": 2.6}}, "surfaces": {"all": "plaster", "floor": "carpet-on-pad"},
             "speakers": [{"name": "L", "position": [1.2, 4.6, 1.2], "directivity": "omni"},
                          {"name": "R", "position": [\(right), 4.6, 1.2], "directivity": "omni"}],
             "listener": {"position": [2.1, 2.9, 1.2]}}
            """)
        }
        let symmetric = try room(right: 3.0)
        let l = try XCTUnwrap(EarlyPattern.compute(scene: symmetric, speaker: 0))
        let r = try XCTUnwrap(EarlyPattern.compute(scene: symmetric, speaker: 1))
        XCTAssertGreaterThan(l.reflections.count, 5)
        XCTAssertEqual(l.strongestDB, r.strongestDB, accuracy: 1e-9)
        XCTAssertLessThan(EarlyPattern.asymmetry(l, mirrored: r), 1e-9)
        // The right speaker 0.4 m nearer its side wall: its side-wall reflection comes sooner and louder.
        let moved = try room(right: 3.4)
        let r2 = try XCTUnwrap(EarlyPattern.compute(scene: moved, speaker: 1))
        XCTAssertGreaterThan(EarlyPattern.asymmetry(l, mirrored: r2), 0.1)
        XCTAssertGreaterThan(r2.strongestDB, r.strongestDB)
    }
}
