import Foundation

/// Ray queries against a room's polygons: the first surface a ray meets, and whether a segment is
/// clear.
///
/// A polygon is *supporting* when no vertex of the room lies behind its plane (a convex room's
/// walls; an L-room's outer walls, floor and ceiling); the others — an L-room's inner-corner walls,
/// every face of an object — are *occluders*. Air lies in front of every supporting plane, so an
/// open segment between two points of the room never crosses one: only occluders can block a
/// segment, and a ray from inside meets either an occluder or, first among the supporting planes,
/// the one with the smallest positive t = (o_k − n·p)/(n·d) over those it moves toward (n·d < 0).
/// Three strategies, chosen once:
///
/// - **Convex rooms** (no occluders): that plane is the answer; only where several polygons
///   share it is a point-in-polygon test needed.
/// - **Few supporting planes** (≤ `planeLimit`, ≤ `polygonsPerPlaneLimit` polygons each): the
///   nearest supporting plane bounds the search among the occluders; with no occluder before it,
///   the polygon of that plane holding the point is the hit (none holding it — a gap in the
///   geometry — falls back to the search below).
/// - **Any other room**: a bounding-volume hierarchy over the polygons' boxes (surface-area
///   heuristic splits; Wald, "On fast construction of SAH-based bounding volume hierarchies",
///   2007, describes the family), slab tests for the boxes,
///   plane + even-odd point-in-polygon tests for the leaves, front-to-back traversal with early exit.
///
/// Visibility (`isClear`) always searches the occluders alone, in a tree of their own.
struct RayCaster: Sendable {
    let isConvex: Bool
    /// Flat, pointer-backed copies of the polygons, planes and tree: the hot loops touch no Swift
    /// arrays (no reference counting, no bounds checks).
    private let store: Store

    struct Node: Sendable {
        var lo: Vec3, hi: Vec3
        /// Leaf: index of the first polygon in `order`; inner node: index of the right child
        /// (the left child follows the node directly).
        var first: Int
        var count: Int
        /// Inner node: the axis its children were split along.
        var axis: Int = 0
    }

    /// Below this many polygons a plain loop over them beats walking a tree.
    static let bruteForceLimit = 16
    /// Most supporting planes, and polygons on one of them, for the supporting-plane strategy.
    static let planeLimit = 24, polygonsPerPlaneLimit = 8
    /// Whether a non-convex room is searched through its supporting planes and occluders.
    private let usesPlanes: Bool
    /// Every polygon, and the occluders alone.
    private let everyPolygon: Tree, occluders: Tree

    /// Polygons `order[0 ..< count]` and their tree (`nodes`, empty when searched by a plain loop).
    struct Tree: @unchecked Sendable {
        var nodes: UnsafePointer<Node>, order: UnsafePointer<Int>
        var count: Int
        var bruteForce: Bool
    }

    init(polygons: [Polygon], allowConvex: Bool = true) {
        let index = PolygonIndex(polygons)
        let supporting = RayCaster.supporting(polygons)
        let convex = allowConvex && !supporting.contains(false)
        isConvex = convex
        var planes: [(normal: Vec3, offset: Double, polygons: [Int])] = []
        for (i, p) in polygons.enumerated() where supporting[i] {
            let offset = p.normal.dot(p.vertices[0])
            if let g = planes.firstIndex(where: { $0.normal.dot(p.normal) > 1 - 1e-9 && abs($0.offset - offset) < 1e-7 }) {
                planes[g].polygons.append(i)
            } else {
                planes.append((p.normal, offset, [i]))
            }
        }
        usesPlanes = !convex && planes.count <= RayCaster.planeLimit
            && planes.allSatisfy { $0.polygons.count <= RayCaster.polygonsPerPlaneLimit }
        var trees: [(nodes: [Node], order: [Int])] = []
        if !convex {
            let boxes = index.entries.map { ($0.lo, $0.hi) }
            let centroids = polygons.map(\.centroid)
            for subset in [Array(polygons.indices), polygons.indices.filter { !supporting[$0] }] {
                var nodes: [Node] = [], order = subset
                if subset.count > RayCaster.bruteForceLimit {
                    RayCaster.build(&nodes, &order, boxes: boxes, centroids: centroids, range: 0..<order.count)
                }
                trees.append((nodes, order))
            }
        }
        let stored = Store(index: index, planes: planes, trees: trees)
        let views = (0..<2).map { k in
            k < trees.count ? Tree(nodes: stored.trees[k].nodes, order: stored.trees[k].order, count: trees[k].order.count, bruteForce: trees[k].nodes.isEmpty)
                : Tree(nodes: stored.trees[0].nodes, order: stored.trees[0].order, count: 0, bruteForce: true)
        }
        store = stored
        everyPolygon = views[0]
        occluders = views[1]
    }

