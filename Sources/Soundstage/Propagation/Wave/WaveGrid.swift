import Foundation

/// The room as a Cartesian grid for the wave solver: cubic cells of side `spacing`, a cell is air when
/// its centre lies in the room's air (inside the boundary, outside every object). Node (i, j, k) sits
/// at `origin + (i, j, k)·spacing`, the centre of its cell; the boundary lies on the faces between air
/// and solid cells (the finite-volume view of Bilbao 2013, "Modeling of complex geometries and
/// boundary conditions in finite difference/finite volume time domain room acoustics simulation",
/// IEEE TASLP 21(7)), so a wall between cells sits half a cell beyond the last air node.
///
/// Where walls run along the grid's axes (a shoebox, the walls of a rectangular floor plan) they lie
/// on cell faces to the accuracy of the spacing's choice: the spacing is the value no larger than the
/// one asked for (and at most 15 % finer) that makes each side of the bounding box the closest to a
/// whole number of cells (`alignedSpacing`), typically within 0.5 % of the true length. Other
/// surfaces are staircased: their position is right to within half a cell.
///
/// Storage is padded by one solid cell on every side; `index(i, j, k)` addresses it.
public struct WaveGrid: Sendable {
    public let spacing: Double
    /// Position of node (0, 0, 0) (padded index (1, 1, 1)).
    public let origin: Vec3
    /// Nodes along x, y, z (without padding).
    public let nx: Int, ny: Int, nz: Int
    /// Padded strides: x is contiguous.
    public let sx: Int, sxy: Int
    public let storageCount: Int
    /// Runs of air cells along x: (first padded index, count).
    let runs: [(start: Int, count: Int)]
    /// Air cells that touch a solid cell: padded index and air neighbours K.
    let boundaryIndex: [Int32]
    let boundaryNeighbours: [Float]
    /// The solid faces of boundary node n, grouped by material: entries
    /// `boundaryEntryStart[n] ..< boundaryEntryStart[n + 1]` of `entryMaterial` (an index into
    /// `boundaryModels`) and `entryFaces` (how many of the node's faces have that material).
    let boundaryEntryStart: [Int32]
    let entryMaterial: [Int32]
    let entryFaces: [Float]
    /// The admittance model of each material on the boundary (`BoundaryModel.fit` at the crossover).
    public let boundaryModels: [BoundaryModel]
    /// The materials of `boundaryModels`, in the same order.
    public let boundaryMaterials: [Material]
    public let airCellCount: Int
    let isAir: [Bool]

    /// Bytes the solver needs per cell of the padded box (two pressure fields of Float) plus the mask.
    public static let bytesPerCell = 2 * MemoryLayout<Float>.size + 1

    /// The spacing ≤ `target`, and at most 15 % finer (the cost grows as h⁻⁴), that puts each side of
    /// `size` closest to a whole number of cells: the largest relative misfit over the three sides is
    /// minimized over the cell counts of the longest side in that range.
    public static func alignedSpacing(target: Double, size: Vec3) -> Double {
        let longest = max(size.x, size.y, size.z)
        let minimumCells = Int((longest / target).rounded(.up))
        var best = (misfit: Double.infinity, h: target)
        for n in minimumCells...(minimumCells + max(1, minimumCells * 15 / 100)) {
            let h = longest / Double(n)
            let misfit = [size.x, size.y, size.z].map { side -> Double in
                let cells = side / h
                return abs(cells - max(1, cells.rounded())) / cells
            }.max()!
            if misfit < best.misfit - 1e-12 { best = (misfit, h) }
            if misfit < 1e-9 { break }
        }
        return best.h
    }

