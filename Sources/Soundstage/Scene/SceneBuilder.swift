import Foundation

/// Turns a parsed room file into a validated `Scene` (SPEC §2). Pure: files referenced by the room
/// (meshes) are read through the `readText` closure, so the engine itself does no I/O.
struct SceneBuilder {
    /// Minimum distance of a speaker from the listener, the walls and other speakers (metres).
    public static let minimumClearance = 0.1
    /// Smallest room width, length or height accepted (metres).
    public static let minimumRoomSize = 0.5

    let root: JSONNode
    let defaultName: String
    let readText: (String) throws -> String
    /// The path of a file named in the room (a measured speaker's SOFA file), for readers that open it themselves.
    let resolvePath: (String) -> String

    /// - Parameters:
    ///   - defaultName: room name when the file has no `name` (usually the file's base name).
    ///   - readText: reads a file named in the room (a mesh), relative paths already resolved by the caller.
    ///   - resolvePath: the path of a file named in the room, for binary files read by a library.
    public init(json: JSONValue, defaultName: String, readText: @escaping (String) throws -> String,
                resolvePath: @escaping (String) -> String = { $0 }) {
        self.root = JSONNode(json)
        self.defaultName = defaultName
        self.readText = readText
        self.resolvePath = resolvePath
    }

    public func build() throws -> Scene {
        try root.checkKeys(["name", "room", "surfaces", "patches", "materials", "objects", "speakers", "listener", "air", "simulation", "optimize"])
        let name = try parseName()
        let library = try parseMaterialLibrary()
        let boundary = try parseRoom()
        let (objects, objectMaterialNodes) = try parseObjects(boundary)
        let (patches, patchPaths) = try parsePatches(library: library)
        let surfaces = try SurfacePatch.apply(patches, paths: patchPaths, to: try assignMaterials(boundary: boundary, objects: objects, objectMaterials: objectMaterialNodes, library: library),
                                              boundary: boundary)
        let air = try parseAir()
        let simulation = try parseSimulation()
        var listener = try parseListener()
        let speakers = try parseSpeakers(boundary: boundary, listener: &listener)
        let optimize = try parseOptimize()
        guard let position = listener.position else {
            throw SceneError.invalid(path: "listener.position", reason: "missing (give listener.position, or a speaker layout that places the listener)")
        }
        let scene = Scene(
            name: name, boundary: boundary,
            surfaces: surfaces, objects: objects.map(\.object), speakers: speakers,
            listener: Listener(position: position, yawDegrees: listener.yaw, pitchDegrees: listener.pitch, hrtf: listener.hrtf,
                               hrtfEqualization: listener.equalization),
            air: air, simulation: simulation,
            volume: boundary.volume - objects.reduce(0) { $0 + $1.object.volume }, sourcePath: nil, stereoLayout: listener.stereoLayout, optimize: optimize)
        let isList: Bool
        if case .array = try root.required("speakers", "").value { isList = true } else { isList = false }
        try PlacementCheck(scene: scene, boundary: boundary, listenerPath: listener.positionPath, speakersAreList: isList).run()
        return scene
    }

    // MARK: Name

    func parseName() throws -> String {
        guard let node = try root.optional("name") else { return defaultName }
        let name = try node.string()
        guard !name.isEmpty, name.count <= 100 else { throw node.error("must be 1 to 100 characters") }
        guard SceneBuilder.isSafeFileName(name) else {
            throw node.error("\"\(name)\" cannot name an output folder: use letters, digits, spaces, '.', '-' and '_' (not starting with '.')")
        }
        return name
    }

    static func isSafeFileName(_ s: String) -> Bool {
        !s.isEmpty && !s.hasPrefix(".") && s.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) || "-_. ".unicodeScalars.contains($0)
        }
    }
}

// MARK: - Materials

extension SceneBuilder {
    func parseMaterialLibrary() throws -> [String: Material] {
        var library = BuiltInMaterials.materials
        guard let node = try root.optional("materials") else { return library }
        for (key, value) in try node.object().sorted(by: { $0.key < $1.key }) {
            let child = JSONNode(value, path: node.childPath(key))
            library[key] = try SceneBuilder.parseMaterial(child, name: key)
        }
        return library
    }

