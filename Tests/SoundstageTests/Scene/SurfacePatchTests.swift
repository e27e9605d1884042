import XCTest
@testable import Soundstage

/// Patches (a window, a door, a rug): the cut-out geometry, every engine against an independent
/// reference, and the messages of patches that do not fit.
final class SurfacePatchTests: XCTestCase {
    static let patches = #"""
        [{"name": "window", "surface": "%RIGHT%", "rect": [[0.8, 0.9], [3.1, 2.2]], "material": "window-glass"},
         {"name": "door", "surface": "%BACK%", "rect": [[4.2, 0], [5.1, 2.1]], "material": {"absorption": 0.5}},
         {"name": "rug", "surface": "floor", "polygon": [[1.5, 1.0], [4.0, 1.2], [3.6, 3.0], [1.8, 2.6]], "material": "carpet-on-felt"}]
        """#

    func room(_ shape: String, right: String, back: String, patches: String = patches, simulation: String = #"{"airAbsorption": false, "highpass": 0, "duration": 0.06, "maxOrder": 5}"#) throws -> Scene {
        let p = patches.replacingOccurrences(of: "%RIGHT%", with: right).replacingOccurrences(of: "%BACK%", with: back)
        return try RoomFile.parse("""
        {"room": \(shape), "surfaces": {"all": "plaster", "floor": "parquet"}, "patches": \(p),
         "speakers": [{"name": "S", "position": [1.31, 2.17, 1.43], "directivity": "omni"}],
         "listener": {"position": [4.13, 1.71, 1.62]}, "simulation": \(simulation)}
        """)
    }

    func testCutoutKeepsAreasAndContainment() throws {
        let wall = [Vec2(0, 0), Vec2(4, 0), Vec2(4, 3), Vec2(0, 3)]
        let window = [Vec2(1, 1), Vec2(2, 1), Vec2(2, 2), Vec2(1, 2)], picture = [Vec2(2.5, 0.5), Vec2(3.5, 0.5), Vec2(3, 2.5)]
        // Strictly inside: one keyhole loop whose area is the wall's minus the holes'.
        let keyhole = try PolygonCutout.remainder(of: wall, without: [window, picture])
        XCTAssertEqual(keyhole.count, 1)
        XCTAssertEqual(abs(PlanarGeometry.signedDoubleArea(keyhole[0])) / 2, 12 - 1 - 1, accuracy: 1e-12)
        XCTAssertGreaterThan(PlanarGeometry.signedDoubleArea(keyhole[0]), 0, "counter-clockwise, like the wall")
        // A door down to the floor: rectangles, each point of the wall in exactly one of them or the door.
        let door = [Vec2(2.8, 0), Vec2(3.6, 0), Vec2(3.6, 2.1), Vec2(2.8, 2.1)]
        let cells = try PolygonCutout.remainder(of: wall, without: [window, door])
        XCTAssertEqual(cells.reduce(0) { $0 + abs(PlanarGeometry.signedDoubleArea($1)) / 2 }, 12 - 1 - 0.8 * 2.1, accuracy: 1e-12)
        for loop in cells { XCTAssertNil(PlanarGeometry.firstSelfIntersection(loop)) }
        var rng = SplitMix64Generator(seed: 3)
        for _ in 0..<2000 {
            let q = Vec2(rng.nextDouble() * 4, rng.nextDouble() * 3)
            let inWindow = PlanarGeometry.contains(window, q), inDoor = PlanarGeometry.contains(door, q)
            let inPicture = PlanarGeometry.contains(picture, q)
            XCTAssertEqual(PlanarGeometry.contains(keyhole[0], q), !inWindow && !inPicture)
            XCTAssertEqual(cells.filter { PlanarGeometry.contains($0, q) }.count, inWindow || inDoor ? 0 : 1)
        }
        // Outside, overlapping, and a polygon touching the edge of the wall.
        XCTAssertThrowsError(try PolygonCutout.remainder(of: wall, without: [[Vec2(3, 1), Vec2(5, 1), Vec2(5, 2), Vec2(3, 2)]]))
        XCTAssertThrowsError(try PolygonCutout.remainder(of: wall, without: [window, [Vec2(1.5, 1.5), Vec2(2.5, 1.5), Vec2(2.5, 2.5), Vec2(1.5, 2.5)]]))
        XCTAssertThrowsError(try PolygonCutout.remainder(of: wall, without: [[Vec2(1, 0), Vec2(2, 0), Vec2(1.5, 1)]]))
    }

    func testPatchedShoeboxLatticeMatchesBorishOnTheSameFloorPlan() throws {
        // The lattice (Allen–Berkley with each path unfolded onto its patches) against the general
        // engine (Borish: every surface, patch or remainder, a polygon of its own), path by path up
        // to order 5; the rectangular floor plan's wall-2 is x = 6 and wall-1 is y = 0.
        let box = try room(#"{"shoebox": {"width": 6, "length": 4, "height": 3}}"#, right: "right", back: "back")
        let plan = try room(#"{"floorPlan": {"points": [[0, 0], [6, 0], [6, 4], [0, 4]], "height": 3}}"#, right: "wall-2", back: "wall-1")
        let a = imageSources(box, plan: box.resolve(threads: 2, detailOrder: 5), speaker: 0)
        let b = imageSources(plan, plan: plan.resolve(threads: 2, detailOrder: 5), speaker: 0)
        XCTAssertTrue(a.usedShoebox)
        XCTAssertFalse(b.usedShoebox)
        XCTAssertEqual(a.paths.count, b.paths.count)
        let name = { (s: Scene, p: Path) in p.surfaces.map { s.surfaces[$0].name } }
        var viaPatches = 0
        for (p, q) in zip(a.paths, b.paths) {
            XCTAssertEqual(p.delaySeconds, q.delaySeconds, accuracy: 1e-9)
            for band in 0..<8 { XCTAssertEqual(p.bandGains[band], q.bandGains[band], accuracy: 1e-6 * max(1e-3, abs(q.bandGains[band]))) }
            let walls = ["back": "wall-1", "right": "wall-2", "front": "wall-3", "left": "wall-4"]
            let names = name(box, p).map { walls[$0] ?? $0 }
            XCTAssertEqual(names, name(plan, q))
            if names.contains(where: { ["window", "door", "rug"].contains($0) }) { viaPatches += 1 }
        }
        XCTAssertGreaterThan(viaPatches, 50, "the patches must be hit for the test to mean anything")
        // The first-order window reflection carries β of window glass (α 0.12 at 1 kHz; no air, omni).
        let window = try XCTUnwrap(a.paths.first { $0.order == 1 && name(box, $0) == ["window"] })
        let k = FrequencyBands.octaves.index(ofHertz: 1000)
        XCTAssertEqual(window.bandGains[k], (1 - 0.12).squareRoot(), accuracy: 1e-6)
    }

    func testDiffuseRoomWithAnAbsorbingPatchFollowsKuttruff() throws {
        // All the absorption on patches (a 0.8 panel on the floor, a 0.5 "door"), the rest 0.05,
        // every surface scattering fully: Kuttruff's decay for unevenly absorbing diffuse rooms
        // (Room Acoustics, ch. 5; see RayTracerTests) over the surfaces' own areas. Rays and images
        // that ignored the patches would decay at the plain room's rate, 2.5 times slower. The
        // tolerance is 8 %: the hybrid reads 5 % above Kuttruff already when the 0.8 covers the
        // whole floor without any patch (RayTracerTests' absorbing-floor room: 0.40 s against 0.381 s).
        let patches = #"""
            [{"name": "panel", "surface": "floor", "rect": [[0.5, 0.5], [5.5, 3.5]], "material": {"absorption": 0.8, "scattering": 1}},
             {"name": "door", "surface": "back", "rect": [[1, 0], [3, 2.4]], "material": {"absorption": 0.5, "scattering": 1}}]
            """#
        let s = try RoomFile.parse("""
        {"room": {"shoebox": {"width": 6, "length": 4, "height": 3}}, "surfaces": {"all": {"absorption": 0.05, "scattering": 1}}, "patches": \(patches),
         "speakers": [{"name": "S", "position": [1.9, 1.3, 1.55], "directivity": "omni"}],
         "listener": {"position": [4.45, 2.75, 1.2]}, "simulation": {"airAbsorption": false, "duration": 0.7, "rays": 20000}}
        """)
        var groups: [String: (area: Double, rho: Double)] = [:]
        for f in s.surfaces { groups[f.name, default: (0, 1 - f.material.absorption[0])].area += f.polygon.area }
        XCTAssertEqual(groups["panel"]!.area, 15, accuracy: 1e-9)
        XCTAssertEqual(groups["floor"]!.area, 24 - 15, accuracy: 1e-9)
        XCTAssertEqual(groups["back"]!.area, 18 - 4.8, accuracy: 1e-9)
        let area = s.surfaceArea, mean = groups.values.reduce(0.0) { $0 + $1.area * $1.rho } / area
        XCTAssertEqual(area, 2 * (24 + 18 + 12), accuracy: 1e-9)
        let numerator = groups.values.reduce(0.0) { $0 + $1.rho * ($1.rho - mean) * $1.area * $1.area }
        let denominator = mean * area * mean * area - groups.values.reduce(0.0) { $0 + $1.rho * $1.rho * $1.area * $1.area }
        let k = 24 * log(10.0) * s.volume / (s.air.speedOfSound * area)
        let kuttruff = k / (-log(mean) + log(1 + numerator / denominator))
        let plain = k / -log(0.95)
        XCTAssertLessThan(kuttruff, 0.4 * plain)
        let rir = hybridRIR(s, plan: s.resolve(threads: 2))
        let energy = rir.map { Double($0) * Double($0) }
        let peak = energy.max()!, onset = energy.firstIndex { $0 >= peak * 0.01 }!
        let t30 = try XCTUnwrap(ImpulseResponseAnalyzer.parameters(energy: energy, onset: onset, fs: 48000).T30.value)
        XCTAssertEqual(t30, kuttruff, accuracy: 0.08 * kuttruff)
    }

    func testSkylightOnASlopedMeshFaceByItsCorners() throws {
        // The attic's roof rises from (0, y, 1.2) to (2, y, 3.0); the skylight spans t = 0.3…0.6 of
        // that slope (0.3 × 2.69 m) and 1 m along y: 0.807 m², cut out of the roof it lies in.
        let s = try RoomFile.load(path: TestPaths.rooms.appendingPathComponent("attic-studio.json").path)
        let skylight = try XCTUnwrap(s.surfaces.first { $0.name == "skylight" })
        XCTAssertEqual(skylight.patchOf, "roof")
        XCTAssertEqual(skylight.polygon.area, 0.3 * (4.0 + 3.24).squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(s.surfaceArea, s.boundary.area, accuracy: 1e-9, "the roof keeps the rest of its area")
        let roof = s.surfaces.filter { $0.name == "roof" }.reduce(0.0) { $0 + $1.polygon.area }
        XCTAssertEqual(roof + skylight.polygon.area, 2 * 6 * (4.0 + 3.24).squareRoot(), accuracy: 1e-9)
        XCTAssertGreaterThan(skylight.polygon.normal.dot(Vec3(0, 0, -1)), 0.5, "facing into the room, like the roof")
    }

    func testWaveGridGivesThePatchItsArea() throws {
        // Boundary faces of the voxelized room take the nearest surface's material: the window's
        // faces cover its 2.3 × 1.3 m within the staircase error of a 10 cm grid.
        let s = try room(#"{"shoebox": {"width": 6, "length": 4, "height": 3}}"#, right: "right", back: "back")
        let grid = WaveGrid(scene: s, spacing: 0.1, crossover: 200)
        let glass = try XCTUnwrap(grid.boundaryMaterials.firstIndex { $0.name == "window-glass" })
        var faces: Float = 0
        for e in grid.entryMaterial.indices where grid.entryMaterial[e] == Int32(glass) { faces += grid.entryFaces[e] }
        let area = Double(faces) * grid.spacing * grid.spacing
        XCTAssertEqual(area, 2.3 * 1.3, accuracy: 0.12 * 2.3 * 1.3)
        // `validate` lists each patch with its surface and area (2.3 × 1.3 m, 0.9 × 2.1 m).
        XCTAssertTrue(s.summary().contains("window on right 2.99 m² window-glass"), s.summary())
        XCTAssertTrue(s.summary().contains("door on back 1.89 m²"), s.summary())
    }

    func testPatchesThatDoNotFitNameTheirKey() throws {
        func message(_ patches: String) -> String {
            do { _ = try room(#"{"shoebox": {"width": 6, "length": 4, "height": 3}}"#, right: "right", back: "back", patches: patches); return "" }
            catch { return "\(error)" }
        }
        let cases: [(String, String, String)] = [
            (#"[{"surface": "side", "rect": [[1, 1], [2, 2]], "material": "glass"}]"#, "patches[0].surface", "this room has"),
            (#"[{"surface": "right", "rect": [[3, 1], [5, 2]], "material": "glass"}]"#, "patches[0].rect", "does not lie on surface \"right\" (it spans u 0…4 m, v 0…3 m)"),
            (#"[{"surface": "right", "rect": [[1, 1], [2, 2]], "material": "glass"}, {"surface": "right", "rect": [[1.5, 1.5], [2.5, 2.5]], "material": "glass"}]"#,
             "patches[1]", "overlaps patches[0]"),
            (#"[{"surface": "floor", "polygon": [[1, 0], [2, 0], [1.5, 1]], "material": "glass"}]"#, "patches[0]", "touches the edge"),
            (#"[{"surface": "right", "rect": [[1, 1], [1, 2]], "material": "glass"}]"#, "patches[0].rect", "no area"),
            (#"[{"surface": "right", "material": "glass"}]"#, "patches[0]", "missing the outline"),
            (#"[{"surface": "right", "rect": [[1, 1], [2, 2]], "polygon": [[1, 1], [2, 1], [2, 2]], "material": "glass"}]"#, "patches[0]", "give one outline"),
            (#"[{"name": "floor", "surface": "right", "rect": [[1, 1], [2, 2]], "material": "glass"}]"#, "patches[0].name", "already names"),
            (#"[{"surface": "right", "rect": [[1, 1], [2, 2]], "material": "glas"}]"#, "patches[0].material", "unknown material"),
            (#"[{"surface": "right", "polygon": [[1, 1], [2, 2], [2, 1], [1, 2]], "material": "glass"}]"#, "patches[0].polygon", "crosses itself"),
        ]
        for (json, path, reason) in cases {
            let m = message(json)
            XCTAssertTrue(m.contains(path) && m.contains(reason), "\(json): \(m)")
        }
    }
}
