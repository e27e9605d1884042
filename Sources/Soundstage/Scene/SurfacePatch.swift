import Foundation

/// Coordinates on a flat room surface: the point (u, v) is `origin + u·along + v·up` (metres).
///
/// Shoebox walls: u along the wall in room coordinates (x on `front`/`back`, y on `left`/`right`),
/// v the height above the floor. Floor-plan wall `wall-i`: u the distance from point i toward
/// point i+1, v the height. Floor and ceiling: (u, v) = (x, y). Mesh faces have none.
public struct SurfaceFrame: Sendable, Equatable {
    public let origin: Vec3, along: Vec3, up: Vec3
    public func point(_ q: Vec2) -> Vec3 { origin + q.x * along + q.y * up }
    public func coordinates(_ p: Vec3) -> Vec2 { Vec2((p - origin).dot(along), (p - origin).dot(up)) }
}

/// A part of a room surface with its own material — a window in a wall, a door, a rug on the
/// floor (SPEC §2, `patches`). Every engine treats it as a surface of its own: the image sources
/// reflect off it with its material, rays and the wave part see its absorption, the reflection
/// map draws it; the surface it lies on keeps the rest of its area.
public struct SurfacePatch: Sendable {
    public enum Outline: Sendable {
        /// Corners (u0, v0) and (u1, v1) of a rectangle in the surface's `SurfaceFrame`.
        case rect(Vec2, Vec2)
        /// A simple polygon in the surface's `SurfaceFrame`.
        case polygon([Vec2])
        /// A simple polygon in room coordinates, on the surface's plane (any room shape, meshes too).
        case corners([Vec3])
    }
    public var name: String
    /// The room surface it lies on (`right`, `wall-3`, `floor`, a mesh's surface name).
    public var surface: String
    public var outline: Outline
    public var material: Material

    public init(name: String, surface: String, outline: Outline, material: Material) {
        (self.name, self.surface, self.outline, self.material) = (name, surface, outline, material)
    }
}

extension SurfacePatch {
    /// The room's surfaces with every patched surface replaced by what remains of it (named as
    /// before, `PolygonCutout`) followed by its patches (named by the patch, `patchOf` the surface).
    /// `paths[i]` is patch i's JSON path for errors. The room's own surfaces come first in
    /// `surfaces`, in the order of `boundary.faces`.
    static func apply(_ patches: [SurfacePatch], paths: [String], to surfaces: [Surface], boundary: RoomBoundary) throws -> [Surface] {
        guard !patches.isEmpty else { return surfaces }
        let faces = boundary.faces
        var taken = Set(surfaces.map(\.name))
        var byFace: [Int: [(index: Int, polygon: Polygon)]] = [:]
        for (i, patch) in patches.enumerated() {
            let path = paths[i]
            guard !taken.contains(patch.name) else {
                throw SceneError.invalid(path: "\(path).name", reason: "\"\(patch.name)\" already names a surface or patch; give the patch a name of its own")
            }
            taken.insert(patch.name)
            let candidates = faces.indices.filter { faces[$0].name == patch.surface }
            guard !candidates.isEmpty else {
                let known = Array(Set(faces.map(\.name))).sorted().joined(separator: ", ")
                throw SceneError.invalid(path: "\(path).surface", reason: "no surface of the room is named \"\(patch.surface)\"; this room has: \(known)")
            }
            let points: [Vec3]
            switch patch.outline {
            case .corners(let c): points = c
            case .rect, .polygon:
                guard let frame = faces[candidates[0]].frame else {
                    throw SceneError.invalid(path: path, reason: "surface \"\(patch.surface)\" of a mesh has no (u, v) frame: give the patch's \"corners\" in room coordinates")
                }
                if case .rect(let a, let b) = patch.outline {
                    guard abs(a.x - b.x) > 1e-3, abs(a.y - b.y) > 1e-3 else {
                        throw SceneError.invalid(path: "\(path).rect", reason: "the rectangle has no area (its corners must differ in both coordinates)")
                    }
                    let lo = Vec2(min(a.x, b.x), min(a.y, b.y)), hi = Vec2(max(a.x, b.x), max(a.y, b.y))
                    points = [lo, Vec2(hi.x, lo.y), hi, Vec2(lo.x, hi.y)].map(frame.point)
                } else if case .polygon(let p) = patch.outline {
                    points = p.map(frame.point)
                } else { points = [] }
            }
            let key = outlineKey(patch.outline)
            guard points.count >= 3 else {
                throw SceneError.invalid(path: "\(path).\(key)", reason: "a patch needs at least 3 points, found \(points.count)")
            }
            // The face of that name whose plane holds the patch and whose outline contains it.
            guard let face = candidates.first(where: { f in
                let p = faces[f].polygon
                return points.allSatisfy { abs(p.signedDistance($0)) <= 0.01 && (p.containsProjection(of: $0) || p.distance(to: $0) <= 0.011) }
            }) else {
                throw SceneError.invalid(path: "\(path).\(key)", reason: "the patch does not lie on surface \"\(patch.surface)\"\(extentText(faces[candidates[0]]))")
            }
            let host = faces[face].polygon
            let onPlane = points.map { $0 - host.signedDistance($0) * host.normal }
            let (u, v) = host.planeAxes
            let flat = onPlane.map { Vec2($0.dot(u), $0.dot(v)) }
            if let (a, b) = PlanarGeometry.firstSelfIntersection(flat) {
                throw SceneError.invalid(path: "\(path).\(key)", reason: "the patch outline crosses itself (edges \(a + 1) and \(b + 1))")
            }
            guard var polygon = Polygon(onPlane), polygon.area >= 1e-4 else {
                throw SceneError.invalid(path: "\(path).\(key)", reason: "the patch encloses no area")
            }
            if polygon.normal.dot(host.normal) < 0 { polygon = polygon.flipped }
            byFace[face, default: []].append((i, polygon))
        }
        var out: [Surface] = []
        for (index, surface) in surfaces.enumerated() {
            guard index < faces.count, let list = byFace[index] else { out.append(surface); continue }
            let host = surface.polygon
            let (u, v) = host.planeAxes
            func flat(_ p: Polygon) -> [Vec2] { p.vertices.map { Vec2($0.dot(u), $0.dot(v)) } }
            let offset = host.normal.dot(host.vertices[0])
            func lift(_ q: Vec2) -> Vec3 { q.x * u + q.y * v + offset * host.normal }
            let pieces: [[Vec2]]
            do {
                pieces = try PolygonCutout.remainder(of: flat(host), without: list.map { flat($0.polygon) })
            } catch {
                let name = { (k: Int) in "\(paths[list[k].index])" }
                switch error {
                case .outside(let k):
                    throw SceneError.invalid(path: name(k), reason: "the patch reaches beyond surface \"\(surface.name)\"\(extentText(faces[index]))")
                case .overlap(let a, let b):
                    throw SceneError.invalid(path: name(b), reason: "the patch overlaps \(paths[list[a].index]) on surface \"\(surface.name)\"")
                case .touching(let k):
                    throw SceneError.invalid(path: name(k), reason: "the patch touches the edge of surface \"\(surface.name)\" or another patch; only rectangles on a rectangular surface may touch — keep it 1 mm clear")
                }
            }
            for loop in pieces {
                guard let p = Polygon(loop.map(lift)) else { continue }
                out.append(Surface(name: surface.name, polygon: p, material: surface.material, objectName: nil))
            }
            for (k, polygon) in list {
                out.append(Surface(name: patches[k].name, polygon: polygon, material: patches[k].material, objectName: nil, patchOf: surface.name))
            }
        }
        return out
    }

