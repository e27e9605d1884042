import Foundation

/// What `ShoeboxImageSources.enumerate(shell:of:visitor:)` hands each image to.
/// `distanceSquared`: the squared distance from the image to the receiver (its square root is left
/// to the visitor, which may take many at once).
protocol ShoeboxImageVisitor {
    mutating func visit(image: Vec3, emission: Vec3, order: Int, distanceSquared: Double, reflection: SIMD8<Float>)
}

/// Image sources of a rectangular room, enumerated analytically after Allen & Berkley (1979).
///
/// Along x an image lies at X = 2·n·W + (1 − 2q)·x_s (n ∈ ℤ, q ∈ {0, 1}); its path meets the wall
/// x = 0 |n − q| times and the wall x = W |n| times (ibid., eq. 4–6), and likewise along y and z.
/// Mirroring by q reverses that axis of the emission direction. Every image whose arrival lies
/// within `maxDistance` and whose order is at most `maxOrder` is visited; none are stored except
/// the paths of order ≤ `detailOrder`, whose reflection points are found by unfolding. Work is split
/// into shells of distance (`enumerate(shell:of:)`), so each work slot's arrivals fill one stretch of time.
///
/// Objects in the room (axis-aligned boxes) occlude (`ShoeboxLattice.isBlocked`). Paths
/// that reflect off the boxes themselves are not images of the shell; `PolyhedralImageSources`
/// finds those (Borish 1984) up to the transition order.
///
/// A wall with patches (`SurfacePatch`: a window, a door) has no single reflection factor. Paths of
/// order ≤ `exactPatchOrder` are unfolded and get each reflection point's own material (the
/// lattice's factor times β_surface/β̄); later ones, whose reflection points spread over the wall,
/// take the wall's energy average β̄ = √(1 − ᾱ), ᾱ = Σ S_i α_i / Σ S_i — the late field's diffuse
/// approximation, with the mean absorption coefficient of Eyring's formula (Kuttruff, Room
/// Acoustics, ch. 5).
struct ShoeboxImageSources {
    let size: Vec3
    let source: Vec3
    let receiver: Vec3
    let maxDistance: Double
    let maxOrder: Int
    let detailOrder: Int
    /// Surface index in the scene of each wall: [left x=0, right x=W, back y=0, front y=L, floor z=0, ceiling z=H].
    let wallSurfaces: [Int]
    /// reflectionPowers[w][count * bands + b] = (√(1 − α_b))^count for wall w.
    let reflectionPowers: [[Double]]
    let bandCount: Int
    /// The mirrored rooms and the boxes that occlude paths (the scene's objects).
    let lattice: ShoeboxLattice
    /// Per wall (order of `wallSurfaces`), its patches: surface index and polygon; empty when none.
    let patches: [[(surface: Int, polygon: Polygon)]]
    /// Per surface, β_surface/β̄ of its wall (1 on walls without patches); nil when no wall has any.
    let patchRatios: [SIMD8<Float>]?
    /// Paths up to this order see each patch exactly (see the type's description).
    static let exactPatchOrder = 20

    /// nil unless the scene is a shoebox; `withObjects` false also gives nil when it holds objects.
    init?(scene: Scene, speaker: Speaker, maxDistance: Double, maxOrder: Int, detailOrder: Int, bandCount: Int, withObjects: Bool = false) {
        guard case .shoebox(let w, let l, let h) = scene.shape, withObjects || scene.objects.isEmpty else { return nil }
        size = Vec3(w, l, h)
        lattice = ShoeboxLattice(size: Vec3(w, l, h), occluders: scene.objects.map { ($0.minCorner, $0.maxCorner) })
        source = speaker.position
        receiver = scene.listener.position
        self.maxDistance = maxDistance
        self.maxOrder = maxOrder
        self.detailOrder = detailOrder
        self.bandCount = bandCount
        let names = ["left", "right", "back", "front", "floor", "ceiling"]
        // A wall's first surface (a patch when one covers the whole wall).
        wallSurfaces = names.map { n in scene.surfaces.firstIndex { $0.objectName == nil && ($0.name == n || $0.patchOf == n) }! }
        // Every surface of each wall: its own pieces and its patches.
        let members = names.map { n in scene.surfaces.indices.filter { scene.surfaces[$0].objectName == nil && (scene.surfaces[$0].name == n || scene.surfaces[$0].patchOf == n) } }
        patches = members.map { m in m.filter { scene.surfaces[$0].patchOf != nil }.map { ($0, scene.surfaces[$0].polygon) } }
        let averages: [BandValues] = members.map { m in
            let area = m.reduce(0.0) { $0 + scene.surfaces[$1].polygon.area }
            let alpha = BandValues((0..<FrequencyBands.octaves.count).map { b in
                m.reduce(0.0) { $0 + scene.surfaces[$1].polygon.area * scene.surfaces[$1].material.absorption.values[b] } / area
            })
            return alpha.map { (1 - $0).squareRoot() }
        }
        if patches.contains(where: { !$0.isEmpty }) {
            var ratios = [SIMD8<Float>](repeating: SIMD8(repeating: 1), count: scene.surfaces.count)
            for (w, m) in members.enumerated() where !patches[w].isEmpty {
                for s in m {
                    let beta = scene.surfaces[s].material.reflectionFactor
                    ratios[s] = SIMD8((0..<8).map { b in
                        let band = min(b, bandCount - 1)
                        return Float(averages[w][band] > 0 ? beta[band] / averages[w][band] : 1)
                    })
                }
            }
            patchRatios = ratios
        } else {
            patchRatios = nil
        }
        var powers: [[Double]] = []
        for (i, _) in wallSurfaces.enumerated() {
            let axisSize = [w, w, l, l, h, h][i]
            let maxCount = min(Int(maxDistance / axisSize) + 3, maxOrder == Int.max ? Int.max : maxOrder + 1)
            let beta = averages[i]
            var p = [Double](repeating: 1, count: (maxCount + 1) * bandCount)
            for c in 1...max(1, maxCount) where c <= maxCount {
                for b in 0..<bandCount { p[c * bandCount + b] = p[(c - 1) * bandCount + b] * beta[b] }
            }
            powers.append(p)
        }
        reflectionPowers = powers
    }

