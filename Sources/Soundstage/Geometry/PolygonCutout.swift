import Foundation

/// A flat polygon with smaller polygons cut out of it (a wall with its windows): the remainder as
/// polygons the engines take like any other. Coordinates are 2-D, in the host polygon's plane.
///
/// Two constructions, chosen by `remainder(of:without:)`:
/// - pieces strictly inside the host (1 mm clear of its edges and of each other): one **keyhole**
///   polygon per host — each hole joined to the outer loop by a zero-width bridge (the standard
///   reduction of a polygon with holes to a simple one; Eberly, "Triangulation by Ear Clipping",
///   Geometric Tools 2002, §3). The bridge's two edges cancel in an even–odd point test, so the
///   remainder's area and containment are exact.
/// - axis-aligned rectangles on a rectangular host, touching its edges or each other (a door down to
///   the floor): the host's grid cut at every rectangle edge, the remaining cells merged row by row.
enum PolygonCutout {
    static let clearance = 1e-3

    enum Failure: Error, Equatable {
        /// Piece `index` is not inside the host.
        case outside(index: Int)
        /// Pieces `first` and `second` overlap.
        case overlap(first: Int, second: Int)
        /// Piece `index` touches the host's edge or another piece, and the pair is not rectangles
        /// on a rectangle.
        case touching(index: Int)
    }

    /// The host `outer` (counter-clockwise) without `pieces` (each counter-clockwise): a list of
    /// counter-clockwise loops whose areas sum to the host's minus the pieces'.
    static func remainder(of outer: [Vec2], without pieces: [[Vec2]]) throws(Failure) -> [[Vec2]] {
        for (i, p) in pieces.enumerated() {
            guard p.allSatisfy({ PlanarGeometry.contains(outer, $0) || distanceToBoundary($0, outer) <= 1e-9 }),
                  !edgesCross(p, outer) else { throw .outside(index: i) }
        }
        for i in pieces.indices {
            for j in (i + 1)..<pieces.count where overlaps(pieces[i], pieces[j]) { throw .overlap(first: i, second: j) }
        }
        let clear = pieces.indices.allSatisfy { i in
            minimumDistance(pieces[i], outer) >= clearance &&
                ((i + 1)..<pieces.count).allSatisfy { minimumDistance(pieces[i], pieces[$0]) >= clearance }
        }
        if clear { return [keyhole(outer: outer, holes: pieces)] }
        if let cells = rectangleGrid(outer: outer, rectangles: pieces) { return cells }
        let index = pieces.indices.first { i in
            minimumDistance(pieces[i], outer) < clearance || pieces.indices.contains { $0 != i && minimumDistance(pieces[i], pieces[$0]) < clearance }
        } ?? 0
        throw .touching(index: index)
    }

    // MARK: Keyhole

    /// One loop: the outer loop with every hole spliced in through its shortest bridge that crosses no
    /// edge. Holes are taken from the one reaching farthest in x (Eberly §3), so each bridge sees the
    /// loop as it is after the earlier ones.
    static func keyhole(outer: [Vec2], holes: [[Vec2]]) -> [Vec2] {
        var loop = outer
        var remaining = holes.map { Array($0.reversed()) } // holes run clockwise in the loop
        remaining.sort { ($0.map(\.x).max() ?? 0) > ($1.map(\.x).max() ?? 0) }
        while !remaining.isEmpty {
            let hole = remaining.removeFirst()
            var best: (h: Int, o: Int, length: Double)?
            for h in hole.indices {
                for o in loop.indices {
                    let length = (hole[h] - loop[o]).length
                    if let b = best, b.length <= length { continue }
                    if bridgeIsClear(hole[h], loop[o], loops: [loop, hole] + remaining) { best = (h, o, length) }
                }
            }
            // Holes 1 mm clear of everything always have a clear bridge to the nearest loop vertex
            // they see; `best` is nil only for degenerate input, which `remainder` has rejected.
            guard let b = best else { continue }
            let rotated = Array(hole[b.h...] + hole[..<b.h]) + [hole[b.h]]
            loop = Array(loop[...b.o]) + rotated + Array(loop[b.o...])
        }
        return loop
    }

    /// Whether segment a–b meets no edge of `loops` except at its own end points.
    private static func bridgeIsClear(_ a: Vec2, _ b: Vec2, loops: [[Vec2]]) -> Bool {
        for l in loops {
            for k in l.indices {
                let c = l[k], d = l[(k + 1) % l.count]
                let sharesEnd = [c, d].contains { ($0 - a).length < 1e-12 || ($0 - b).length < 1e-12 }
                if sharesEnd { continue }
                if PlanarGeometry.segmentsIntersect(a, b, c, d) { return false }
            }
        }
        return true
    }

    // MARK: Rectangles on a rectangle

