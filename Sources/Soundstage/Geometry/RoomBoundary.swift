import Foundation

/// One face of the room's own boundary, before materials are assigned.
public struct BoundaryFace: Sendable {
    /// Surface name (`floor`, `front`, `wall-2`, a mesh material name).
    public var name: String
    public var polygon: Polygon
    /// Part of the `walls` group (a side wall rather than floor or ceiling).
    public var isWall: Bool
    /// The (u, v) coordinates patches on it are given in (`SurfacePatch`); nil for mesh faces.
    public var frame: SurfaceFrame? = nil
}

/// The closed boundary of a room: polygons with normals pointing inward, and its volume.
public struct RoomBoundary: Sendable {
    public let shape: RoomShape
    public let faces: [BoundaryFace]
    /// Enclosed volume in m³.
    public let volume: Double
    public let minCorner: Vec3
    public let maxCorner: Vec3
    /// Floor plan (counter-clockwise) for extruded rooms, used for an exact containment test.
    let plan: [Vec2]?
    let height: Double

    init(shape: RoomShape, faces: [BoundaryFace], volume: Double, plan: [Vec2]?, height: Double) {
        self.shape = shape
        self.faces = faces
        self.volume = volume
        self.plan = plan
        self.height = height
        let all = faces.flatMap(\.polygon.vertices)
        minCorner = all.reduce(Vec3(repeating: .infinity)) { Vec3(min($0.x, $1.x), min($0.y, $1.y), min($0.z, $1.z)) }
        maxCorner = all.reduce(Vec3(repeating: -.infinity)) { Vec3(max($0.x, $1.x), max($0.y, $1.y), max($0.z, $1.z)) }
    }

    /// Total boundary area in m².
    public var area: Double { faces.reduce(0) { $0 + $1.polygon.area } }

    /// Whether `point` lies inside the room (points on the boundary may go either way).
    public func contains(_ point: Vec3) -> Bool {
        if let plan {
            return point.z > 0 && point.z < height && PlanarGeometry.contains(plan, Vec2(point.x, point.y))
        }
        return MeshContainment.contains(point, polygons: faces.map(\.polygon))
    }

    /// Distance to the nearest boundary face and that face's index.
    public func nearestFace(to point: Vec3) -> (index: Int, distance: Double) {
        var best = (index: 0, distance: Double.infinity)
        for (i, f) in faces.enumerated() {
            let d = f.polygon.distance(to: point)
            if d < best.distance { best = (i, d) }
        }
        return best
    }

    /// Largest y at which the line through (x, ·, z) meets the boundary: the front wall's y there.
    public func frontY(x: Double, z: Double) -> Double? {
        var best: Double?
        for f in faces {
            let p = f.polygon
            guard abs(p.normal.y) > 1e-9 else { continue }
            // Solve n · ((x, y, z) − v0) = 0 for y.
            let v0 = p.vertices[0]
            let y = v0.y - (p.normal.x * (x - v0.x) + p.normal.z * (z - v0.z)) / p.normal.y
            let q = Vec3(x, y, z)
            if p.containsProjection(of: q), y > (best ?? -.infinity) { best = y }
        }
        return best
    }

    // MARK: Builders

    /// A rectangular room with a corner at the origin (SPEC §2).
    public static func shoebox(width w: Double, length l: Double, height h: Double) -> RoomBoundary {
        func quad(_ name: String, _ v: [Vec3], wall: Bool) -> BoundaryFace {
            let n = Polygon(v)!.normal
            // u along the wall in room coordinates (x or y), v up; floor and ceiling in (x, y).
            let frame = abs(n.z) > 0.5 ? SurfaceFrame(origin: Vec3(0, 0, v[0].z), along: Vec3(1, 0, 0), up: Vec3(0, 1, 0))
                : abs(n.y) > 0.5 ? SurfaceFrame(origin: Vec3(0, v[0].y, 0), along: Vec3(1, 0, 0), up: Vec3(0, 0, 1))
                : SurfaceFrame(origin: Vec3(v[0].x, 0, 0), along: Vec3(0, 1, 0), up: Vec3(0, 0, 1))
            return BoundaryFace(name: name, polygon: Polygon(v)!, isWall: wall, frame: frame)
        }
        // Vertex orders are chosen so every normal points into the room.
        let faces = [
            quad("floor", [Vec3(0, 0, 0), Vec3(w, 0, 0), Vec3(w, l, 0), Vec3(0, l, 0)], wall: false),
            quad("ceiling", [Vec3(0, 0, h), Vec3(0, l, h), Vec3(w, l, h), Vec3(w, 0, h)], wall: false),
            quad("back", [Vec3(0, 0, 0), Vec3(0, 0, h), Vec3(w, 0, h), Vec3(w, 0, 0)], wall: true),
            quad("front", [Vec3(0, l, 0), Vec3(w, l, 0), Vec3(w, l, h), Vec3(0, l, h)], wall: true),
            quad("left", [Vec3(0, 0, 0), Vec3(0, l, 0), Vec3(0, l, h), Vec3(0, 0, h)], wall: true),
            quad("right", [Vec3(w, 0, 0), Vec3(w, 0, h), Vec3(w, l, h), Vec3(w, l, 0)], wall: true),
        ]
        let plan = [Vec2(0, 0), Vec2(w, 0), Vec2(w, l), Vec2(0, l)]
        return RoomBoundary(shape: .shoebox(width: w, length: l, height: h), faces: faces,
                            volume: w * l * h, plan: plan, height: h)
    }