    /// `{"absorption": α | {band: α}, "scattering": s | {band: s}, "source": "citation"}` (SPEC §2).
    static func parseMaterial(_ node: JSONNode, name: String) throws -> Material {
        try node.checkKeys(["absorption", "scattering", "source"])
        _ = try node.optional("source")?.string() // where the data comes from: free text, but text
        let absorption = try parseBandValues(try node.required("absorption", "energy absorption coefficient, a number or {band Hz: value}"),
                                             range: 0...0.999_999, rangeText: "absorption must satisfy 0 ≤ α < 1")
        let scattering = try node.optional("scattering").map {
            try parseBandValues($0, range: 0...1, rangeText: "scattering must satisfy 0 ≤ s ≤ 1")
        } ?? BandValues(uniform: 0.05)
        return Material(name: name, absorption: absorption, scattering: scattering)
    }

    /// A number (every band) or an object of band centre → value (octave or third-octave keys such as
    /// "125", "1000", "1k", "1.25k", "160 Hz"), reduced to octaves by `BandReduction`.
    static func parseBandValues(_ node: JSONNode, range: ClosedRange<Double>, rangeText: String) throws -> BandValues {
        func checked(_ n: JSONNode) throws -> Double {
            let v = try n.number()
            guard range.contains(v) else { throw n.error("\(format(v)) is out of range: \(rangeText)") }
            return v
        }
        if case .number = node.value { return BandValues(uniform: try checked(node)) }
        guard case .object(let o) = node.value else {
            throw node.error("expected a number or an object of band (Hz) → value, found \(node.value.typeName)")
        }
        guard !o.isEmpty else { throw node.error("no bands given") }
        var points: [(hertz: Double, value: Double)] = []
        for (key, value) in o.sorted(by: { $0.key < $1.key }) {
            let child = JSONNode(value, path: node.childPath(key))
            guard let hz = parseFrequency(key), hz >= 10, hz <= 25_000 else {
                throw child.error("\"\(key)\" is not a band centre frequency (10 Hz – 25 kHz, e.g. \"125\", \"1000\", \"1k\")")
            }
            points.append((hz, try checked(child)))
        }
        return BandReduction.toOctaves(points)
    }

    static func parseFrequency(_ key: String) -> Double? {
        var s = key.trimmingCharacters(in: .whitespaces).lowercased()
        if s.hasSuffix("hz") { s = String(s.dropLast(2)).trimmingCharacters(in: .whitespaces) }
        var scale = 1.0
        if s.hasSuffix("k") { scale = 1000; s.removeLast() }
        guard let v = Double(s), v.isFinite else { return nil }
        return v * scale
    }

    /// Gives every surface its material: the most specific name wins — the surface's own name, then
    /// its group (`walls` for side walls, `objects` for object faces), then `all`.
    func assignMaterials(boundary: RoomBoundary, objects: [ParsedObject], objectMaterials: [JSONNode?],
                         library: [String: Material]) throws -> [Surface] {
        var given: [String: (node: JSONNode, material: Material)] = [:]
        let surfaceNames = Set(boundary.faces.map(\.name)).union(objects.map(\.object.name))
        let groups: Set<String> = ["walls", "all", "objects"]
        if let node = try root.optional("surfaces") {
            for (key, value) in try node.object().sorted(by: { $0.key < $1.key }) {
                let child = JSONNode(value, path: node.childPath(key))
                guard surfaceNames.contains(key) || groups.contains(key) else {
                    let known = (surfaceNames.sorted() + groups.sorted()).joined(separator: ", ")
                    throw child.error("no surface is named \"\(key)\"; this room has: \(known)")
                }
                given[key] = (child, try resolveMaterial(child, library: library))
            }
        }
        var surfaces: [Surface] = []
        for face in boundary.faces {
            let keys = [face.name] + (face.isWall ? ["walls"] : []) + ["all"]
            guard let m = keys.lazy.compactMap({ given[$0] }).first else {
                throw SceneError.invalid(path: "surfaces", reason: "surface \"\(face.name)\" has no material (name it, or give \(face.isWall ? "\"walls\" or " : "")\"all\")")
            }
            surfaces.append(Surface(name: face.name, polygon: face.polygon, material: m.material, objectName: nil))
        }
        var resolvedObjects = objects
        for (i, o) in objects.enumerated() {
            let material: Material
            if let node = objectMaterials[i] {
                material = try resolveMaterial(node, library: library)
            } else if let m = [o.object.name, "objects", "all"].lazy.compactMap({ given[$0] }).first {
                material = m.material
            } else {
                throw SceneError.invalid(path: "objects[\(i)].material", reason: "object \"\(o.object.name)\" has no material")
            }
            resolvedObjects[i].object.material = material
            for p in o.faces {
                surfaces.append(Surface(name: o.object.name, polygon: p, material: material, objectName: o.object.name))
            }
        }
        return surfaces
    }

    /// A material name (user's `materials` first, then the built-in library) or an inline material.
    func resolveMaterial(_ node: JSONNode, library: [String: Material]) throws -> Material {
        if case .string(let name) = node.value {
            guard let m = library[name] else {
                let suggestion = library.keys.min { editDistance(name, $0) < editDistance(name, $1) }
                throw node.error("unknown material \"\(name)\"" + (suggestion.map { " (did you mean \"\($0)\"? `soundstage materials` lists them)" } ?? ""))
            }
            return m
        }
        guard case .object = node.value else {
            throw node.error("expected a material name or an inline material {\"absorption\": …}, found \(node.value.typeName)")
        }
        return try SceneBuilder.parseMaterial(node, name: node.path)
    }
}

