import XCTest
@testable import Soundstage

final class GeometryTests: XCTestCase {
    /// Every face's normal is unit length and points into the room: a point a little along the
    /// normal from the face's centre lies inside, a point a little against it outside.
    func assertNormalsPointInward(_ b: RoomBoundary, file: StaticString = #filePath, line: UInt = #line) {
        for f in b.faces {
            XCTAssertEqual(f.polygon.normal.length, 1, accuracy: 1e-12, file: file, line: line)
            // Use a point inside the polygon (centroid of its first triangle) — the centroid of a
            // non-convex polygon may lie outside it.
            let v = f.polygon.vertices
            let c = (v[0] + v[1] + v[2]) / 3
            let p = f.polygon.containsProjection(of: c) ? c : f.polygon.centroid
            XCTAssertTrue(b.contains(p + 1e-3 * f.polygon.normal), "\(f.name) normal", file: file, line: line)
            XCTAssertFalse(b.contains(p - 1e-3 * f.polygon.normal), "\(f.name) normal", file: file, line: line)
        }
    }

    func testDiffractingSizeIsTheWallNotItsPolygons() {
        // A 5 × 4 m floor as one polygon, as a 5 × 4 grid of 1-m quads, as two triangles (with a
        // 0.2-mm sliver of welding error) and as 640 small triangles, next to a wall at right angles and a separate 1 × 0.5 m
        // panel in the floor's plane that touches nothing: every floor piece sees the 4 × 5 m
        // floor; the wall and the panel keep their own sizes (to 10⁻⁹ m).
        func quad(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> Polygon {
            Polygon([Vec3(x0, y0, 0), Vec3(x1, y0, 0), Vec3(x1, y1, 0), Vec3(x0, y1, 0)])!
        }
        let wall = Polygon([Vec3(0, 0, 0), Vec3(0, 0, 3), Vec3(0, 4, 3), Vec3(0, 4, 0)])!
        let panel = quad(7, 0, 8, 0.5)
        var grid: [Polygon] = []
        for i in 0..<5 { for j in 0..<4 { grid.append(quad(Double(i), Double(j), Double(i + 1), Double(j + 1))) } }
        let triangles = [Polygon([Vec3(0, 0, 0), Vec3(5, 0, 0), Vec3(5, 4, 0.0002)])!, Polygon([Vec3(0, 0, 0), Vec3(5, 4, 0), Vec3(0, 4, 0)])!]
        var fine: [Polygon] = [] // 20 × 16 cells of 0.25 m, each split into two triangles
        for i in 0..<20 {
            for j in 0..<16 {
                let (x0, y0, x1, y1) = (0.25 * Double(i), 0.25 * Double(j), 0.25 * Double(i + 1), 0.25 * Double(j + 1))
                fine.append(Polygon([Vec3(x0, y0, 0), Vec3(x1, y0, 0), Vec3(x1, y1, 0)])!)
                fine.append(Polygon([Vec3(x0, y0, 0), Vec3(x1, y1, 0), Vec3(x0, y1, 0)])!)
            }
        }
        for floor in [[quad(0, 0, 5, 4)], grid, triangles, fine] {
            let r = PlanarRegions.equivalentRectangles(floor + [wall, panel])
            for piece in r.prefix(floor.count) {
                XCTAssertEqual(piece.width, 4, accuracy: 1e-3)
                XCTAssertEqual(piece.length, 5, accuracy: 1e-3)
            }
            XCTAssertEqual(r[floor.count].width, 3, accuracy: 1e-9)
            XCTAssertEqual(r[floor.count].length, 4, accuracy: 1e-9)
            XCTAssertEqual(r[floor.count + 1].width, 0.5, accuracy: 1e-9)
            XCTAssertEqual(r[floor.count + 1].length, 1, accuracy: 1e-9)
        }
    }

    func testOnlyFreeAndConvexEdgesDiffract() throws {
        func diffracting(_ room: String, objects: String = "[]") throws -> Set<String> {
            let scene = try RoomFile.parse("""
            {"room": \(room), "surfaces": {"all": "plaster"}, "objects": \(objects),
             "speakers": [{"name": "S", "position": [1, 1, 1.2]}], "listener": {"position": [1.5, 2.5, 1.2]}}
            """)
            let flags = PlanarRegions.diffracting(scene.surfaces.map(\.polygon), isAir: scene.contains)
            return Set(zip(scene.surfaces, flags).filter(\.1).map(\.0.name))
        }
        // A shoebox: every edge is a concave 90° joint, nothing diffracts.
        XCTAssertEqual(try diffracting(#"{"shoebox": {"width": 4, "length": 5, "height": 3}}"#), [])
        // An L: the two walls that meet at the inner (convex, 270°) corner (3.5, 3.5) diffract, no other.
        let l = #"{"floorPlan": {"points": [[0, 0], [6, 0], [6, 3.5], [3.5, 3.5], [3.5, 7], [0, 7]], "height": 2.7}}"#
        XCTAssertEqual(try diffracting(l), ["wall-3", "wall-4"])
        // A free-standing panel (0.5–2 m above the floor) diffracts on every face; a box standing on the
        // floor on every face but its underside.
        let objects = #"[{"name": "panel", "box": {"min": [3, 1, 0.5], "max": [3.1, 2, 2]}}, {"name": "desk", "box": {"min": [0.5, 3.5, 0], "max": [2, 4.2, 0.75]}}]"#
        let scene = try RoomFile.parse("""
        {"room": {"shoebox": {"width": 4, "length": 5, "height": 3}}, "surfaces": {"all": "plaster"}, "objects": \(objects),
         "speakers": [{"name": "S", "position": [1, 1, 1.2]}], "listener": {"position": [1.5, 2.5, 1.2]}}
        """)
        let flags = PlanarRegions.diffracting(scene.surfaces.map(\.polygon), isAir: scene.contains)
        XCTAssertEqual(scene.surfaces.filter { $0.name == "panel" }.count, 6)
        XCTAssertEqual(scene.surfaces.filter { $0.name == "desk" }.count, 6)
        for (surface, flag) in zip(scene.surfaces, flags) {
            switch surface.name {
            case "panel": XCTAssertTrue(flag)
            case "desk": XCTAssertEqual(flag, surface.polygon.normal.z > -0.5) // the underside rests on the floor
            default: XCTAssertFalse(flag, surface.name)
            }
        }
    }

    func testShoebox() {
        let b = RoomBoundary.shoebox(width: 4, length: 5, height: 3)
        XCTAssertEqual(b.volume, 60)
        XCTAssertEqual(b.area, 2 * (20 + 12 + 15), accuracy: 1e-12)
        XCTAssertEqual(Set(b.faces.map(\.name)), ["floor", "ceiling", "front", "back", "left", "right"])
        assertNormalsPointInward(b)
        XCTAssertEqual(b.frontY(x: 2, z: 1), 5)
    }

    func testLShapedFloorPlanVolumeAreaAndNormals() throws {
        // L: 6×3.5 plus 3.5×3.5 → 21 + 12.25 = 33.25 m²; walls perimeter 6+3.5+2.5+3.5+3.5+7 = 26 m.
        let pts = [Vec2(0, 0), Vec2(6, 0), Vec2(6, 3.5), Vec2(3.5, 3.5), Vec2(3.5, 7), Vec2(0, 7)]
        let b = try RoomBoundary.floorPlan(points: pts, height: 2.5, path: "room.floorPlan")
        XCTAssertEqual(b.volume, 33.25 * 2.5, accuracy: 1e-9)
        XCTAssertEqual(b.area, 2 * 33.25 + 26 * 2.5, accuracy: 1e-9)
        assertNormalsPointInward(b)
        XCTAssertFalse(b.contains(Vec3(5, 5, 1))) // the missing corner of the L
        XCTAssertTrue(b.contains(Vec3(1, 6, 1)))
        XCTAssertEqual(b.frontY(x: 5, z: 1)!, 3.5, accuracy: 1e-12)
        // Clockwise input: same room, walls still named in the user's order.
        let cw = try RoomBoundary.floorPlan(points: pts.reversed(), height: 2.5, path: "p")
        XCTAssertEqual(cw.volume, b.volume, accuracy: 1e-9)
        assertNormalsPointInward(cw)
        let wall1 = cw.faces.first { $0.name == "wall-1" }!
        // reversed: wall-1 joins (0,7) → (3.5,7), the top wall; its inward normal is −y.
        XCTAssertEqual(wall1.polygon.normal.y, -1, accuracy: 1e-12)
    }

    func testRectangularFloorPlanEqualsShoebox() throws {
        let plan = try RoomBoundary.floorPlan(points: [Vec2(0, 0), Vec2(4, 0), Vec2(4, 5), Vec2(0, 5)], height: 3, path: "p")
        let box = RoomBoundary.shoebox(width: 4, length: 5, height: 3)
        XCTAssertEqual(plan.volume, box.volume, accuracy: 1e-12)
        XCTAssertEqual(plan.area, box.area, accuracy: 1e-12)
        var rng = SplitMix64(seed: 4)
        for _ in 0..<500 {
            let p = Vec3(Double.random(in: -1...5, using: &rng), Double.random(in: -1...6, using: &rng), Double.random(in: -1...4, using: &rng))
            XCTAssertEqual(plan.contains(p), box.contains(p))
        }
    }

    func testMeshWithMixedWindingIsOrientedInward() throws {
        // A unit cube whose faces are wound inconsistently (some outward, some inward).
        let obj = """
        v 0 0 0
        v 1 0 0
        v 1 1 0
        v 0 1 0
        v 0 0 1
        v 1 0 1
        v 1 1 1
        v 0 1 1
        usemtl a
        f 1 4 3 2
        f 5 6 7 8
        usemtl b
        f 1 2 6 5
        f 3 7 6 2
        f 3 4 8 7
        f 1 4 8 5
        """
        let b = try RoomBoundary.mesh(OBJParser.parse(obj), file: "cube.obj", path: "room.mesh.file")
        XCTAssertEqual(b.volume, 1, accuracy: 1e-12)
        XCTAssertEqual(b.area, 6, accuracy: 1e-12)
        assertNormalsPointInward(b)
    }

    func testAtticMeshMatchesItsAnalyticVolume() throws {
        // Cross-section: 4 × 1.2 rectangle + triangle of base 4 and height 1.8 → 8.4 m², × 6 m long.
        let text = try String(contentsOf: TestPaths.rooms.appendingPathComponent("attic-studio.obj"), encoding: .utf8)
        let b = try RoomBoundary.mesh(OBJParser.parse(text), file: "attic-studio.obj", path: "p")
        XCTAssertEqual(b.volume, 8.4 * 6, accuracy: 1e-9)
        assertNormalsPointInward(b)
    }

    func testMeshWithAWallSplitAlongItsEdgesLoadsAsTheWholeBox() throws {
        // A 4 × 5 × 3 m box whose front wall (y = 5) is two faces — a 1 × 1 m window standing on the
        // floor line and the rest around it — while the floor keeps its long front edge: the window's
        // lower corners (1, 5, 0) and (2, 5, 0) are T-junctions on it, which left 'open' edges. It
        // loads, with the box's volume and area and the window's own square metre.
        let obj = """
        v 0 0 0
        v 4 0 0
        v 4 5 0
        v 0 5 0
        v 0 0 3
        v 4 0 3
        v 4 5 3
        v 0 5 3
        v 1 5 0
        v 2 5 0
        v 1 5 1
        v 2 5 1
        usemtl floor
        f 1 2 3 4
        usemtl ceiling
        f 5 8 7 6
        usemtl wall
        f 1 5 6 2
        f 2 6 7 3
        f 1 4 8 5
        usemtl glass
        f 9 10 12 11
        usemtl wall
        f 4 9 11 12 10 3 7 8
        """
        let b = try RoomBoundary.mesh(OBJParser.parse(obj), file: "split.obj", path: "room.mesh.file")
        XCTAssertEqual(b.volume, 60, accuracy: 1e-9)
        XCTAssertEqual(b.area, 2 * (20 + 12 + 15), accuracy: 1e-9)
        XCTAssertEqual(b.faces.filter { $0.name == "glass" }.map(\.polygon.area).reduce(0, +), 1, accuracy: 1e-12)
        assertNormalsPointInward(b)
        // The floor's front edge now runs through the window's lower corners.
        let floor = try XCTUnwrap(b.faces.first { $0.name == "floor" })
        XCTAssertEqual(floor.polygon.vertices.count, 6)
    }

    func testOpenMeshIsRejected() throws {
        let obj = "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 0 1\nf 1 2 3\nf 1 2 4\nf 2 3 4\n"
        XCTAssertThrowsError(try RoomBoundary.mesh(OBJParser.parse(obj), file: "t.obj", path: "room.mesh.file")) {
            XCTAssertTrue("\($0)".contains("the mesh is not closed"), "\($0)")
        }
    }

    func testYUpConversionIsAProperRotation() throws {
        // (x, y, z) → (x, −z, y) keeps handedness, so a y-up cube keeps its volume and inward normals.
        let obj = (0..<8).map { i in "v \(i & 1) \((i >> 1) & 1) \((i >> 2) & 1)" }.joined(separator: "\n")
            + "\nf 1 3 4 2\nf 5 6 8 7\nf 1 2 6 5\nf 3 7 8 4\nf 1 5 7 3\nf 2 4 8 6\n"
        let mesh = try OBJParser.parse(obj).converted(up: .y)
        let b = try RoomBoundary.mesh(mesh, file: "c.obj", path: "p")
        XCTAssertEqual(b.volume, 1, accuracy: 1e-12)
        XCTAssertEqual(b.minCorner, Vec3(0, -1, 0))
        assertNormalsPointInward(b)
    }

    func testBRASAC3DModelMatchesPublishedVolumeAndArea() throws {
        // BRAS CR2 documentation: V = 146.1 m³, S = 202.53 m² (rooms/bras-cr2/README.md).
        let text = try String(contentsOf: TestPaths.rooms.appendingPathComponent("bras-cr2/scene9.ac"), encoding: .utf8)
        let mesh = try AC3DParser.parse(text)
        XCTAssertEqual(Set(mesh.faces.map(\.material)), ["mat_scene09_concrete", "mat_scene09_windows", "mat_scene09_ceiling", "mat_scene09_plaster", "mat_scene09_floor"])
        let b = try RoomBoundary.mesh(mesh.converted(up: .y), file: "scene9.ac", path: "p")
        XCTAssertEqual(b.volume, 146.1, accuracy: 0.05)
        XCTAssertEqual(b.area, 202.53, accuracy: 0.05)
        XCTAssertTrue(b.contains(Vec3(0.439, -0.147, 1.23))) // receiver MP02
        assertNormalsPointInward(b)
    }

    func testAVertexBeyondTenKilometresIsRefusedWhereItIsRead() {
        // Issue #24: a vertex at 1e14 m (even unused) overflowed the welding grid's 64-bit keys.
        let obj = "v 0 0 0\nv 1e14 0 0\nv 0 1 0\nv 0 0 1\nf 1 3 4\n"
        XCTAssertThrowsError(try OBJParser.parse(obj)) { XCTAssertEqual("\($0)", "line 2: a vertex needs three finite numbers within ±10000 m") }
        XCTAssertNoThrow(try OBJParser.parse("v 0 0 0\nv 9999 0 0\nv 0 1 0\nf 1 2 3\n"))
        // AC3D: the vertex itself, and a `loc` that moves good vertices out of range.
        let ac = { (loc: String, x: String) in
            "AC3Db\nMATERIAL \"m\" rgb 1 1 1 amb 0 0 0 emis 0 0 0 spec 0 0 0 shi 0 trans 0\nOBJECT world\nkids 1\nOBJECT poly\n\(loc)numvert 3\n\(x) 0 0\n0 1 0\n0 0 1\nnumsurf 1\nSURF 0x10\nmat 0\nrefs 3\n0 0 0\n1 0 0\n2 0 0\nkids 0\n"
        }
        XCTAssertNoThrow(try AC3DParser.parse(ac("", "1")))
        XCTAssertThrowsError(try AC3DParser.parse(ac("", "-2e13"))) { XCTAssertTrue("\($0)".contains("within ±10000 m"), "\($0)") }
        XCTAssertThrowsError(try AC3DParser.parse(ac("loc 1e300 0 0\n", "1"))) { XCTAssertTrue("\($0)".contains("beyond ±10000 m"), "\($0)") }
    }

    func testSelfIntersectingPlanIsRejected() {
        let bowtie = [Vec2(0, 0), Vec2(4, 4), Vec2(4, 0), Vec2(0, 4)]
        XCTAssertThrowsError(try RoomBoundary.floorPlan(points: bowtie, height: 3, path: "room.floorPlan")) {
            XCTAssertEqual("\($0)", "room.floorPlan.points: the floor plan is not a simple polygon: wall-1 crosses wall-3")
        }
    }

    func testPolygonDistance() {
        let square = Polygon([Vec3(0, 0, 0), Vec3(1, 0, 0), Vec3(1, 1, 0), Vec3(0, 1, 0)])!
        XCTAssertEqual(square.distance(to: Vec3(0.5, 0.5, 2)), 2, accuracy: 1e-12)   // above the interior
        XCTAssertEqual(square.distance(to: Vec3(2, 0.5, 0)), 1, accuracy: 1e-12)     // beside an edge
        XCTAssertEqual(square.distance(to: Vec3(2, 2, 1)), sqrt(3), accuracy: 1e-12) // off a corner
    }
}