    private static func outlineKey(_ o: Outline) -> String {
        switch o {
        case .rect: return "rect"
        case .polygon: return "polygon"
        case .corners: return "corners"
        }
    }

    /// " (u 0…4.1 m, v 0…2.6 m)" for a face with a frame, "" otherwise.
    private static func extentText(_ face: BoundaryFace) -> String {
        guard let frame = face.frame else { return "" }
        let q = face.polygon.vertices.map(frame.coordinates)
        return String(format: " (it spans u %@…%@ m, v %@…%@ m)", format(q.map(\.x).min()!), format(q.map(\.x).max()!),
                      format(q.map(\.y).min()!), format(q.map(\.y).max()!))
    }
}

extension SceneBuilder {
    /// `patches`: `[{"name", "surface", "rect": [[u0, v0], [u1, v1]] | "polygon": [[u, v], …] |
    /// "corners": [[x, y, z], …], "material"}]` (SPEC §2).
    func parsePatches(library: [String: Material]) throws -> (patches: [SurfacePatch], paths: [String]) {
        guard let node = try root.optional("patches") else { return ([], []) }
        var patches: [SurfacePatch] = [], paths: [String] = []
        for (i, item) in try node.array("an array of patches").enumerated() {
            try item.checkKeys(["name", "surface", "rect", "polygon", "corners", "material"])
            let surface = try item.required("surface", "the name of the surface it lies on, e.g. \"right\" or \"wall-2\"").string()
            let name = try item.optional("name")?.string() ?? "\(surface)-patch-\(i + 1)"
            guard !name.isEmpty, name.count <= 100 else { throw item.error("name must be 1 to 100 characters") }
            let given = try ["rect", "polygon", "corners"].filter { try item.optional($0) != nil }
            guard given.count == 1 else {
                throw item.error(given.isEmpty ? "missing the outline: give \"rect\": [[u0, v0], [u1, v1]], \"polygon\": [[u, v], …] or \"corners\": [[x, y, z], …]"
                                               : "give one outline, found \(given.map { "\"\($0)\"" }.joined(separator: " and "))")
            }
            let outline: SurfacePatch.Outline
            let shape = try item.required(given[0], "")
            switch given[0] {
            case "rect":
                let c = try shape.array("[[u0, v0], [u1, v1]]")
                guard c.count == 2 else { throw shape.error("expected two corners [[u0, v0], [u1, v1]], found \(c.count) values") }
                outline = .rect(try c[0].point2(), try c[1].point2())
            case "polygon":
                let c = try shape.array("[[u, v], …]")
                guard c.count <= 1000 else { throw shape.error("at most 1000 points, found \(c.count)") }
                outline = .polygon(try c.map { try $0.point2() })
            default:
                let c = try shape.array("[[x, y, z], …]")
                guard c.count <= 1000 else { throw shape.error("at most 1000 points, found \(c.count)") }
                outline = .corners(try c.map { try $0.point3() })
            }
            let material = try resolveMaterial(try item.required("material", "a material name or {\"absorption\": …}"), library: library)
            patches.append(SurfacePatch(name: name, surface: surface, outline: outline, material: material))
            paths.append(item.path)
        }
        return (patches, paths)
    }
}
