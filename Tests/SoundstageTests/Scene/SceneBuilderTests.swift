import XCTest
@testable import Soundstage

final class SceneBuilderTests: XCTestCase {
    func room(_ extra: String = "", speakers: String = #"[{"name": "L", "position": [1, 3, 1.2]}]"#,
              listener: String = #"{"position": [2, 1.5, 1.2]}"#) -> String {
        """
        {"room": {"shoebox": {"width": 4, "length": 5, "height": 3}},
         "surfaces": {"all": "concrete", "floor": "carpet-on-pad", "walls": "plaster"},
         "speakers": \(speakers), "listener": \(listener) \(extra)}
        """
    }

    func testMostSpecificMaterialWins() throws {
        let s = try RoomFile.parse(room())
        func m(_ n: String) -> String { s.surfaces.first { $0.name == n }!.material.name }
        XCTAssertEqual(m("floor"), "carpet-on-pad") // own name beats "all"
        XCTAssertEqual(m("left"), "plaster")        // "walls" beats "all"
        XCTAssertEqual(m("ceiling"), "concrete")    // only "all" applies
    }

    func testUserMaterialOverridesBuiltInAndThirdOctavesReduce() throws {
        let s = try RoomFile.parse(room(#", "materials": {"plaster": {"absorption": {"800": 0.1, "1000": 0.2, "1250": 0.3}, "scattering": 0.4}}"#))
        let left = s.surfaces.first { $0.name == "left" }!.material
        XCTAssertEqual(left.absorption[4], 0.2, accuracy: 1e-12) // mean of the three thirds of the 1 kHz octave
        XCTAssertEqual(left.absorption[0], 0.2, accuracy: 1e-12) // held into every band
        XCTAssertEqual(left.scattering[7], 0.4)
    }

    func testStereoLayoutGeometry() throws {
        // Equilateral triangle: spacing 2 m, listener 2 m from each speaker → ±30°, toe-in 30° aimed at the listener.
        let s = try RoomFile.parse("""
        {"room": {"shoebox": {"width": 4.2, "length": 5.6, "height": 2.6}}, "surfaces": {"all": "plaster"},
         "speakers": {"layout": "stereo", "spacing": 2.0, "frontWallDistance": 0.6, "listenerDistance": 2.0, "height": 1.2}}
        """)
        XCTAssertEqual(s.speakers.map(\.name), ["L", "R"])
        let l = s.speakers[0], r = s.speakers[1]
        XCTAssertEqual(l.position.x, 1.1, accuracy: 1e-12)
        XCTAssertEqual(r.position.x, 3.1, accuracy: 1e-12)
        XCTAssertEqual(l.position.y, 5.0, accuracy: 1e-12) // 0.6 m from the front wall at y = 5.6
        XCTAssertEqual(s.listener.position.y, 5.0 - sqrt(3), accuracy: 1e-12)
        let dl = s.listener.direction(of: l.position), dr = s.listener.direction(of: r.position)
        XCTAssertEqual(dl.distance, 2, accuracy: 1e-12)
        XCTAssertEqual(dl.azimuth, 30, accuracy: 1e-9)  // SPEC §1: +azimuth = listener's left
        XCTAssertEqual(dr.azimuth, -30, accuracy: 1e-9)
        XCTAssertEqual(s.toeInDegrees(of: l), 30, accuracy: 1e-9)
        XCTAssertEqual(s.toeInDegrees(of: r), 30, accuracy: 1e-9)
        // Aimed at the listener: the on-axis ray passes through the ear-axis centre.
        XCTAssertEqual(l.orientation.forward.dot((s.listener.position - l.position).normalized), 1, accuracy: 1e-12)
    }

    func testToeInDegreesTurnsTowardTheCentreLine() throws {
        let s = try RoomFile.parse("""
        {"room": {"shoebox": {"width": 4, "length": 5, "height": 3}}, "surfaces": {"all": "plaster"},
         "speakers": {"layout": "stereo", "spacing": 2.0, "frontWallDistance": 0.6, "toeIn": 10}}
        """)
        // From −y turned 10° toward x = 2: L faces (sin 10°, −cos 10°), R faces (−sin 10°, −cos 10°).
        XCTAssertEqual(s.speakers[0].orientation.forward.x, sin(radians(10)), accuracy: 1e-12)
        XCTAssertEqual(s.speakers[1].orientation.forward.x, -sin(radians(10)), accuracy: 1e-12)
        XCTAssertEqual(s.speakers[0].orientation.forward.y, -cos(radians(10)), accuracy: 1e-12)
    }

    func testSurroundLayoutsFollowITUAngles() throws {
        for (layout, expected) in [("5.1", ["L": 30.0, "R": -30, "C": 0, "Ls": 110, "Rs": -110]),
                                   ("7.1", ["L": 30.0, "R": -30, "C": 0, "Lss": 90, "Rss": -90, "Lrs": 135, "Rrs": -135])] {
            let s = try RoomFile.parse("""
            {"room": {"shoebox": {"width": 7, "length": 8, "height": 3}}, "surfaces": {"all": "plaster"},
             "speakers": {"layout": "\(layout)", "radius": 2.2}, "listener": {"position": [3.5, 4, 1.2]}}
            """)
            XCTAssertEqual(Set(s.speakers.map(\.name)), Set(expected.keys))
            for sp in s.speakers {
                let d = s.listener.direction(of: sp.position)
                XCTAssertEqual(d.azimuth, expected[sp.name]!, accuracy: 1e-9, sp.name)
                XCTAssertEqual(d.distance, 2.2, accuracy: 1e-12)
            }
        }
    }

    func testHeadYawRotatesDirections() throws {
        // A speaker at +30° seen with the head turned 30° to the left is straight ahead.
        let s = try RoomFile.parse(room(speakers: #"[{"name": "L", "position": [1, 3.232050807568877, 1.2]}]"#,
                                        listener: #"{"position": [2, 1.5, 1.2], "yaw": 30}"#))
        let d = s.listener.direction(of: s.speakers[0].position)
        XCTAssertEqual(d.azimuth, 0, accuracy: 1e-9)
        let pitched = try RoomFile.parse(room(speakers: #"[{"name": "L", "position": [2, 2.5, 2.2]}]"#,
                                              listener: #"{"position": [2, 1.5, 1.2], "pitch": 45}"#))
        XCTAssertEqual(pitched.listener.direction(of: pitched.speakers[0].position).elevation, 0, accuracy: 1e-9)
    }

    func testObjectsGetMaterialsAndReduceVolume() throws {
        let s = try RoomFile.parse(room(#", "objects": [{"name": "desk", "box": {"min": [0, 0, 0], "max": [1, 0.5, 0.8]}, "material": "sofa"}]"#))
        XCTAssertEqual(s.volume, 60 - 0.4, accuracy: 1e-12)
        let desk = s.surfaces.filter { $0.objectName == "desk" }
        XCTAssertEqual(desk.count, 6)
        XCTAssertTrue(desk.allSatisfy { $0.material.name == "sofa" })
        // Object faces point out of the box, into the air.
        for f in desk {
            let c = f.polygon.centroid
            XCTAssertFalse(s.objects[0].contains(c + 1e-3 * f.polygon.normal))
            XCTAssertTrue(s.objects[0].contains(c - 1e-3 * f.polygon.normal))
        }
    }

    func testEveryExampleRoomValidates() throws {
        let rooms = TestPaths.exampleRooms
        XCTAssertGreaterThanOrEqual(rooms.count, 6)
        for url in rooms {
            let s = try RoomFile.load(path: url.path)
            XCTAssertGreaterThan(s.volume, 0, url.lastPathComponent)
            XCTAssertFalse(s.speakers.isEmpty)
            XCTAssertTrue(s.contains(s.listener.position))
            for sp in s.speakers { XCTAssertTrue(s.contains(sp.position), "\(url.lastPathComponent) \(sp.name)") }
        }
    }

    func testBuiltInLibraryIsLargeCitedAndInRange() {
        XCTAssertGreaterThanOrEqual(BuiltInMaterials.records.count, 30)
        for r in BuiltInMaterials.records {
            XCTAssertNotNil(BuiltInMaterials.sources[r.source], r.name)
            XCTAssertTrue(r.absorption.count >= 6 && r.absorption.allSatisfy { $0 >= 0 && $0 < 1 }, r.name)
        }
        XCTAssertEqual(Set(BuiltInMaterials.records.map(\.name)).count, BuiltInMaterials.records.count) // unique names
    }

    func testWaveSettingsAndTheirErrors() throws {
        XCTAssertEqual(try RoomFile.parse(room()).simulation.wave, .auto)
        XCTAssertEqual(try RoomFile.parse(room(#", "simulation": {"wave": false}"#)).simulation.wave, .off)
        XCTAssertEqual(try RoomFile.parse(room(#", "simulation": {"wave": {"crossover": 180}}"#)).simulation.wave,
                       .on(crossover: .value(180), pointsPerWavelength: 10))
        for (wave, message) in [
            (#"true"#, "simulation.wave: true is not a setting: give \"auto\" or {\"crossover\": Hz}"),
            (#"{"crossover": 20}"#, "simulation.wave.crossover: 20 Hz is out of range"),
            (#"{"pointsPerWavelength": 2}"#, "simulation.wave.pointsPerWavelength: 2 is out of range"),
            (#"{"crosover": 200}"#, "simulation.wave.crosover: unknown key"),
        ] {
            XCTAssertThrowsError(try RoomFile.parse(room(", \"simulation\": {\"wave\": \(wave)}"))) { error in
                XCTAssertTrue("\(error)".hasPrefix(message), "\(error)")
            }
        }
    }

    func testTheAutoCrossoverIsTheSchroederFrequencyWithinItsLimits() throws {
        // 2000 √(T/V) with Eyring's T over 125–500 Hz: a 4 × 5 × 3 m concrete-and-plaster room is live
        // (above 150 Hz); a large absorbent one falls to the 150-Hz floor.
        let live = try RoomFile.parse(room())
        let t = FrequencyBands.octaves.indices(fromHertz: 125, throughHertz: 500).map { live.statisticalRT60().eyring[$0] }
        let expected = 2000 * (t.reduce(0, +) / Double(t.count) / live.volume).squareRoot()
        XCTAssertEqual(live.autoCrossover(), min(300, max(150, expected)), accuracy: 1e-9)
        XCTAssertGreaterThan(live.autoCrossover(), 150)
        let dead = try RoomFile.parse("""
        {"room": {"shoebox": {"width": 20, "length": 30, "height": 10}}, "surfaces": {"all": {"absorption": 0.9}},
         "speakers": [{"name": "L", "position": [5, 5, 2]}], "listener": {"position": [10, 10, 2]}}
        """)
        XCTAssertEqual(dead.autoCrossover(), 150)
    }
}