    /// An extruded simple polygon (convex or not). Wall `i` joins point `i` to point `i+1` as the
    /// user gave them and is named `wall-(i+1)`. Errors name `path` (the `floorPlan` JSON path).
    public static func floorPlan(points: [Vec2], height h: Double, path: String) throws -> RoomBoundary {
        let n = points.count
        guard n >= 3 else {
            throw SceneError.invalid(path: "\(path).points", reason: "a floor plan needs at least 3 points, found \(n)")
        }
        for i in 0..<n {
            let a = points[i], b = points[(i + 1) % n]
            if (b - a).length < 1e-3 {
                throw SceneError.invalid(path: "\(path).points[\((i + 1) % n)]",
                                         reason: "wall-\(i + 1) has zero length (points \(i) and \((i + 1) % n) coincide)")
            }
        }
        let doubleArea = PlanarGeometry.signedDoubleArea(points)
        if let (i, j) = PlanarGeometry.firstSelfIntersection(points) {
            throw SceneError.invalid(path: "\(path).points",
                                     reason: "the floor plan is not a simple polygon: wall-\(i + 1) crosses wall-\(j + 1)")
        }
        guard abs(doubleArea) / 2 > 1e-4 else {
            throw SceneError.invalid(path: "\(path).points", reason: "the floor plan encloses no area")
        }
        let ccw = doubleArea > 0
        var faces: [BoundaryFace] = []
        for i in 0..<n {
            let a = points[i], b = points[(i + 1) % n]
            // Counter-clockwise plan: the room is on the left of a→b; this order makes the normal point there.
            var v = [Vec3(a.x, a.y, 0), Vec3(a.x, a.y, h), Vec3(b.x, b.y, h), Vec3(b.x, b.y, 0)]
            if !ccw { v.reverse() }
            let along = Vec3(b.x - a.x, b.y - a.y, 0).normalized
            faces.append(BoundaryFace(name: "wall-\(i + 1)", polygon: Polygon(v)!, isWall: true,
                                      frame: SurfaceFrame(origin: Vec3(a.x, a.y, 0), along: along, up: Vec3(0, 0, 1))))
        }
        let plan = ccw ? points : points.reversed()
        faces.insert(BoundaryFace(name: "floor", polygon: Polygon(plan.map { Vec3($0.x, $0.y, 0) })!, isWall: false,
                                  frame: SurfaceFrame(origin: .zero, along: Vec3(1, 0, 0), up: Vec3(0, 1, 0))), at: 0)
        faces.insert(BoundaryFace(name: "ceiling", polygon: Polygon(plan.reversed().map { Vec3($0.x, $0.y, h) })!, isWall: false,
                                  frame: SurfaceFrame(origin: Vec3(0, 0, h), along: Vec3(1, 0, 0), up: Vec3(0, 1, 0))), at: 1)
        return RoomBoundary(shape: .floorPlan(points: points, height: h), faces: faces,
                            volume: abs(doubleArea) / 2 * h, plan: plan, height: h)
    }

    /// A closed polyhedral mesh. Faces are oriented consistently and then inward; non-planar faces are
    /// split into triangles; degenerate faces are dropped after the closedness check.
    public static func mesh(_ mesh: MeshData, file: String, path: String) throws -> RoomBoundary {
        let oriented = try MeshTopology.orient(mesh, path: path)
        var faces: [BoundaryFace] = []
        for (index, face) in mesh.faces.enumerated() {
            var v = oriented.faces[index] // with T-junction vertices, so split edges are shared
            if oriented.flip[index] { v.reverse() }
            guard let polygon = Polygon(v) else { continue } // zero-area sliver: no acoustic effect
            let tolerance = 1e-3 * max(1, polygon.area.squareRoot())
            let pieces: [Polygon] = polygon.planarityError <= tolerance
                ? [polygon]
                : (1..<(v.count - 1)).compactMap { Polygon([v[0], v[$0], v[$0 + 1]]) }
            for p in pieces {
                faces.append(BoundaryFace(name: face.material, polygon: p, isWall: abs(p.normal.z) < 0.5))
            }
        }
        guard !faces.isEmpty else { throw SceneError.invalid(path: path, reason: "the mesh has no faces") }
        return RoomBoundary(shape: .mesh(file: file), faces: faces, volume: abs(oriented.volume), plan: nil, height: 0)
    }
}

/// Point-in-polyhedron by ray parity, with three skew directions voting (robust to rays grazing an edge).
enum MeshContainment {
    static func contains(_ point: Vec3, polygons: [Polygon]) -> Bool {
        let directions = [Vec3(0.5773, 0.5774, 0.5773), Vec3(-0.6123, 0.3536, 0.7071), Vec3(0.2673, -0.8018, 0.5345)]
        var votes = 0
        for d in directions {
            var crossings = 0
            for p in polygons {
                let denom = p.normal.dot(d)
                guard abs(denom) > 1e-12 else { continue }
                let t = p.normal.dot(p.vertices[0] - point) / denom
                if t > 0, p.containsProjection(of: point + t * d) { crossings += 1 }
            }
            if crossings % 2 == 1 { votes += 1 }
        }
        return votes >= 2
    }
}