// MARK: - Room and objects

struct ParsedObject {
    var object: SceneObject
    var faces: [Polygon]
}

extension SceneBuilder {
    func parseRoom() throws -> RoomBoundary {
        let node = try root.required("room", "the room's geometry: shoebox, floorPlan or mesh")
        let o = try node.object()
        let kinds = ["shoebox", "floorPlan", "mesh"].filter { o[$0] != nil }
        try node.checkKeys(["shoebox", "floorPlan", "mesh"])
        guard kinds.count == 1 else {
            throw node.error(kinds.isEmpty ? "give one of \"shoebox\", \"floorPlan\" or \"mesh\""
                                           : "give only one of \"shoebox\", \"floorPlan\" or \"mesh\" (found \(kinds.joined(separator: ", ")))")
        }
        let g = try node.required(kinds[0], "geometry")
        switch kinds[0] {
        case "shoebox":
            try g.checkKeys(["width", "length", "height"])
            let w = try g.required("width", "metres along x").positive(max: 1000, unit: "m", min: SceneBuilder.minimumRoomSize)
            let l = try g.required("length", "metres along y").positive(max: 1000, unit: "m", min: SceneBuilder.minimumRoomSize)
            let h = try g.required("height", "metres along z").positive(max: 1000, unit: "m", min: SceneBuilder.minimumRoomSize)
            return RoomBoundary.shoebox(width: w, length: l, height: h)
        case "floorPlan":
            try g.checkKeys(["points", "height"])
            let pointsNode = try g.required("points", "[[x, y], …] in metres")
            let nodes = try pointsNode.array("an array of [x, y] points")
            guard nodes.count <= 10_000 else { throw pointsNode.error("at most 10000 points, found \(nodes.count)") }
            let points = try nodes.map { try $0.point2() }
            let h = try g.required("height", "metres").positive(max: 1000, unit: "m", min: SceneBuilder.minimumRoomSize)
            return try RoomBoundary.floorPlan(points: points, height: h, path: g.path)
        default:
            try g.checkKeys(["file", "up"])
            let fileNode = try g.required("file", "path to a Wavefront OBJ or AC3D file, relative to the room file")
            let file = try fileNode.string()
            let up: MeshData.UpAxis
            if let u = try g.optional("up") {
                guard let axis = MeshData.UpAxis(rawValue: try u.string()) else { throw u.error("expected \"z\" or \"y\"") }
                up = axis
            } else { up = .z }
            let text: String
            do { text = try readText(file) } catch let SceneError.unreadable(_, reason) {
                throw fileNode.error("cannot read \"\(file)\": \(reason)")
            } catch {
                throw fileNode.error("cannot read \"\(file)\": \(error)")
            }
            let mesh: MeshData
            do {
                mesh = file.lowercased().hasSuffix(".ac") ? try AC3DParser.parse(text) : try OBJParser.parse(text)
            } catch let e as MeshParseError {
                throw fileNode.error("\(file): \(e)")
            }
            return try RoomBoundary.mesh(mesh.converted(up: up), file: file, path: fileNode.path)
        }
    }

