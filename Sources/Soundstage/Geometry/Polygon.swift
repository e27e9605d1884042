import Foundation

/// A planar, simple polygon in 3-D (convex or not), vertices in order.
///
/// `normal` is unit length and, for a room boundary, points into the air of the room: for the
/// room's own walls that is inward, for an object's faces outward from the object. The vertex
/// order is counter-clockwise seen from the side `normal` points to.
public struct Polygon: Sendable, Equatable {
    public let vertices: [Vec3]
    /// Unit normal (Newell's method), pointing to the side the sound arrives from.
    public let normal: Vec3
    /// Area in m².
    public let area: Double

    /// Builds a polygon; the normal follows the right-hand rule of the vertex order.
    /// Returns nil for fewer than 3 vertices or a zero (or non-finite) area.
    public init?(_ vertices: [Vec3]) {
        guard vertices.count >= 3, vertices.allSatisfy(\.isFinite) else { return nil }
        // Newell's method: robust normal and area for any planar polygon (convex or not).
        var n = Vec3.zero
        for i in vertices.indices {
            let a = vertices[i], b = vertices[(i + 1) % vertices.count]
            n += Vec3((a.y - b.y) * (a.z + b.z), (a.z - b.z) * (a.x + b.x), (a.x - b.x) * (a.y + b.y))
        }
        let twiceArea = n.length
        guard twiceArea.isFinite, twiceArea > 1e-12 else { return nil }
        self.vertices = vertices
        self.normal = n / twiceArea
        self.area = twiceArea / 2
    }

    /// The same polygon seen from the other side.
    public var flipped: Polygon { Polygon(vertices.reversed())! }

    public var centroid: Vec3 { vertices.reduce(.zero, +) / Double(vertices.count) }

    /// Signed distance of `point` from the plane, positive on the normal's side (metres).
    public func signedDistance(_ point: Vec3) -> Double { normal.dot(point - vertices[0]) }

    /// Largest distance of any vertex from the plane through the first vertex (metres).
    public var planarityError: Double {
        vertices.map { abs(signedDistance($0)) }.max() ?? 0
    }

    /// Two in-plane axes (u, v) with u × v = normal, for 2-D work in the polygon's plane.
    public var planeAxes: (u: Vec3, v: Vec3) {
        let helper: Vec3 = abs(normal.x) < 0.9 ? Vec3(1, 0, 0) : Vec3(0, 1, 0)
        let u = helper.cross(normal).normalized
        return (u, normal.cross(u))
    }

    /// Vertices in the plane's own 2-D coordinates (counter-clockwise).
    public var projected: [Vec2] {
        let (u, v) = planeAxes
        return vertices.map { Vec2($0.dot(u), $0.dot(v)) }
    }

    /// Whether the orthogonal projection of `point` onto the plane falls inside the polygon.
    public func containsProjection(of point: Vec3) -> Bool {
        let (u, v) = planeAxes
        return PlanarGeometry.contains(projected, Vec2(point.dot(u), point.dot(v)))
    }

    /// Euclidean distance from `point` to the polygon (its interior or boundary), metres.
    public func distance(to point: Vec3) -> Double {
        if containsProjection(of: point) { return abs(signedDistance(point)) }
        var best = Double.infinity
        for i in vertices.indices {
            let a = vertices[i], b = vertices[(i + 1) % vertices.count]
            best = min(best, PlanarGeometry.segmentDistance(point, a, b))
        }
        return best
    }
}

/// Small 2-D and 3-D helpers shared by the floor plan, mesh and placement checks.
public enum PlanarGeometry {
    /// Twice the signed area of a 2-D polygon (positive when counter-clockwise).
    public static func signedDoubleArea(_ p: [Vec2]) -> Double {
        var s = 0.0
        for i in p.indices { s += p[i].cross(p[(i + 1) % p.count]) }
        return s
    }

    /// Even–odd point-in-polygon test (points exactly on an edge may go either way).
    public static func contains(_ polygon: [Vec2], _ q: Vec2) -> Bool {
        var inside = false
        var j = polygon.count - 1
        for i in polygon.indices {
            let a = polygon[i], b = polygon[j]
            if (a.y > q.y) != (b.y > q.y) {
                let xCross = a.x + (q.y - a.y) / (b.y - a.y) * (b.x - a.x)
                if q.x < xCross { inside.toggle() }
            }
            j = i
        }
        return inside
    }

    /// Distance from a 2-D point to a segment.
    public static func segmentDistance(_ q: Vec2, _ a: Vec2, _ b: Vec2) -> Double {
        let ab = b - a
        let len2 = (ab * ab).sum()
        let t = len2 > 0 ? max(0, min(1, ((q - a) * ab).sum() / len2)) : 0
        return (q - (a + t * ab)).length
    }

    /// Distance from a 3-D point to a segment.
    public static func segmentDistance(_ q: Vec3, _ a: Vec3, _ b: Vec3) -> Double {
        let ab = b - a
        let len2 = ab.dot(ab)
        let t = len2 > 0 ? max(0, min(1, (q - a).dot(ab) / len2)) : 0
        return (q - (a + t * ab)).length
    }

    /// Whether closed segments ab and cd intersect (touching counts).
    public static func segmentsIntersect(_ a: Vec2, _ b: Vec2, _ c: Vec2, _ d: Vec2) -> Bool {
        func orient(_ p: Vec2, _ q: Vec2, _ r: Vec2) -> Double { (q - p).cross(r - p) }
        func onSegment(_ p: Vec2, _ q: Vec2, _ r: Vec2) -> Bool {
            min(p.x, q.x) - 1e-12 <= r.x && r.x <= max(p.x, q.x) + 1e-12 &&
                min(p.y, q.y) - 1e-12 <= r.y && r.y <= max(p.y, q.y) + 1e-12
        }
        let scale = max(1, abs(a.x), abs(a.y), abs(b.x), abs(b.y), abs(c.x), abs(c.y), abs(d.x), abs(d.y))
        let eps = 1e-12 * scale * scale
        let d1 = orient(c, d, a), d2 = orient(c, d, b), d3 = orient(a, b, c), d4 = orient(a, b, d)
        if ((d1 > eps && d2 < -eps) || (d1 < -eps && d2 > eps)) &&
            ((d3 > eps && d4 < -eps) || (d3 < -eps && d4 > eps)) { return true }
        if abs(d1) <= eps && onSegment(c, d, a) { return true }
        if abs(d2) <= eps && onSegment(c, d, b) { return true }
        if abs(d3) <= eps && onSegment(a, b, c) { return true }
        if abs(d4) <= eps && onSegment(a, b, d) { return true }
        return false
    }

    /// The first pair of non-adjacent edges (i, j) of a closed polygon that intersect, if any.
    /// Edge i joins point i to point i+1. O(n²), fine for floor plans of up to thousands of points.
    public static func firstSelfIntersection(_ p: [Vec2]) -> (Int, Int)? {
        let n = p.count
        for i in 0..<n {
            for j in (i + 1)..<n {
                let adjacent = j == i + 1 || (i == 0 && j == n - 1)
                if adjacent { continue }
                if segmentsIntersect(p[i], p[(i + 1) % n], p[j], p[(j + 1) % n]) { return (i, j) }
            }
        }
        return nil
    }
}