    /// The range of n for which some image along an axis lies within `reach` of the receiver.
    func range(axis: Int, reach: Double) -> ClosedRange<Int> {
        let s = source[axis], r = receiver[axis], twice = 2 * size[axis]
        let lo = Int(((r - reach - s) / twice).rounded(.down)) - 1
        let hi = Int(((r + reach + s) / twice).rounded(.up)) + 1
        return lo...hi
    }

    /// Per axis, for each image index n in `range(axis:reach:)` and mirror q: the pressure reflection
    /// factors of the axis' two walls raised to their hit counts |n − q| and |n| (lane b = band b,
    /// lanes beyond the bands repeating the last), and the hit count. A factor under 10⁻⁹ (−180 dB,
    /// below a Float response's resolution) is 0, which also keeps the products clear of subnormals;
    /// an entry whose factors are all 0, or whose count is beyond the order limit, is `silent`: its
    /// images are skipped.
    struct AxisFactors {
        let lowest: Int
        let gains: [SIMD8<Float>]
        let orders: [Int]
        let silent: [Bool]
        @inline(__always) func index(_ n: Int, _ q: Int) -> Int { (n - lowest) * 2 + q }
    }

    func axisFactors(_ axis: Int) -> AxisFactors {
        let r = range(axis: axis, reach: maxDistance)
        var gains: [SIMD8<Float>] = [], orders: [Int] = [], silent: [Bool] = []
        let near = reflectionPowers[2 * axis], far = reflectionPowers[2 * axis + 1]
        for n in r {
            for q in 0...1 {
                let c0 = abs(n - q), c1 = abs(n)
                let limit = near.count / bandCount - 1
                guard c0 <= limit, c1 <= limit else {
                    gains.append(SIMD8<Float>()); orders.append(0); silent.append(true); continue
                }
                var g = SIMD8<Float>()
                for b in 0..<8 {
                    let band = min(b, bandCount - 1)
                    let v = near[c0 * bandCount + band] * far[c1 * bandCount + band]
                    g[b] = v < 1e-9 ? 0 : Float(v)
                }
                gains.append(g); orders.append(c0 + c1); silent.append(g.max() == 0)
            }
        }
        return AxisFactors(lowest: r.lowerBound, gains: gains, orders: orders, silent: silent)
    }

    /// Squared radius of shell s of `shells` (s = 0 … shells): shells of equal volume, so that each
    /// holds about as many images; the last bound lies just beyond `maxDistance`.
    func shellBound(_ s: Int, of shells: Int) -> Double {
        let r2 = maxDistance * maxDistance
        if s == 0 { return 0 }
        if s == shells { return r2.nextUp }
        return r2 * pow(Double(s) / Double(shells), 2.0 / 3)
    }

