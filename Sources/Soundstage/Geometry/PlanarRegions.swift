import Foundation

/// The physical flat surfaces behind a mesh's polygons. A modeller splits one wall into many
/// polygons (BRAS CR2's 49 m² floor is 29 of them, its ceiling plane 134); what diffracts is the
/// wall, not the pieces, so size-dependent physics must not change with the tessellation.
enum PlanarRegions {
    /// For each polygon, the equivalent rectangle of the connected coplanar region it belongs to:
    /// polygons are joined when they share a vertex (1 mm grid) and lie in the same plane (normals
    /// within 1°, offsets within 5 mm). The rectangle keeps the region's area, with the aspect ratio
    /// of its smallest bounding rectangle (exact for a rectangle).
    static func equivalentRectangles(_ polygons: [Polygon]) -> [(width: Double, length: Double)] {
        let members = regions(polygons)
        var result = Array(repeating: (width: 0.0, length: 0.0), count: polygons.count)
        for group in members {
            let first = group[0]
            let area = group.reduce(0.0) { $0 + polygons[$1].area }
            let (u, v) = polygons[first].planeAxes
            let points = group.flatMap { polygons[$0].vertices }.map { SIMD2($0.dot(u), $0.dot(v)) }
            // The smallest bounding rectangle has a side along an edge of the region's convex hull
            // (Freeman & Shapira 1975): try each hull edge's direction, over the hull's points only
            // (a region of thousands of triangles has a hull of a few points).
            let hull = convexHull(points)
            var e1 = 0.0, e2 = 0.0, best = Double.infinity
            for k in hull.indices {
                let d = hull[(k + 1) % hull.count] - hull[k]
                let n = (d * d).sum().squareRoot()
                guard n > 1e-9 else { continue }
                let axis = d / n, across = SIMD2(-axis.y, axis.x)
                var lo = SIMD2(Double.infinity, Double.infinity), hi = -lo
                for p in hull {
                    let q = SIMD2((p * axis).sum(), (p * across).sum())
                    lo = lo.replacing(with: q, where: q .< lo)
                    hi = hi.replacing(with: q, where: q .> hi)
                }
                let size = hi - lo
                if size.x * size.y < best { best = size.x * size.y; (e1, e2) = (size.x, size.y) }
            }
            let ratio = max(e1, e2) / max(min(e1, e2), 1e-9)
            let width = (area / ratio).squareRoot(), length = (area * ratio).squareRoot()
            for i in group { result[i] = (width, length) }
        }
        return result
    }

    /// The connected coplanar regions: polygons are joined when they share a vertex (1 mm grid) and
    /// lie in the same plane (normals within 1°, offsets within 5 mm). Each region lists its polygons
    /// in increasing order.
    static func regions(_ polygons: [Polygon]) -> [[Int]] {
        var parent = Array(polygons.indices)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }
            return i
        }
        let normals = polygons.map(\.normal)
        let offsets = polygons.indices.map { normals[$0].dot(polygons[$0].vertices[0]) }
        var owners: [SIMD3<Int64>: [Int]] = [:]
        for (i, p) in polygons.enumerated() {
            for v in p.vertices {
                owners[SIMD3(Int64((v.x * 1000).rounded()), Int64((v.y * 1000).rounded()), Int64((v.z * 1000).rounded())), default: []].append(i)
            }
        }
        let sameDirection = cos(Double.pi / 180)
        for group in owners.values where group.count > 1 {
            for a in group {
                for b in group where b > a && normals[a].dot(normals[b]) > sameDirection && abs(offsets[a] - offsets[b]) < 0.005 {
                    let ra = root(a), rb = root(b)
                    if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
                }
            }
        }
        var members: [Int: [Int]] = [:]
        for i in polygons.indices { members[root(i), default: []].append(i) }
        return members.keys.sorted().map { members[$0]! }
    }

    /// For each polygon, whether the flat wall it belongs to has an edge that diffracts: a free edge
    /// or a convex one, where the wall's plane continues into the room's air beyond it. Along a
    /// concave joint — two walls, or a wall and the floor, meeting inside the room — nothing
    /// diffracts: the mirror image of the room across one wall continues across the other, which is
    /// why image sources are the exact solution of a rectangular room with angle-independent
    /// reflection (Allen & Berkley 1979, JASA 65(4)); for a rigid wedge whose open (air) angle is π/n
    /// the image sources are the whole field and the edge-diffraction term vanishes (Svensson, Fred &
    /// Vanderkooy 1999, JASA 106(5): the wedge index ν = π/θ_w is then an integer). Concave joints at
    /// other angles (a hexagonal room's 120° corners) are treated the same way — an approximation.
    ///
    /// Each edge of the region's polygons is probed 2 cm beyond it in the wall's plane and 1 cm into
    /// the air side, at a quarter, half and three quarters of its length: a probe that lands on the
    /// region itself marks an inner edge (a wall cut into pieces); one in the air (`isAir`) marks an
    /// edge that diffracts.
    static func diffracting(_ polygons: [Polygon], isAir: (Vec3) -> Bool) -> [Bool] {
        var result = [Bool](repeating: false, count: polygons.count)
        for group in regions(polygons) {
            var diffracts = false
            search: for i in group {
                let p = polygons[i], n = p.normal, centre = p.centroid
                for k in p.vertices.indices {
                    let a = p.vertices[k], b = p.vertices[(k + 1) % p.vertices.count]
                    let edge = b - a
                    guard edge.length > 0.05 else { continue }
                    var inward = n.cross(edge.normalized)
                    if inward.dot(centre - a) < 0 { inward = -inward }
                    for f in [0.25, 0.5, 0.75] {
                        let probe = a + edge * f - inward * 0.02 + n * 0.01
                        let onRegion = group.contains { j in
                            abs(polygons[j].signedDistance(probe) - 0.01) < 0.006 && polygons[j].containsProjection(of: probe)
                        }
                        if !onRegion && isAir(probe) { diffracts = true; break search }
                    }
                }
            }
            for i in group { result[i] = diffracts }
        }
        return result
    }

    /// Andrew's monotone chain: the convex hull's corners, counter-clockwise (collinear points dropped).
    static func convexHull(_ points: [SIMD2<Double>]) -> [SIMD2<Double>] {
        let sorted = points.sorted { $0.x != $1.x ? $0.x < $1.x : $0.y < $1.y }
        guard sorted.count > 2 else { return sorted }
        func cross(_ o: SIMD2<Double>, _ a: SIMD2<Double>, _ b: SIMD2<Double>) -> Double {
            (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
        }
        var lower: [SIMD2<Double>] = [], upper: [SIMD2<Double>] = []
        for p in sorted {
            while lower.count >= 2 && cross(lower[lower.count - 2], lower[lower.count - 1], p) <= 0 { lower.removeLast() }
            lower.append(p)
        }
        for p in sorted.reversed() {
            while upper.count >= 2 && cross(upper[upper.count - 2], upper[upper.count - 1], p) <= 0 { upper.removeLast() }
            upper.append(p)
        }
        return Array(lower.dropLast() + upper.dropLast())
    }
}
