import Foundation

extension Scene {
    /// Builds and validates a room in code, with the checks a room file gets (SPEC §2): every
    /// surface needs a material, objects lie inside the room, speakers and the listener stand in the
    /// room's air at least `SceneBuilder.minimumClearance` from the walls and each other.
    ///
    /// - Parameters:
    ///   - boundary: `RoomBoundary.shoebox(width:length:height:)`, `.floorPlan(points:height:path:)` or `.mesh`.
    ///   - materials: by surface name (`floor`, `front`, `wall-2`, an object's name) or group (`walls`,
    ///     `objects`, `all`); the most specific name wins.
    ///   - patches: parts of surfaces with their own material (`SurfacePatch`); errors name `patches[i]`.
    /// Errors are `SceneError.invalid` with the path a room file would have (`speakers[1].position`).
    public init(name: String = "room", boundary: RoomBoundary, materials: [String: Material], objects: [SceneObject] = [],
                speakers: [Speaker], listener: Listener, air: Air = Air(), simulation: SimulationSettings = SimulationSettings(),
                patches: [SurfacePatch] = []) throws {
        guard SceneBuilder.isSafeFileName(name) else {
            throw SceneError.invalid(path: "name", reason: "\"\(name)\" cannot name an output folder: use letters, digits, spaces, '.', '-' and '_'")
        }
        let names = Set(boundary.faces.map(\.name)).union(objects.map(\.name))
        for key in materials.keys.sorted() where !names.contains(key) && !["walls", "objects", "all"].contains(key) {
            throw SceneError.invalid(path: "surfaces.\(key)", reason: "no surface is named \"\(key)\"; this room has: \(names.sorted().joined(separator: ", "))")
        }
        var surfaces: [Surface] = []
        for face in boundary.faces {
            guard let m = ([face.name] + (face.isWall ? ["walls"] : []) + ["all"]).lazy.compactMap({ materials[$0] }).first else {
                throw SceneError.invalid(path: "surfaces", reason: "surface \"\(face.name)\" has no material")
            }
            surfaces.append(Surface(name: face.name, polygon: face.polygon, material: m, objectName: nil))
        }
        var placed = objects
        for (i, o) in objects.enumerated() {
            if let problem = SceneBuilder.boxProblem(o.minCorner, o.maxCorner, in: boundary) {
                throw SceneError.invalid(path: "objects[\(i)].box", reason: problem)
            }
            if let m = materials[o.name] ?? materials["objects"] ?? materials["all"] { placed[i].material = m }
            for p in SceneBuilder.boxFaces(o.minCorner, o.maxCorner) {
                surfaces.append(Surface(name: o.name, polygon: p, material: placed[i].material, objectName: o.name))
            }
        }
        surfaces = try SurfacePatch.apply(patches, paths: patches.indices.map { "patches[\($0)]" }, to: surfaces, boundary: boundary)
        self.init(name: name, boundary: boundary, surfaces: surfaces, objects: placed, speakers: speakers, listener: listener,
                  air: air, simulation: simulation, volume: boundary.volume - placed.reduce(0) { $0 + $1.volume }, sourcePath: nil)
        try PlacementCheck(scene: self, boundary: boundary, listenerPath: "listener.position", speakersAreList: true).run()
    }
}