    /// Visits the images at distances in shell `shell` of `shells` (`shellBound`; each image lies in
    /// exactly one) with: the image, the emission direction (from the speaker, need not be unit
    /// length), the reflection order, the squared distance to the receiver, and the product of the walls'
    /// reflection factors per band (`AxisFactors`).
    func enumerate<V: ShoeboxImageVisitor>(shell: Int, of shells: Int, visitor: inout V) {
        let lo2 = shellBound(shell, of: shells), hi2 = shellBound(shell + 1, of: shells)
        let fx = axisFactors(0), fy = axisFactors(1), fz = axisFactors(2)
        let nzRange = range(axis: 2, reach: maxDistance)
        let twiceZ = 2 * size.z
        let occludes = !lattice.occluders.isEmpty
        // The innermost axis' factors in flat memory, a silent entry's order beyond every limit: one
        // unchecked load and one comparison per image.
        let limit = min(maxOrder, Int(Int32.max) - 1)
        let zOrders = UnsafeMutablePointer<Int>.allocate(capacity: fz.orders.count)
        let zGains = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: fz.gains.count)
        defer { zOrders.deallocate(); zGains.deallocate() }
        for i in fz.orders.indices { zOrders[i] = fz.silent[i] ? Int(Int32.max) : fz.orders[i] }
        zGains.initialize(from: fz.gains, count: fz.gains.count)
        for nx in range(axis: 0, reach: maxDistance) {
            for qx in 0...1 {
                let x = 2 * Double(nx) * size.x + (qx == 0 ? source.x : -source.x)
                let dx = x - receiver.x, dx2 = dx * dx
                if dx2 >= hi2 { continue }
                let ix = fx.index(nx, qx), ox = fx.orders[ix]
                if ox > maxOrder || fx.silent[ix] { continue }
                let gx = fx.gains[ix]
                for ny in range(axis: 1, reach: (hi2 - dx2).squareRoot()) {
                    for qy in 0...1 {
                        let y = 2 * Double(ny) * size.y + (qy == 0 ? source.y : -source.y)
                        let dy = y - receiver.y
                        let rxy2 = dx2 + dy * dy
                        if rxy2 >= hi2 { continue }
                        let iy = fy.index(ny, qy), oxy = ox + fy.orders[iy]
                        if oxy > maxOrder || fy.silent[iy] { continue }
                        let gxy = gx * fy.gains[iy]
                        // |dz| within [a, b): one run of nz, or two either side of the shell's hole.
                        let b = (hi2 - rxy2).squareRoot(), a = rxy2 < lo2 ? (lo2 - rxy2).squareRoot() : 0
                        for qz in 0...1 {
                            let c = (qz == 0 ? source.z : -source.z) - receiver.z // dz = 2H·nz + c
                            func n(_ dz: Double, up: Bool) -> Int {
                                let v = (dz - c) / twiceZ
                                return min(nzRange.upperBound, max(nzRange.lowerBound, Int(up ? v.rounded(.up) : v.rounded(.down))))
                            }
                            var first = (n(-b, up: false), n(-a, up: true)), second = (n(a, up: false), n(b, up: true))
                            if first.1 >= second.0 { first = (first.0, second.1); second = (1, 0) }
                            for run in 0..<2 {
                                let (from, to) = run == 0 ? first : second
                                if from > to { continue }
                                for nz in from...to {
                                    let dz = twiceZ * Double(nz) + c
                                    let d2 = rxy2 + dz * dz
                                    if d2 < lo2 || d2 >= hi2 { continue }
                                    let iz = fz.index(nz, qz), order = oxy + zOrders[iz]
                                    if order > limit { continue }
                                    let z = dz + receiver.z
                                    if occludes && lattice.isBlocked(from: Vec3(x, y, z), to: receiver) { continue }
                                    let emission = Vec3(qx == 0 ? -dx : dx, qy == 0 ? -dy : dy, qz == 0 ? -dz : dz)
                                    var reflection = gxy * zGains[iz]
                                    if let patchRatios, order >= 1, order <= Self.exactPatchOrder {
                                        for s in unfold(image: Vec3(x, y, z)).surfaces { reflection *= patchRatios[s] }
                                    }
                                    visitor.visit(image: Vec3(x, y, z), emission: emission, order: order, distanceSquared: d2, reflection: reflection)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Surfaces hit (in order from the source) and reflection points of the path from `image`,
    /// found by unfolding: the straight line image → receiver crosses the planes k·size (k ∈ ℤ) of
    /// the mirrored lattice; each crossing, folded back into the room, is a reflection point.
    func unfold(image: Vec3) -> (surfaces: [Int], points: [Vec3]) {
        var crossings: [(t: Double, wall: Int)] = []
        for axis in 0..<3 {
            let a = image[axis], r = receiver[axis], s = size[axis]
            let cell = Int((a / s).rounded(.down))
            guard cell != 0 else { continue }
            let ks: [Int] = cell > 0 ? Array(1...cell) : Array((cell + 1)...0).reversed()
            for k in ks {
                let t = (Double(k) * s - a) / (r - a)
                crossings.append((t, 2 * axis + (k % 2 == 0 ? 0 : 1)))
            }
        }
        crossings.sort { $0.t < $1.t }
        func fold(_ v: Double, _ s: Double) -> Double {
            var m = v.truncatingRemainder(dividingBy: 2 * s)
            if m < 0 { m += 2 * s }
            return m > s ? 2 * s - m : m
        }
        let points = crossings.map { c -> Vec3 in
            let p = image + c.t * (receiver - image)
            return Vec3(fold(p.x, size.x), fold(p.y, size.y), fold(p.z, size.z))
        }
        let surfaces = zip(crossings, points).map { c, p -> Int in
            // On a patched wall, the patch the point lies in (else the wall itself).
            patches[c.wall].first { $0.polygon.containsProjection(of: p) }?.surface ?? wallSurfaces[c.wall]
        }
        return (surfaces, points)
    }
}
