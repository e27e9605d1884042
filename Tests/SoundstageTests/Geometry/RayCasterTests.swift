import XCTest
@testable import Soundstage

final class RayCasterTests: XCTestCase {
    /// Unit directions from a seeded generator.
    func directions(_ n: Int, seed: UInt64) -> [Vec3] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in
            let z = Double.random(in: -1...1, using: &rng), phi = Double.random(in: 0..<(2 * .pi), using: &rng)
            let r = (1 - z * z).squareRoot()
            return Vec3(r * cos(phi), r * sin(phi), z)
        }
    }

    /// The nearest polygon along a ray by testing every polygon with the image-source stage's own
    /// segment test (independent of the caster's tree, culling and convex shortcut).
    func reference(_ index: PolygonIndex, _ o: Vec3, _ d: Vec3) -> (t: Double, surface: Int)? {
        var best: (t: Double, surface: Int)?
        for i in index.entries.indices {
            if let hit = index.intersect(i, from: o, to: o + 1000 * d, tMin: 0, tMax: 1), hit.t * 1000 < (best?.t ?? .infinity) {
                best = (hit.t * 1000, i)
            }
        }
        return best
    }

    func testTreeAgreesWithTestingEveryPolygonInTheBRASSeminarRoom() throws {
        // 326 polygons, non-convex, faces with up to ~30 vertices: the SAH tree must find the same
        // first surface and distance as a loop over all polygons, for rays from the listener.
        let scene = try RoomFile.load(path: TestPaths.rooms.appendingPathComponent("bras-cr2.json").path)
        let polygons = scene.surfaces.map(\.polygon)
        let caster = RayCaster(polygons: polygons)
        XCTAssertFalse(caster.isConvex)
        let index = PolygonIndex(polygons)
        var agreed = 0
        for (k, d) in directions(2000, seed: 3).enumerated() {
            let o = k % 2 == 0 ? scene.listener.position : scene.speakers[0].position
            let a = caster.firstHit(origin: o, direction: d), b = reference(index, o, d)
            XCTAssertNotNil(a, "ray \(k) escaped")
            guard let a, let b else { continue }
            XCTAssertEqual(a.t, b.t, accuracy: 1e-9, "ray \(k)")
            // Where two polygons meet at the hit point either may be reported.
            if a.surface == b.surface { agreed += 1 }
        }
        XCTAssertGreaterThan(agreed, 1990)
    }

    func testConvexShortcutAgreesAndVisibilityIsExact() throws {
        let shoebox = try RoomFile.parse(#"{"room": {"shoebox": {"width": 5, "length": 4, "height": 3}}, "surfaces": {"all": "concrete"}, "speakers": [{"name": "S", "position": [1, 1, 1]}], "listener": {"position": [3, 2, 1.5]}}"#)
        let caster = RayCaster(polygons: shoebox.surfaces.map(\.polygon))
        XCTAssertTrue(caster.isConvex)
        let index = PolygonIndex(shoebox.surfaces.map(\.polygon))
        for d in directions(500, seed: 4) {
            let a = caster.firstHit(origin: shoebox.listener.position, direction: d)!, b = reference(index, shoebox.listener.position, d)!
            XCTAssertEqual(a.t, b.t, accuracy: 1e-9)
            XCTAssertEqual(a.surface, b.surface)
        }
        // An L-shaped room: the inner corner hides one leg from the other.
        let l = try RoomFile.parse(#"{"room": {"floorPlan": {"points": [[0, 0], [6, 0], [6, 3], [3, 3], [3, 7], [0, 7]], "height": 2.7}}, "surfaces": {"all": "concrete"}, "speakers": [{"name": "S", "position": [1, 1, 1]}], "listener": {"position": [2, 2, 1.5]}}"#)
        let lc = RayCaster(polygons: l.surfaces.map(\.polygon))
        XCTAssertFalse(lc.isConvex)
        XCTAssertTrue(lc.isClear(Vec3(1, 1, 1), Vec3(5, 2, 1)))
        XCTAssertFalse(lc.isClear(Vec3(5, 2.5, 1), Vec3(1.5, 6.5, 1)), "blocked by the inner corner at (3, 3)")
        XCTAssertTrue(lc.isClear(Vec3(2.5, 2.5, 1), Vec3(1.5, 6.5, 1)))
    }

    func testSupportingPlanesAndOccludersAgreeWithTestingEveryPolygon() throws {
        // An L-shaped room with a desk and a free-standing panel: floor, ceiling and the outer walls
        // support the room, the inner-corner walls and every object face occlude. First hits from
        // points all over the room and visibility between them must equal a loop over every polygon.
        let l = try RoomFile.parse("""
            {"room": {"floorPlan": {"points": [[0, 0], [6, 0], [6, 3], [3, 3], [3, 7], [0, 7]], "height": 2.7}},
             "surfaces": {"all": "concrete"},
             "objects": [{"name": "desk", "box": {"min": [0.8, 1.0, 0], "max": [2.2, 1.8, 0.75]}},
                         {"name": "panel", "box": {"min": [1.0, 4.5, 0.3], "max": [2.4, 4.56, 2.1]}}],
             "speakers": [{"name": "S", "position": [1, 0.5, 1]}], "listener": {"position": [2, 2.5, 1.2]}}
            """)
        let polygons = l.surfaces.map(\.polygon)
        let caster = RayCaster(polygons: polygons)
        XCTAssertFalse(caster.isConvex)
        let supporting = RayCaster.supporting(polygons)
        XCTAssertEqual(supporting.filter { !$0 }.count, 2 + 6 + 6, "two inner-corner walls and every face of both boxes")
        let index = PolygonIndex(polygons)
        var rng = SplitMix64(seed: 11)
        func point() -> Vec3 {
            while true {
                let p = Vec3(Double.random(in: 0.01..<5.99, using: &rng), Double.random(in: 0.01..<6.99, using: &rng), Double.random(in: 0.01..<2.69, using: &rng))
                if l.contains(p) { return p }
            }
        }
        var agreed = 0, blocked = 0
        let rays = directions(3000, seed: 12)
        for (k, d) in rays.enumerated() {
            let o = point()
            let a = caster.firstHit(origin: o, direction: d), b = reference(index, o, d)
            guard let a, let b else { XCTFail("ray \(k) from \(o) escaped"); continue }
            XCTAssertEqual(a.t, b.t, accuracy: 1e-9, "ray \(k)")
            if a.surface == b.surface { agreed += 1 }
            // Visibility against every polygon's segment test.
            let q = point()
            let open = !index.entries.indices.contains { index.intersect($0, from: o, to: q, tMin: 1e-9, tMax: 1 - 1e-9) != nil }
            XCTAssertEqual(caster.isClear(o, q), open, "segment \(k)")
            if !open { blocked += 1 }
        }
        XCTAssertGreaterThan(agreed, rays.count - 10)
        XCTAssertGreaterThan(blocked, 300, "the occluders must block a fair share for the test to mean anything")
    }

    func testSphereGridCellsAreEqualAreaAndTheFastPathMatchesAtan2() {
        let grid = SphereGrid()
        // Equal-area cells: the mean of y² over the whole sphere is 1/3.
        XCTAssertEqual(grid.meanLateralSquare.reduce(0, +) / Double(grid.cellCount), 1.0 / 3, accuracy: 1e-3)
        for v in directions(5000, seed: 9) {
            var a = atan2(v.y, v.x) / (2 * .pi) * Double(grid.sectors) + 0.5
            if a < 0 { a += Double(grid.sectors) }
            let ring = min(grid.rings - 1, Int((v.z + 1) * 0.5 * Double(grid.rings)))
            XCTAssertEqual(grid.cell(v), ring * grid.sectors + Int(a) % grid.sectors)
            // A direction drawn inside a cell lies in that cell.
            let c = grid.cell(v)
            XCTAssertEqual(grid.cell(grid.direction(cell: c, 0.5, 0.5)), c)
        }
        XCTAssertEqual(SphereGrid.fastAtan2(1, -1), atan2(1, -1), accuracy: 2e-5)
        XCTAssertEqual(SphereGrid.fastAtan2(-0.3, 0.8), atan2(-0.3, 0.8), accuracy: 2e-5)
    }
}
