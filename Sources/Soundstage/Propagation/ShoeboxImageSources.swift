import Foundation

/// Image sources of a rectangular room, enumerated analytically after Allen & Berkley (1979).
///
/// Along x an image lies at X = 2·n·W + (1 − 2q)·x_s (n ∈ ℤ, q ∈ {0, 1}); its path meets the wall
/// x = 0 |n − q| times and the wall x = W |n| times (ibid., eq. 4–6), and likewise along y and z.
/// Mirroring by q reverses that axis of the emission direction. Every image whose arrival lies
/// within `maxDistance` and whose order is at most `maxOrder` is visited; none are stored except
/// the paths of order ≤ `detailOrder`, whose reflection points are found by unfolding.
///
/// Objects in the room (axis-aligned boxes) occlude (`ShoeboxLattice.isBlocked`). Paths
/// that reflect off the boxes themselves are not images of the shell; `PolyhedralImageSources`
/// finds those (Borish 1984) up to the transition order.
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
        wallSurfaces = names.map { n in scene.surfaces.firstIndex { $0.name == n && $0.objectName == nil }! }
        var powers: [[Double]] = []
        for (i, s) in wallSurfaces.enumerated() {
            let axisSize = [w, w, l, l, h, h][i]
            let maxCount = min(Int(maxDistance / axisSize) + 3, maxOrder == Int.max ? Int.max : maxOrder + 1)
            let beta = scene.surfaces[s].material.reflectionFactor
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

    /// Visits the images whose x-index n satisfies (n − lowest) % slots == slot.
    func enumerate(slot: Int, slots: Int, visit: (_ image: Vec3, _ emission: Vec3, _ counts: [Int], _ reflection: UnsafePointer<Double>) -> Void) {
        let reach = maxDistance
        let nxRange = range(axis: 0, reach: reach)
        var reflection = [Double](repeating: 1, count: bandCount)
        var counts = [Int](repeating: 0, count: 6)
        let powers = reflectionPowers
        for nx in nxRange where (nx - nxRange.lowerBound) % slots == slot {
            for qx in 0...1 {
                let x = 2 * Double(nx) * size.x + (qx == 0 ? source.x : -source.x)
                let dx = x - receiver.x
                if abs(dx) > reach { continue }
                let cl = abs(nx - qx), cr = abs(nx)
                if cl + cr > maxOrder { continue }
                let reachY = (reach * reach - dx * dx).squareRoot()
                for ny in range(axis: 1, reach: reachY) {
                    for qy in 0...1 {
                        let y = 2 * Double(ny) * size.y + (qy == 0 ? source.y : -source.y)
                        let dy = y - receiver.y
                        let rxy2 = dx * dx + dy * dy
                        if rxy2 > reach * reach { continue }
                        let cb = abs(ny - qy), cf = abs(ny)
                        if cl + cr + cb + cf > maxOrder { continue }
                        let reachZ = (reach * reach - rxy2).squareRoot()
                        for nz in range(axis: 2, reach: reachZ) {
                            for qz in 0...1 {
                                let z = 2 * Double(nz) * size.z + (qz == 0 ? source.z : -source.z)
                                let dz = z - receiver.z
                                if rxy2 + dz * dz > reach * reach { continue }
                                let cd = abs(nz - qz), cu = abs(nz)
                                if cl + cr + cb + cf + cd + cu > maxOrder { continue }
                                counts[0] = cl; counts[1] = cr; counts[2] = cb; counts[3] = cf; counts[4] = cd; counts[5] = cu
                                for b in 0..<bandCount {
                                    reflection[b] = powers[0][cl * bandCount + b] * powers[1][cr * bandCount + b]
                                        * powers[2][cb * bandCount + b] * powers[3][cf * bandCount + b]
                                        * powers[4][cd * bandCount + b] * powers[5][cu * bandCount + b]
                                }
                                if !lattice.occluders.isEmpty && lattice.isBlocked(from: Vec3(x, y, z), to: receiver) { continue }
                                let emission = Vec3(qx == 0 ? -dx : dx, qy == 0 ? -dy : dy, qz == 0 ? -dz : dz)
                                reflection.withUnsafeBufferPointer { visit(Vec3(x, y, z), emission, counts, $0.baseAddress!) }
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
        return (crossings.map { wallSurfaces[$0.wall] }, points)
    }
}