    /// Voxelizes `scene` with cells of about `spacing` metres (see `alignedSpacing`); each boundary face
    /// takes the material of the nearest surface, whose admittance is `BoundaryModel.fit` at `crossover`.
    public init(scene: Scene, spacing target: Double, crossover: Double) {
        let lo = scene.boundary.minCorner, hi = scene.boundary.maxCorner
        let size = hi - lo
        let h = WaveGrid.alignedSpacing(target: target, size: size)
        spacing = h
        nx = max(1, Int((size.x / h).rounded())); ny = max(1, Int((size.y / h).rounded())); nz = max(1, Int((size.z / h).rounded()))
        // Centre the lattice on the bounding box: its n·h span differs from the side L by the misfit.
        origin = lo + (size - Vec3(Double(nx), Double(ny), Double(nz)) * h) * 0.5 + Vec3(repeating: h / 2)
        sx = nx + 2; sxy = sx * (ny + 2)
        storageCount = sxy * (nz + 2)
        // Air: a column test per (i, j) along z against the room's polygons, then the objects.
        var air = [Bool](repeating: false, count: storageCount)
        let faces = scene.boundary.faces.map(\.polygon).filter { abs($0.normal.z) > 1e-9 }
        let columns = SurfaceBuckets(faces, cell: max(4 * h, 0.25), planar: true)
        for j in 0..<ny {
            for i in 0..<nx {
                let x = origin.x + Double(i) * h, y = origin.y + Double(j) * h
                var crossings: [Double] = []
                for f in columns.candidates(near: Vec3(x, y, 0)) {
                    let p = faces[f]
                    // The vertical line through (x, y) meets p's plane at z; keep it if inside p.
                    let z = p.vertices[0].z - (p.normal.x * (x - p.vertices[0].x) + p.normal.y * (y - p.vertices[0].y)) / p.normal.z
                    if p.containsProjection(of: Vec3(x, y, z)) { crossings.append(z) }
                }
                crossings.sort()
                // Merge crossings closer than a micrometre (an edge shared by two polygons).
                var unique: [Double] = []
                for z in crossings where unique.last.map({ z - $0 > 1e-6 }) ?? true { unique.append(z) }
                for k in 0..<nz {
                    let z = origin.z + Double(k) * h
                    let inside = unique.filter { $0 < z }.count % 2 == 1
                    if inside && !scene.objects.contains(where: { $0.contains(Vec3(x, y, z)) }) {
                        air[(k + 1) * sxy + (j + 1) * sx + (i + 1)] = true
                    }
                }
            }
        }
        isAir = air
        var runs: [(Int, Int)] = []
        var count = 0
        for k in 1...nz {
            for j in 1...ny {
                var i = 1
                while i <= nx {
                    let base = k * sxy + j * sx
                    if air[base + i] {
                        let start = i
                        while i <= nx && air[base + i] { i += 1 }
                        runs.append((base + start, i - start))
                        count += i - start
                    } else { i += 1 }
                }
            }
        }
        self.runs = runs
        airCellCount = count
        // Boundary faces: each air cell's solid neighbours, with the nearest surface's material.
        let materials = scene.surfaceMaterials
        let surfaceMaterial = scene.surfaces.map { s in Int32(materials.firstIndex(of: s.material)!) }
        boundaryMaterials = materials
        boundaryModels = materials.map { BoundaryModel.fit($0, crossover: crossover) }
        let step = Vec3(repeating: h)
        let polygons = scene.surfaces.map(\.polygon)
        let buckets = SurfaceBuckets(polygons, cell: max(4 * h, 0.25), planar: false)
        var bIndex: [Int32] = [], bK: [Float] = [], starts: [Int32] = [0], eMaterial: [Int32] = [], eFaces: [Float] = []
        let offsets = [(1, Vec3(1, 0, 0)), (-1, Vec3(-1, 0, 0)), (sx, Vec3(0, 1, 0)), (-sx, Vec3(0, -1, 0)), (sxy, Vec3(0, 0, 1)), (-sxy, Vec3(0, 0, -1))]
        for (start, n) in runs {
            for c in start..<(start + n) {
                var k = 0
                var faces: [(material: Int32, count: Float)] = []
                for (o, direction) in offsets {
                    if air[c + o] { k += 1; continue }
                    let kk = c / sxy, jj = (c % sxy) / sx, ii = c % sx
                    let centre = origin + Vec3(Double(ii - 1), Double(jj - 1), Double(kk - 1)) * step
                    let m = surfaceMaterial[buckets.nearest(to: centre + direction * step * 0.5, in: polygons)]
                    if let e = faces.firstIndex(where: { $0.material == m }) { faces[e].count += 1 } else { faces.append((m, 1)) }
                }
                if k < 6 {
                    bIndex.append(Int32(c)); bK.append(Float(k))
                    for f in faces { eMaterial.append(f.material); eFaces.append(f.count) }
                    starts.append(Int32(eMaterial.count))
                }
            }
        }
        boundaryIndex = bIndex; boundaryNeighbours = bK
        boundaryEntryStart = starts; entryMaterial = eMaterial; entryFaces = eFaces
    }