    /// The host's cells between every rectangle edge, without the rectangles' cells, merged along
    /// rows; nil unless the host and every piece are rectangles with sides along the host's.
    static func rectangleGrid(outer: [Vec2], rectangles: [[Vec2]]) -> [[Vec2]]? {
        guard outer.count == 4 else { return nil }
        let e1 = (outer[1] - outer[0]) / (outer[1] - outer[0]).length
        let e2 = Vec2(-e1.y, e1.x)
        let origin = outer[0]
        func local(_ p: Vec2) -> Vec2 { Vec2((p - origin).dot(e1), (p - origin).dot(e2)) }
        func world(_ q: Vec2) -> Vec2 { origin + q.x * e1 + q.y * e2 }
        func box(_ p: [Vec2]) -> (lo: Vec2, hi: Vec2)? {
            guard p.count == 4 else { return nil }
            let q = p.map(local)
            let lo = Vec2(q.map(\.x).min()!, q.map(\.y).min()!), hi = Vec2(q.map(\.x).max()!, q.map(\.y).max()!)
            // Every corner on a corner of the bounding box: a rectangle with sides along e1, e2.
            let corners = [lo, Vec2(hi.x, lo.y), hi, Vec2(lo.x, hi.y)]
            guard q.allSatisfy({ c in corners.contains { ($0 - c).length < 1e-9 } }) else { return nil }
            return (lo, hi)
        }
        guard let host = box(outer) else { return nil }
        var boxes: [(lo: Vec2, hi: Vec2)] = []
        for r in rectangles { guard let b = box(r) else { return nil }; boxes.append(b) }
        func cuts(_ values: [Double]) -> [Double] {
            var out: [Double] = []
            for v in values.sorted() where out.last.map({ v - $0 > 1e-9 }) ?? true { out.append(v) }
            return out
        }
        let xs = cuts([host.lo.x, host.hi.x] + boxes.flatMap { [$0.lo.x, $0.hi.x] })
        let ys = cuts([host.lo.y, host.hi.y] + boxes.flatMap { [$0.lo.y, $0.hi.y] })
        var loops: [[Vec2]] = []
        for j in 0..<(ys.count - 1) {
            var start: Int?
            for i in 0...(xs.count - 1) {
                let free: Bool
                if i < xs.count - 1 {
                    let centre = Vec2((xs[i] + xs[i + 1]) / 2, (ys[j] + ys[j + 1]) / 2)
                    free = !boxes.contains { all(centre .> $0.lo) && all(centre .< $0.hi) }
                } else { free = false }
                if free, start == nil { start = i }
                if !free, let s = start {
                    loops.append([Vec2(xs[s], ys[j]), Vec2(xs[i], ys[j]), Vec2(xs[i], ys[j + 1]), Vec2(xs[s], ys[j + 1])].map(world))
                    start = nil
                }
            }
        }
        return loops
    }

    // MARK: Helpers

    static func distanceToBoundary(_ q: Vec2, _ loop: [Vec2]) -> Double {
        loop.indices.map { PlanarGeometry.segmentDistance(q, loop[$0], loop[($0 + 1) % loop.count]) }.min() ?? .infinity
    }

    /// Smallest distance between the boundaries of two loops (vertices to edges both ways).
    static func minimumDistance(_ a: [Vec2], _ b: [Vec2]) -> Double {
        min(a.map { distanceToBoundary($0, b) }.min() ?? .infinity, b.map { distanceToBoundary($0, a) }.min() ?? .infinity)
    }

    /// Whether an edge of `a` properly crosses an edge of `b` (meeting at a point of both interiors).
    static func edgesCross(_ a: [Vec2], _ b: [Vec2]) -> Bool {
        for i in a.indices {
            let p = a[i], q = a[(i + 1) % a.count]
            for k in b.indices {
                let r = b[k], s = b[(k + 1) % b.count]
                let d1 = (s - r).cross(p - r), d2 = (s - r).cross(q - r), d3 = (q - p).cross(r - p), d4 = (q - p).cross(s - p)
                let eps = 1e-12
                if ((d1 > eps && d2 < -eps) || (d1 < -eps && d2 > eps)) && ((d3 > eps && d4 < -eps) || (d3 < -eps && d4 > eps)) { return true }
            }
        }
        return false
    }

    /// Whether two loops share interior area: an edge crossing, or a point of one (a vertex or an
    /// edge's midpoint, nudged off shared edges) strictly inside the other.
    static func overlaps(_ a: [Vec2], _ b: [Vec2]) -> Bool {
        if edgesCross(a, b) { return true }
        func inside(_ p: [Vec2], _ q: [Vec2]) -> Bool {
            var probes: [Vec2] = []
            for i in p.indices {
                probes.append(p[i])
                probes.append((p[i] + p[(i + 1) % p.count]) * 0.5)
            }
            let sum = p.reduce(Vec2.zero, +)
            probes.append(sum / Double(p.count))
            return probes.contains { PlanarGeometry.contains(q, $0) && distanceToBoundary($0, q) > 1e-9 }
        }
        return inside(a, b) || inside(b, a)
    }
}