    /// Objects are boxes; their faces point outward (into the room's air).
    func parseObjects(_ boundary: RoomBoundary) throws -> ([ParsedObject], [JSONNode?]) {
        guard let node = try root.optional("objects") else { return ([], []) }
        var out: [ParsedObject] = []
        var materials: [JSONNode?] = []
        var names = Set<String>()
        for item in try node.array("an array of objects") {
            try item.checkKeys(["name", "box", "material"])
            let name = try item.required("name", "a name such as \"desk\"").string()
            guard SceneBuilder.isSafeFileName(name) else { throw item.error("name \"\(name)\": use letters, digits, '-' and '_'") }
            guard names.insert(name).inserted else { throw item.error("two objects are named \"\(name)\"") }
            if boundary.faces.contains(where: { $0.name == name }) {
                throw item.error("name \"\(name)\" is already a surface of the room")
            }
            let box = try item.required("box", "{\"min\": [x,y,z], \"max\": [x,y,z]}")
            try box.checkKeys(["min", "max"])
            let lo = try box.required("min", "[x, y, z]").point3(), hi = try box.required("max", "[x, y, z]").point3()
            if let problem = SceneBuilder.boxProblem(lo, hi, in: boundary) { throw box.error(problem) }
            out.append(ParsedObject(object: SceneObject(name: name, minCorner: lo, maxCorner: hi,
                                                        material: Material(name: "", absorption: .init(uniform: 0), scattering: .init(uniform: 0))),
                                    faces: SceneBuilder.boxFaces(lo, hi)))
            materials.append(try item.optional("material"))
        }
        return (out, materials)
    }

    /// Why the box from `lo` to `hi` cannot stand in the room (nil when it can): it must be at least
    /// 5 mm in every direction, lie inside the boundary (a corner on it — a desk on the floor — is
    /// fine), and not enclose a corner of the room.
    static func boxProblem(_ lo: Vec3, _ hi: Vec3, in boundary: RoomBoundary) -> String? {
        guard all(hi - lo .> 0.005) else { return "max \(hi.formatted) must exceed min \(lo.formatted) by at least 5 mm in x, y and z" }
        let centre = (lo + hi) / 2
        for i in 0..<8 {
            let c = Vec3(i & 1 == 0 ? lo.x : hi.x, i & 2 == 0 ? lo.y : hi.y, i & 4 == 0 ? lo.z : hi.z)
            if !boundary.contains(c + (centre - c).normalized * 1e-6) { return "the box reaches outside the room at corner \(c.formatted)" }
        }
        if let p = boundary.faces.flatMap(\.polygon.vertices).first(where: { all($0 .> lo + 1e-6) && all($0 .< hi - 1e-6) }) {
            return "the box crosses the room's boundary (room corner \(p.formatted) lies inside it)"
        }
        return nil
    }

    /// The six faces of an axis-aligned box, normals pointing out of the box.
    static func boxFaces(_ a: Vec3, _ b: Vec3) -> [Polygon] {
        [
            [Vec3(a.x, a.y, a.z), Vec3(a.x, b.y, a.z), Vec3(b.x, b.y, a.z), Vec3(b.x, a.y, a.z)], // bottom, −z
            [Vec3(a.x, a.y, b.z), Vec3(b.x, a.y, b.z), Vec3(b.x, b.y, b.z), Vec3(a.x, b.y, b.z)], // top, +z
            [Vec3(a.x, a.y, a.z), Vec3(b.x, a.y, a.z), Vec3(b.x, a.y, b.z), Vec3(a.x, a.y, b.z)], // −y
            [Vec3(a.x, b.y, a.z), Vec3(a.x, b.y, b.z), Vec3(b.x, b.y, b.z), Vec3(b.x, b.y, a.z)], // +y
            [Vec3(a.x, a.y, a.z), Vec3(a.x, a.y, b.z), Vec3(a.x, b.y, b.z), Vec3(a.x, b.y, a.z)], // −x
            [Vec3(b.x, a.y, a.z), Vec3(b.x, b.y, a.z), Vec3(b.x, b.y, b.z), Vec3(b.x, a.y, b.z)], // +x
        ].map { Polygon($0)! }
    }
}

