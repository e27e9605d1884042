import Foundation

/// Closedness and orientation of a polygon mesh.
///
/// Vertices closer than 10 µm are welded (AC3D files repeat shared vertices per object). A vertex
/// lying on another face's edge (a T-junction: a wall split into a window and the rest, met by an
/// unsplit floor edge) is inserted into that edge, so faces that meet along split edges share
/// them. The mesh is closed when every edge is shared by an even number (≥ 2) of faces. Faces of each connected
/// shell are flipped to a consistent winding (across manifold edges neighbours traverse the edge in
/// opposite directions); then the largest shell (the room) gets inward normals and every other
/// shell (a pillar, a box modelled in the file) outward normals, so all point into the air.
enum MeshTopology {
    struct Result {
        /// Whether each face's vertex order must be reversed.
        var flip: [Bool]
        /// Enclosed air volume in m³.
        var volume: Double
        /// Each face's vertices in its original order, with the T-junction vertices on its edges inserted.
        var faces: [[Vec3]]
    }

    static func orient(_ mesh: MeshData, path: String) throws -> Result {
        // Weld vertices on a 10 µm grid.
        var ids: [SIMD3<Int64>: Int] = [:]
        let welded: [Int] = mesh.vertices.map { v in
            let key = SIMD3<Int64>(Int64((v.x * 1e5).rounded()), Int64((v.y * 1e5).rounded()), Int64((v.z * 1e5).rounded()))
            if let id = ids[key] { return id }
            ids[key] = ids.count
            return ids.count - 1
        }
        var position = [Vec3](repeating: Vec3(0, 0, 0), count: ids.count)
        for (i, id) in welded.enumerated() { position[id] = mesh.vertices[i] }
        let faces: [[Int]] = splitTJunctions(mesh.faces.map { f in
            var out: [Int] = []
            for i in f.indices.map({ welded[$0] }) where out.last != i { out.append(i) }
            while out.count > 1 && out.first == out.last { out.removeLast() }
            return out
        }, position)
        // Edge → faces using it, with direction (+1 if the face goes lo→hi).
        struct EdgeKey: Hashable { let a: Int, b: Int }
        var edges: [EdgeKey: [(face: Int, forward: Bool)]] = [:]
        for (fi, f) in faces.enumerated() where f.count >= 3 {
            for i in f.indices {
                let a = f[i], b = f[(i + 1) % f.count]
                edges[EdgeKey(a: min(a, b), b: max(a, b)), default: []].append((fi, a < b))
            }
        }
        let open = edges.filter { $0.value.count % 2 == 1 }
        if let example = open.keys.min(by: { ($0.a, $0.b) < ($1.a, $1.b) }) {
            let firstOf = Dictionary(welded.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            let p = mesh.vertices[firstOf[example.a]!], q = mesh.vertices[firstOf[example.b]!]
            throw SceneError.invalid(path: path, reason: "the mesh is not closed: \(open.count) edge(s) belong to an odd number of faces, e.g. \(p.formatted)–\(q.formatted)")
        }
        // Consistent winding per connected shell (breadth-first over manifold edges).
        var flip = [Bool](repeating: false, count: faces.count)
        var shell = [Int](repeating: -1, count: faces.count)
        var neighbours = [[(face: Int, sameDirection: Bool)]](repeating: [], count: faces.count)
        for uses in edges.values where uses.count == 2 {
            let (f, g) = (uses[0], uses[1])
            neighbours[f.face].append((g.face, f.forward == g.forward))
            neighbours[g.face].append((f.face, f.forward == g.forward))
        }
        var shellCount = 0
        for start in faces.indices where shell[start] < 0 && faces[start].count >= 3 {
            shell[start] = shellCount
            var queue = [start]
            while let f = queue.popLast() {
                for (g, same) in neighbours[f] {
                    let wanted = same ? !flip[f] : flip[f]
                    if shell[g] < 0 {
                        shell[g] = shellCount
                        flip[g] = wanted
                        queue.append(g)
                    } else if flip[g] != wanted {
                        throw SceneError.invalid(path: path, reason: "the mesh cannot be oriented consistently (it is not a closed, two-sided surface)")
                    }
                }
            }
            shellCount += 1
        }
        // Signed volume per shell (positive when normals point outward), by the divergence theorem.
        var volumes = [Double](repeating: 0, count: shellCount)
        for (fi, f) in faces.enumerated() where f.count >= 3 {
            var v = f.map { position[$0] }
            if flip[fi] { v.reverse() }
            for i in 1..<(v.count - 1) { volumes[shell[fi]] += v[0].dot(v[i].cross(v[i + 1])) / 6 }
        }
        guard let outer = volumes.indices.max(by: { abs(volumes[$0]) < abs(volumes[$1]) }), abs(volumes[outer]) > 1e-6 else {
            throw SceneError.invalid(path: path, reason: "the mesh encloses no volume")
        }
        var air = 0.0
        for (fi, s) in shell.enumerated() where s >= 0 {
            // Room shell: inward (negative volume); other shells: outward (positive).
            let wantPositive = s != outer
            if (volumes[s] > 0) != wantPositive { flip[fi].toggle() }
        }
        for s in volumes.indices { air += s == outer ? abs(volumes[s]) : -abs(volumes[s]) }
        // `flip` refers to the original vertex order of each face.
        return Result(flip: flip, volume: air, faces: faces.map { $0.map { position[$0] } })
    }

    /// `faces` (welded vertex ids) with every vertex that lies inside one of a face's edges — within
    /// 10 µm of the segment, strictly between its ends — inserted there, in order along the edge.
    static func splitTJunctions(_ faces: [[Int]], _ position: [Vec3]) -> [[Int]] {
        let used = Array(Set(faces.flatMap { $0 })).sorted()
        return faces.map { f in
            guard f.count >= 3 else { return f }
            var out: [Int] = []
            for i in f.indices {
                let a = f[i], b = f[(i + 1) % f.count]
                out.append(a)
                let pa = position[a], d = position[b] - pa, length2 = d.dot(d)
                guard length2 > 0 else { continue }
                let lo = Vec3(min(pa.x, position[b].x), min(pa.y, position[b].y), min(pa.z, position[b].z)) - Vec3(1e-5, 1e-5, 1e-5)
                let hi = Vec3(max(pa.x, position[b].x), max(pa.y, position[b].y), max(pa.z, position[b].z)) + Vec3(1e-5, 1e-5, 1e-5)
                var between: [(t: Double, id: Int)] = []
                for v in used where v != a && v != b {
                    let p = position[v]
                    guard p.x >= lo.x, p.y >= lo.y, p.z >= lo.z, p.x <= hi.x, p.y <= hi.y, p.z <= hi.z else { continue }
                    let t = (p - pa).dot(d) / length2
                    guard t > 0, t < 1, (pa + t * d - p).length < 1e-5 else { continue }
                    between.append((t, v))
                }
                out += between.sorted { $0.t < $1.t }.map(\.id)
            }
            return out
        }
    }
}
