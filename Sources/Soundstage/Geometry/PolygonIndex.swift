import Foundation

/// Polygons prepared for fast segment queries: plane, in-plane axes, projected vertices and
/// bounding box per polygon. Used for image-source validity and occlusion tests.
struct PolygonIndex: Sendable {
    struct Entry: Sendable {
        let normal: Vec3
        let offset: Double          // n · v₀
        let u: Vec3, v: Vec3
        let projected: [Vec2]
        let lo: Vec3, hi: Vec3
    }
    let entries: [Entry]

    init(_ polygons: [Polygon]) {
        entries = polygons.map { p in
            let (u, v) = p.planeAxes
            let lo = p.vertices.reduce(Vec3(repeating: .infinity)) { Vec3(min($0.x, $1.x), min($0.y, $1.y), min($0.z, $1.z)) }
            let hi = p.vertices.reduce(Vec3(repeating: -.infinity)) { Vec3(max($0.x, $1.x), max($0.y, $1.y), max($0.z, $1.z)) }
            return Entry(normal: p.normal, offset: p.normal.dot(p.vertices[0]), u: u, v: v,
                         projected: p.vertices.map { Vec2($0.dot(u), $0.dot(v)) }, lo: lo - 1e-9, hi: hi + 1e-9)
        }
    }

    /// Where the segment a → b meets polygon `i` (parameter t along it), if it does within (tMin, tMax).
    @inline(__always)
    func intersect(_ i: Int, from a: Vec3, to b: Vec3, tMin: Double = 1e-9, tMax: Double = 1 - 1e-9) -> (t: Double, point: Vec3)? {
        let e = entries[i]
        let d = b - a
        let denom = e.normal.dot(d)
        guard abs(denom) > 1e-15 else { return nil }
        let t = (e.offset - e.normal.dot(a)) / denom
        guard t > tMin, t < tMax else { return nil }
        let p = a + t * d
        guard all(p .>= e.lo), all(p .<= e.hi) else { return nil }
        guard PlanarGeometry.contains(e.projected, Vec2(p.dot(e.u), p.dot(e.v))) else { return nil }
        return (t, p)
    }

    /// Whether any polygon other than `skip1`/`skip2` blocks the open segment a → b.
    func occluded(_ a: Vec3, _ b: Vec3, skip1: Int = -1, skip2: Int = -1) -> Bool {
        for i in entries.indices where i != skip1 && i != skip2 {
            if intersect(i, from: a, to: b) != nil { return true }
        }
        return false
    }

    /// Signed distance of `p` from polygon `i`'s plane (positive on the normal's side).
    @inline(__always)
    func signedDistance(_ i: Int, _ p: Vec3) -> Double { entries[i].normal.dot(p) - entries[i].offset }

    /// `p` mirrored in polygon `i`'s plane.
    @inline(__always)
    func mirror(_ i: Int, _ p: Vec3) -> Vec3 { p - 2 * signedDistance(i, p) * entries[i].normal }
}