    /// Pointer-backed storage, written once in `init` and only read afterwards.
    final class Store: @unchecked Sendable {
        let normal: UnsafeMutablePointer<Vec3>, offset: UnsafeMutablePointer<Double>
        let u: UnsafeMutablePointer<Vec3>, v: UnsafeMutablePointer<Vec3>
        let lo: UnsafeMutablePointer<Vec3>, hi: UnsafeMutablePointer<Vec3>
        /// Projected vertices of polygon i: vertices[vertexStart[i] ..< vertexStart[i + 1]].
        let vertexStart: UnsafeMutablePointer<Int>, vertices: UnsafeMutablePointer<Vec2>
        /// Edge k of a polygon runs from vertex k − 1 (cyclically) to vertex k: Δx/Δy along it, for
        /// the even–odd crossing without a division (0 for a horizontal edge, which never crosses).
        let edgeSlope: UnsafeMutablePointer<Double>
        let planeCount: Int
        let planeNormal: UnsafeMutablePointer<Vec3>, planeOffset: UnsafeMutablePointer<Double>
        /// Polygons on plane k: planePolygons[planeStart[k] ..< planeStart[k + 1]].
        let planeStart: UnsafeMutablePointer<Int>, planePolygons: UnsafeMutablePointer<Int>
        /// Each tree's nodes and polygon order (see `RayCaster.Tree`); one empty tree when there are none.
        let trees: [(nodes: UnsafeMutablePointer<Node>, order: UnsafeMutablePointer<Int>)]
        private var allocations: [UnsafeMutableRawPointer] = []