// MARK: - Air and simulation

extension SceneBuilder {
    func parseAir() throws -> Air {
        guard let node = try root.optional("air") else { return Air() }
        try node.checkKeys(["temperature", "humidity", "pressure", "speedOfSound"])
        let t = try node.optional("temperature")?.number(in: -40...60, unit: "°C") ?? 20
        let h = try node.optional("humidity")?.number(in: 0...100, unit: "%") ?? 50
        let p = try node.optional("pressure")?.number(in: 50...110, unit: "kPa") ?? 101.325
        let c = try node.optional("speedOfSound")?.number(in: 200...500, unit: "m/s")
        return Air(temperatureCelsius: t, relativeHumidity: h, pressureKilopascal: p, speedOfSound: c)
    }

    func parseSimulation() throws -> SimulationSettings {
        var s = SimulationSettings()
        guard let node = try root.optional("simulation") else { return s }
        try node.checkKeys(["sampleRate", "duration", "maxOrder", "rays", "receiverRadius", "seed", "airAbsorption", "scattering", "diffraction", "highpass", "wave"])
        let limits = SimulationLimits.self
        if let n = try node.optional("sampleRate") { s.sampleRate = try n.integer(in: limits.sampleRate) }
        if let n = try node.optional("duration") { s.durationSeconds = try autoOr(n) { try $0.number(in: limits.durationSeconds, unit: "s") } }
        if let n = try node.optional("maxOrder") { s.maxOrder = try autoOr(n) { try $0.integer(in: limits.maxOrder) } }
        if let n = try node.optional("rays") { s.rays = try autoOr(n) { try $0.integer(in: limits.rays) } }
        if let n = try node.optional("receiverRadius") { s.receiverRadius = try autoOr(n) { try $0.number(in: limits.receiverRadius, unit: "m") } }
        if let n = try node.optional("seed") { s.seed = UInt64(try n.integer(in: 0...Int(limits.seed.upperBound))) }
        if let n = try node.optional("airAbsorption") { s.airAbsorption = try n.bool() }
        if let n = try node.optional("scattering") { s.scattering = try n.bool() }
        if let n = try node.optional("diffraction") { s.diffraction = try n.bool() }
        if let n = try node.optional("highpass") { s.highpassHertz = try n.number(in: limits.highpassHertz, unit: "Hz") }
        if let n = try node.optional("wave") { s.wave = try parseWave(n) }
        return s
    }

    /// `"auto"`, `false` or `{"crossover": Hz | "auto", "pointsPerWavelength": n}`.
    func parseWave(_ node: JSONNode) throws -> WaveSetting {
        switch node.value {
        case .string(let s):
            guard s == "auto" else { throw node.error("expected \"auto\", false or {\"crossover\": Hz, \"pointsPerWavelength\": n}, found \"\(s)\"") }
            return .auto
        case .bool(let b):
            guard !b else { throw node.error("true is not a setting: give \"auto\" or {\"crossover\": Hz}") }
            return .off
        case .object:
            try node.checkKeys(["crossover", "pointsPerWavelength"])
            let crossover = try node.optional("crossover").map { try autoOr($0) { try $0.number(in: SimulationLimits.waveCrossover, unit: "Hz") } } ?? .auto
            let ppw = try node.optional("pointsPerWavelength")?.number(in: SimulationLimits.wavePointsPerWavelength, unit: "") ?? 10
            return .on(crossover: crossover, pointsPerWavelength: ppw)
        default:
            throw node.error("expected \"auto\", false or {\"crossover\": Hz, \"pointsPerWavelength\": n}, found \(node.value.typeName)")
        }
    }

    func autoOr<T>(_ node: JSONNode, _ parse: (JSONNode) throws -> T) throws -> AutoOr<T> {
        if case .string(let s) = node.value {
            guard s == "auto" else { throw node.error("expected \"auto\" or a number, found \"\(s)\"") }
            return .auto
        }
        return .value(try parse(node))
    }
}