    /// The padded index of node (i, j, k).
    public func index(_ i: Int, _ j: Int, _ k: Int) -> Int { (k + 1) * sxy + (j + 1) * sx + (i + 1) }

    /// Trilinear weights of `point` over the 8 nodes around it (padded indices); weights on solid
    /// nodes are dropped and the rest renormalized, so a point near a wall uses the air nodes.
    public func trilinear(_ point: Vec3) -> [(index: Int, weight: Float)] {
        let u = (point - origin) / spacing
        let i0 = max(0, min(nx - 2, Int(u.x.rounded(.down)))), j0 = max(0, min(ny - 2, Int(u.y.rounded(.down)))), k0 = max(0, min(nz - 2, Int(u.z.rounded(.down))))
        let f = Vec3(min(1, max(0, u.x - Double(i0))), min(1, max(0, u.y - Double(j0))), min(1, max(0, u.z - Double(k0))))
        var out: [(Int, Float)] = []
        var total = 0.0
        for c in 0..<8 {
            let di = c & 1, dj = (c >> 1) & 1, dk = (c >> 2) & 1
            let w = (di == 1 ? f.x : 1 - f.x) * (dj == 1 ? f.y : 1 - f.y) * (dk == 1 ? f.z : 1 - f.z)
            let idx = index(i0 + di, j0 + dj, k0 + dk)
            if w > 0 && isAir[idx] { out.append((idx, Float(w))); total += w }
        }
        if total <= 0 {
            // Every neighbour is solid (a point in a thin gap): the nearest air node.
            return [(index(max(0, min(nx - 1, Int(u.x.rounded()))), max(0, min(ny - 1, Int(u.y.rounded()))), max(0, min(nz - 1, Int(u.z.rounded())))), 1)]
        }
        return out.map { ($0.0, Float(Double($0.1) / total)) }
    }

    /// Position of the node at padded index `c`.
    public func position(ofIndex c: Int) -> Vec3 {
        origin + Vec3(Double(c % sx - 1), Double((c % sxy) / sx - 1), Double(c / sxy - 1)) * spacing
    }
}

/// Polygons filed by a uniform grid of cubic buckets (or square columns, `planar`), each under every
/// bucket its bounding box — grown by one bucket — overlaps: a query point's bucket lists every
/// polygon within one bucket's side of it, so nearby polygons are found without a scan of all.
struct SurfaceBuckets {
    let cell: Double
    let planar: Bool
    private var table: [SIMD3<Int>: [Int]] = [:]

    init(_ polygons: [Polygon], cell: Double, planar: Bool) {
        self.cell = cell
        self.planar = planar
        for (n, p) in polygons.enumerated() {
            let lo = p.vertices.reduce(Vec3(repeating: .infinity)) { Vec3(min($0.x, $1.x), min($0.y, $1.y), min($0.z, $1.z)) } - cell
            let hi = p.vertices.reduce(Vec3(repeating: -.infinity)) { Vec3(max($0.x, $1.x), max($0.y, $1.y), max($0.z, $1.z)) } + cell
            let a = key(lo), b = key(hi)
            for k in a.z...b.z { for j in a.y...b.y { for i in a.x...b.x { table[SIMD3(i, j, k), default: []].append(n) } } }
        }
    }

    func key(_ p: Vec3) -> SIMD3<Int> {
        SIMD3(Int((p.x / cell).rounded(.down)), Int((p.y / cell).rounded(.down)), planar ? 0 : Int((p.z / cell).rounded(.down)))
    }

    /// Every polygon within one bucket's side of `point` (and perhaps a few more).
    func candidates(near point: Vec3) -> [Int] { table[key(point)] ?? [] }

    /// The index of the polygon nearest `point`: among the candidates when one lies within a bucket's
    /// side (then no other can be nearer), else by a scan of all.
    func nearest(to point: Vec3, in polygons: [Polygon]) -> Int {
        var best = (d: Double.infinity, n: 0)
        for n in candidates(near: point) {
            let d = polygons[n].distance(to: point)
            if d < best.d { best = (d, n) }
        }
        if best.d <= cell { return best.n }
        for (n, p) in polygons.enumerated() {
            let d = p.distance(to: point)
            if d < best.d { best = (d, n) }
        }
        return best.n
    }
}