        init(index: PolygonIndex, planes: [(normal: Vec3, offset: Double, polygons: [Int])], trees: [(nodes: [Node], order: [Int])]) {
            var all: [UnsafeMutableRawPointer] = []
            func copy<T>(_ a: [T]) -> UnsafeMutablePointer<T> {
                let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, a.count))
                if !a.isEmpty { p.initialize(from: a, count: a.count) }
                all.append(UnsafeMutableRawPointer(p))
                return p
            }
            let e = index.entries
            normal = copy(e.map(\.normal)); offset = copy(e.map(\.offset))
            u = copy(e.map(\.u)); v = copy(e.map(\.v))
            lo = copy(e.map(\.lo)); hi = copy(e.map(\.hi))
            var starts = [0]
            for x in e { starts.append(starts.last! + x.projected.count) }
            vertexStart = copy(starts)
            vertices = copy(e.flatMap(\.projected))
            edgeSlope = copy(e.flatMap { x -> [Double] in
                x.projected.indices.map { k in
                    let a = x.projected[k], b = x.projected[(k + x.projected.count - 1) % x.projected.count]
                    return b.y != a.y ? (b.x - a.x) / (b.y - a.y) : 0
                }
            })
            planeCount = planes.count
            planeNormal = copy(planes.map(\.normal)); planeOffset = copy(planes.map(\.offset))
            var ps = [0]
            for p in planes { ps.append(ps.last! + p.polygons.count) }
            planeStart = copy(ps)
            planePolygons = copy(planes.flatMap(\.polygons))
            self.trees = (trees.isEmpty ? [([], [])] : trees).map { (copy($0.nodes), copy($0.order)) }
            allocations = all
        }

        deinit { for p in allocations { p.deallocate() } }

        /// Whether `p` (on polygon i's plane) lies inside polygon i: `PlanarGeometry.contains`'s
        /// even–odd rule over the flat vertex store, so the hot loop builds no `[Vec2]`.
        @inline(__always)
        func contains(_ i: Int, _ p: Vec3) -> Bool {
            let qx = p.dot(u[i]), qy = p.dot(v[i])
            let first = vertexStart[i], last = vertexStart[i + 1]
            var inside = false
            var j = last - 1
            for k in first..<last {
                // Branch-free: which edges cross is as good as random to a branch predictor.
                let a = vertices[k], b = vertices[j]
                let crosses = (a.y > qy) != (b.y > qy)
                let x = a.x + (qy - a.y) * edgeSlope[k]
                inside = inside != (crosses && qx < x)
                j = k
            }
            return inside
        }

        /// Distance in polygon i's plane from `p`'s projection to the polygon (0 inside).
        func projectedDistance(_ i: Int, _ p: Vec3) -> Double {
            if contains(i, p) { return 0 }
            let q = Vec2(p.dot(u[i]), p.dot(v[i]))
            let first = vertexStart[i], last = vertexStart[i + 1]
            var best = Double.infinity
            var j = last - 1
            for k in first..<last {
                best = min(best, PlanarGeometry.segmentDistance(q, vertices[j], vertices[k]))
                j = k
            }
            return best
        }

        /// Ray parameter t in (lo, hi) where o + t·d meets polygon i inside it, from the side its normal
        /// points to, or nil. Sound travels in the room's air, and every normal points into the air
        /// (room walls inward, object faces outward), so a ray can only meet a polygon's front:
        /// back faces are skipped before any other work.
        @inline(__always)
        func rayParameter(_ i: Int, _ o: Vec3, _ d: Vec3, within tLo: Double, _ tHi: Double) -> Double? {
            let n = normal[i]
            let denom = n.dot(d)
            guard denom < -1e-15 else { return nil }
            // tLo < num/denom < tHi with denom < 0, without the division (most polygons fail here).
            let num = offset[i] - n.dot(o)
            guard num < tLo * denom, tHi == .infinity || num > tHi * denom else { return nil }
            let t = num / denom
            guard t > tLo, t < tHi else { return nil }
            let p = o + t * d
            guard all(p .>= lo[i]), all(p .<= hi[i]), contains(i, p) else { return nil }
            return t
        }
    }

    /// Per polygon, whether every vertex of every polygon lies on or in front of its plane (all
    /// true: the room is convex).
    static func supporting(_ polygons: [Polygon]) -> [Bool] {
        let scale = polygons.flatMap(\.vertices).reduce(1.0) { max($0, abs($1.x), abs($1.y), abs($1.z)) }
        return polygons.map { p in
            let offset = p.normal.dot(p.vertices[0])
            return polygons.allSatisfy { q in q.vertices.allSatisfy { p.normal.dot($0) - offset >= -1e-9 * scale } }
        }
    }

    /// Builds the tree over `order[range]` with the surface-area heuristic: along each axis the
    /// polygons are sorted by centroid and every split position is costed as
    /// A(left)·n(left) + A(right)·n(right) (A = box surface area; MacDonald & Booth 1990); a node
    /// stays a leaf when no split beats testing its polygons directly.
    private static func build(_ nodes: inout [Node], _ order: inout [Int], boxes: [(Vec3, Vec3)], centroids: [Vec3], range: Range<Int>,
                              depth: Int = 0) {
        func area(_ lo: Vec3, _ hi: Vec3) -> Double {
            let e = pointwiseMax(hi - lo, .zero)
            return 2 * (e.x * e.y + e.y * e.z + e.z * e.x)
        }
        var lo = Vec3(repeating: .infinity), hi = Vec3(repeating: -.infinity)
        for k in range { let (a, b) = boxes[order[k]]; lo = pointwiseMin(lo, a); hi = pointwiseMax(hi, b) }
        let me = nodes.count
        nodes.append(Node(lo: lo, hi: hi, first: range.lowerBound, count: range.count))
        let n = range.count
        guard n > 2, depth < 60 else { return }
        // Cost of a leaf: n polygon tests (relative to one box test, a polygon test costs ~4).
        var bestCost = Double(n) * 4 * area(lo, hi), bestAxis = -1, bestSplit = 0
        var bestOrder: [Int] = []
        for axis in 0..<3 {
            let sorted = order[range].sorted { centroids[$0][axis] < centroids[$1][axis] || (centroids[$0][axis] == centroids[$1][axis] && $0 < $1) }
            // Right-to-left sweep of box areas.
            var rightArea = [Double](repeating: 0, count: n + 1)
            var rlo = Vec3(repeating: .infinity), rhi = Vec3(repeating: -.infinity)
            for k in stride(from: n - 1, through: 0, by: -1) {
                let (a, b) = boxes[sorted[k]]
                rlo = pointwiseMin(rlo, a); rhi = pointwiseMax(rhi, b)
                rightArea[k] = area(rlo, rhi)
            }
            var llo = Vec3(repeating: .infinity), lhi = Vec3(repeating: -.infinity)
            for k in 1..<n {
                let (a, b) = boxes[sorted[k - 1]]
                llo = pointwiseMin(llo, a); lhi = pointwiseMax(lhi, b)
                let cost = 2 * area(lo, hi) + 4 * (area(llo, lhi) * Double(k) + rightArea[k] * Double(n - k))
                if cost < bestCost { bestCost = cost; bestAxis = axis; bestSplit = k; bestOrder = sorted }
            }
        }
        guard bestAxis >= 0 else { return }
        order.replaceSubrange(range, with: bestOrder)
        let mid = range.lowerBound + bestSplit
        build(&nodes, &order, boxes: boxes, centroids: centroids, range: range.lowerBound..<mid, depth: depth + 1)
        let right = nodes.count
        build(&nodes, &order, boxes: boxes, centroids: centroids, range: mid..<range.upperBound, depth: depth + 1)
        nodes[me].first = right
        nodes[me].count = 0
        nodes[me].axis = bestAxis
    }

    /// The first polygon other than `skip` the ray o + t·d (t > `tMin`) meets, and t. `d` need not
    /// be unit length. A ray leaving a planar polygon cannot meet it again, so the polygon a ray
    /// starts on is passed as `skip` (robust against t ≈ 0 re-hits).
    @inline(__always)
    func firstHit(origin o: Vec3, direction d: Vec3, skip: Int = -1, tMin: Double = 1e-9) -> (t: Double, surface: Int)? {
        if isConvex { return firstHitConvex(o, d, tMin) }
        if usesPlanes { return firstHitPlanes(o, d, tMin, skip: skip) }
        return firstHitBVH(everyPolygon, o, d, tMin, tMax: .infinity, skip: skip, anyHit: false)
    }

    /// Whether no polygon other than `skip` blocks the open segment a → b.
    @inline(__always)
    func isClear(_ a: Vec3, _ b: Vec3, skip: Int = -1) -> Bool {
        if isConvex { return true }
        return firstHitBVH(occluders, a, b - a, 1e-9, tMax: 1 - 1e-9, skip: skip, anyHit: true) == nil
    }

    /// The nearest supporting plane the ray moves toward beyond `tMin`: its index and t.
    @inline(__always)
    private func nearestPlane(_ o: Vec3, _ d: Vec3, _ tMin: Double) -> (plane: Int, t: Double) {
        let s = store
        // The smallest num/denom > tMin over planes with denom < 0, compared as cross products
        // (num_a·denom_b < num_b·denom_a, both denominators negative): one division in all, and
        // selects instead of branches. The start, −1/−ε, stands for t = +∞.
        var bestNum = -1.0, bestDenom = -Double.leastNormalMagnitude, plane = -1
        for k in 0..<s.planeCount {
            let n = s.planeNormal[k]
            let denom = n.dot(d)
            let num = s.planeOffset[k] - n.dot(o)
            let better = denom < 0 && num < tMin * denom && num * bestDenom < bestNum * denom
            bestNum = better ? num : bestNum
            bestDenom = better ? denom : bestDenom
            plane = better ? k : plane
        }
        return plane < 0 ? (-1, .infinity) : (plane, bestNum / bestDenom)
    }

    private func firstHitPlanes(_ o: Vec3, _ d: Vec3, _ tMin: Double, skip: Int) -> (t: Double, surface: Int)? {
        let (plane, t) = nearestPlane(o, d, tMin)
        if let hit = firstHitBVH(occluders, o, d, tMin, tMax: t, skip: skip, anyHit: false) { return hit }
        if plane >= 0 {
            let s = store, point = o + t * d
            for k in s.planeStart[plane]..<s.planeStart[plane + 1] where s.contains(s.planePolygons[k], point) { return (t, s.planePolygons[k]) }
        }
        // On an edge, numerically in no polygon, or through a gap: the search over every polygon.
        return firstHitBVH(everyPolygon, o, d, tMin, tMax: .infinity, skip: skip, anyHit: false)
    }

    private func firstHitConvex(_ o: Vec3, _ d: Vec3, _ tMin: Double) -> (t: Double, surface: Int)? {
        let s = store
        let (plane, best) = nearestPlane(o, d, tMin)
        guard plane >= 0 else { return nil }
        let first = s.planeStart[plane], last = s.planeStart[plane + 1]
        if last - first == 1 { return (best, s.planePolygons[first]) }
        let point = o + best * d
        for k in first..<last where s.contains(s.planePolygons[k], point) { return (best, s.planePolygons[k]) }
        // On a shared edge of coplanar polygons, numerically in neither: the nearest one.
        var nearest = s.planePolygons[first], distance = Double.infinity
        for k in first..<last {
            let dk = s.projectedDistance(s.planePolygons[k], point)
            if dk < distance { distance = dk; nearest = s.planePolygons[k] }
        }
        return (best, nearest)
    }

    private func firstHitBVH(_ tree: Tree, _ o: Vec3, _ d: Vec3, _ tMin: Double, tMax: Double, skip: Int, anyHit: Bool) -> (t: Double, surface: Int)? {
        let s = store
        if tree.bruteForce {
            var best = tMax, hit = -1
            for k in 0..<tree.count {
                let i = tree.order[k]
                if i == skip { continue }
                if let t = s.rayParameter(i, o, d, within: tMin, best) {
                    best = t; hit = i
                    if anyHit { break }
                }
            }
            return hit >= 0 ? (best, hit) : nil
        }
        let inv = Vec3(1 / d.x, 1 / d.y, 1 / d.z)
        var best = tMax, hit = -1
        /// Where the ray enters node `k`'s box within (tMin, best), or nil.
        @inline(__always) func entry(_ k: Int) -> Double? {
            let n = tree.nodes[k]
            let t0 = (n.lo - o) * inv, t1 = (n.hi - o) * inv
            let enter = max(largestLane(lanesMin(t0, t1)), tMin), exit = min(smallestLane(lanesMax(t0, t1)), best)
            return enter <= exit ? enter : nil
        }
        guard let rootEntry = entry(0) else { return nil }
        // Nodes still to visit with the distance where the ray enters them, nearest on top; a node
        // entered beyond the best hit so far is dropped when popped. At most depth + 1 entries
        // (`build` caps the depth at 60).
        var nodeStack = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                         0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var entryStack = nodeStack
        return withUnsafeMutableBytes(of: &nodeStack) { rawNodes -> (t: Double, surface: Int)? in
          withUnsafeMutableBytes(of: &entryStack) { rawEntries -> (t: Double, surface: Int)? in
            let nodes = rawNodes.baseAddress!.assumingMemoryBound(to: Int.self)
            let entries = rawEntries.baseAddress!.assumingMemoryBound(to: Double.self)
            nodes[0] = 0; entries[0] = rootEntry
            var top = 1
            while top > 0 {
                top -= 1
                if entries[top] > best { continue }
                let node = nodes[top]
                let n = tree.nodes[node]
                if n.count > 0 {
                    for k in n.first..<(n.first + n.count) {
                        let i = tree.order[k]
                        if i == skip { continue }
                        if let t = s.rayParameter(i, o, d, within: tMin, best) {
                            best = t; hit = i
                            if anyHit { return (t, i) }
                        }
                    }
                } else {
                    // Both children's boxes; the nearer one is visited first.
                    let left = node + 1, right = n.first
                    let el = entry(left), er = entry(right)
                    switch (el, er) {
                    case let (l?, r?):
                        let (near, far, nearT, farT) = l <= r ? (left, right, l, r) : (right, left, r, l)
                        nodes[top] = far; entries[top] = farT
                        nodes[top + 1] = near; entries[top + 1] = nearT
                        top += 2
                    case let (l?, nil): nodes[top] = left; entries[top] = l; top += 1
                    case let (nil, r?): nodes[top] = right; entries[top] = r; top += 1
                    case (nil, nil): break
                    }
                }
            }
            return hit >= 0 ? (best, hit) : nil
          }
        }
    }
}
