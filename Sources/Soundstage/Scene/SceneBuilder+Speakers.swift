import Foundation

/// The listener block before a layout may place it.
struct ParsedListener {
    var position: Vec3?
    var positionPath = "listener.position"
    var yaw = 0.0
    var pitch = 0.0
    var hrtf: HRTFSource = .default
    /// Ear height used when a layout places the listener.
    var earHeight: Double?
    var equalization: HRTFEqualization = .diffuseField
    /// The stereo layout that placed the speakers (and maybe the listener).
    var stereoLayout: StereoLayout?
}

/// Speaker channel labels → 0-based channel index in WAV order (FL FR FC LFE BL BR SL SR).
public enum ChannelLabel {
    public static let indices: [String: Int] = [
        "L": 0, "FL": 0, "R": 1, "FR": 1, "C": 2, "FC": 2, "LFE": 3, "SW": 3,
        "Ls": 4, "BL": 4, "Lrs": 4, "Rs": 5, "BR": 5, "Rrs": 5, "Lss": 6, "SL": 6, "Rss": 7, "SR": 7,
    ]
}

extension SceneBuilder {
    func parseListener() throws -> ParsedListener {
        var l = ParsedListener()
        guard let node = try root.optional("listener") else { return l }
        try node.checkKeys(["position", "yaw", "pitch", "hrtf", "earHeight", "hrtfEqualization"])
        if let e = try node.optional("hrtfEqualization") {
            guard let value = HRTFEqualization(rawValue: try e.string()) else { throw e.error("expected \"diffuse-field\" or \"none\"") }
            l.equalization = value
        }
        if let p = try node.optional("position") { l.position = try p.point3() }
        l.yaw = try node.optional("yaw")?.number(in: -180...180, unit: "°") ?? 0
        l.pitch = try node.optional("pitch")?.number(in: -90...90, unit: "°") ?? 0
        l.earHeight = try node.optional("earHeight")?.positive(max: 100, unit: "m")
        if let h = try node.optional("hrtf") {
            let s = try h.string()
            guard !s.isEmpty else { throw h.error("expected \"default\" or a path to a SOFA file") }
            l.hrtf = s == "default" ? .default : .file(s)
        }
        return l
    }

    func parseSpeakers(boundary: RoomBoundary, listener: inout ParsedListener) throws -> [Speaker] {
        let node = try root.required("speakers", "a list of speakers or a layout such as {\"layout\": \"stereo\", …}")
        switch node.value {
        case .array:
            let items = try node.array()
            guard !items.isEmpty else { throw node.error("at least one speaker is needed") }
            guard items.count <= 64 else { throw node.error("at most 64 speakers, found \(items.count)") }
            guard let listenerPosition = listener.position else {
                throw SceneError.invalid(path: "listener.position", reason: "missing (a speaker list needs the listener's position)")
            }
            var speakers: [Speaker] = []
            for (i, item) in items.enumerated() {
                speakers.append(try parseListedSpeaker(item, index: i, listener: listenerPosition, boundary: boundary))
            }
            var seen = Set<String>()
            for (i, s) in speakers.enumerated() where !seen.insert(s.name).inserted {
                throw SceneError.invalid(path: "speakers[\(i)].name", reason: "two speakers are named \"\(s.name)\"")
            }
            return speakers
        case .object:
            return try parseLayout(node, boundary: boundary, listener: &listener)
        default:
            throw node.error("expected a list of speakers or a layout object, found \(node.value.typeName)")
        }
    }

    func parseListedSpeaker(_ item: JSONNode, index: Int, listener: Vec3, boundary: RoomBoundary) throws -> Speaker {
        try item.checkKeys(["name", "position", "aim", "toeIn", "directivity", "channel", "gain", "delay"])
        let name = try item.optional("name")?.string() ?? "S\(index + 1)"
        guard name.count <= 64 else { throw SceneError.invalid(path: "\(item.path).name", reason: "\(name.count) characters; a speaker name has at most 64") }
        guard SceneBuilder.isSafeFileName(name), !name.contains(" ") else {
            throw SceneError.invalid(path: "\(item.path).name", reason: "\"\(name)\" cannot name an output file: use letters, digits, '.', '-' and '_'")
        }
        let position = try item.required("position", "[x, y, z] in metres").point3()
        let aimNode = try item.optional("aim"), toeNode = try item.optional("toeIn")
        if aimNode != nil && toeNode != nil { throw item.error("give either \"aim\" or \"toeIn\", not both") }
        let orientation: Orientation
        if let toeNode {
            let toe = try toeNode.number(in: -90...90, unit: "°")
            orientation = StereoLayout.toeInOrientation(position: position, toeIn: toe, centreX: (boundary.minCorner.x + boundary.maxCorner.x) / 2)
        } else if let aimNode {
            orientation = try parseAim(aimNode, position: position, listener: listener)
        } else {
            orientation = Orientation(facing: listener - position)
        }
        let directivity = try item.optional("directivity").map(parseDirectivity) ?? .monitor
        var channel = index
        if let c = try item.optional("channel") {
            if case .string(let label) = c.value {
                guard let i = ChannelLabel.indices[label] else {
                    throw c.error("unknown channel label \"\(label)\"; use an index or one of: \(ChannelLabel.indices.keys.sorted().joined(separator: ", "))")
                }
                channel = i
            } else { channel = try c.integer(in: 0...63) }
        } else if let i = ChannelLabel.indices[name] { channel = i }
        let gain = try item.optional("gain")?.number(in: -60...24, unit: "dB") ?? 0
        let delay = try item.optional("delay")?.number(in: 0...1000, unit: "ms") ?? 0
        return Speaker(name: name, position: position, orientation: orientation, directivity: directivity,
                       channel: channel, gainDB: gain, delaySeconds: delay / 1000)
    }

    /// `"listener"`, a point `[x, y, z]`, or `{"yaw": deg, "pitch": deg}` (yaw 0 faces the back
    /// wall, −y; positive turns counter-clockwise seen from above).
    func parseAim(_ node: JSONNode, position: Vec3, listener: Vec3) throws -> Orientation {
        switch node.value {
        case .string(let s):
            guard s == "listener" else { throw node.error("expected \"listener\", a point [x, y, z] or {\"yaw\", \"pitch\"}") }
            return Orientation(facing: listener - position)
        case .array:
            let target = try node.point3()
            guard (target - position).length > 1e-3 else { throw node.error("the aim point coincides with the speaker") }
            return Orientation(facing: target - position)
        case .object:
            try node.checkKeys(["yaw", "pitch"])
            let yaw = try node.optional("yaw")?.number(in: -360...360, unit: "°") ?? 0
            let pitch = try node.optional("pitch")?.number(in: -90...90, unit: "°") ?? 0
            return Orientation(yawDegrees: yaw, pitchDegrees: pitch, reference: Vec3(0, -1, 0))
        default:
            throw node.error("expected \"listener\", a point [x, y, z] or {\"yaw\", \"pitch\"}, found \(node.value.typeName)")
        }
    }

    func parseDirectivity(_ node: JSONNode) throws -> Directivity {
        switch node.value {
        case .string(let s):
            switch s {
            case "omni": return .omni
            case "cardioid": return .cardioid
            case "monitor": return .monitor
            default: throw node.error("unknown directivity \"\(s)\"; use \"omni\", \"cardioid\", \"monitor\", {\"piston\": {\"radius\": m}}, {\"table\": …} or {\"measured\": \"file\"}")
            }
        case .object:
            try node.checkKeys(["piston", "table", "measured"])
            if let m = try node.optional("measured") { return .measured(try parseMeasured(m)) }
            if let p = try node.optional("piston") {
                try p.checkKeys(["radius"])
                return .piston(radius: try p.required("radius", "metres").positive(max: 2, unit: "m"))
            }
            if let t = try node.optional("table") {
                try t.checkKeys(["angles", "attenuation"])
                let anglesNode = try t.required("angles", "off-axis angles in degrees, 0 … 180")
                let angles = try anglesNode.array().map { try $0.number(in: 0...180, unit: "°") }
                guard angles.count >= 2, angles.first == 0, zip(angles, angles.dropFirst()).allSatisfy({ $0 < $1 }) else {
                    throw anglesNode.error("expected at least 2 increasing angles starting at 0")
                }
                let att = try t.required("attenuation", "{band Hz: [dB at each angle]}")
                var perBand: [(hertz: Double, values: [Double])] = []
                for (key, value) in try att.object().sorted(by: { $0.key < $1.key }) {
                    let child = JSONNode(value, path: att.childPath(key))
                    guard let hz = SceneBuilder.parseFrequency(key), hz >= 10, hz <= 25_000 else {
                        throw child.error("\"\(key)\" is not a band centre frequency")
                    }
                    let v = try child.array().map { try $0.number(in: -100...0, unit: "dB") }
                    guard v.count == angles.count else { throw child.error("expected \(angles.count) values (one per angle), found \(v.count)") }
                    perBand.append((hz, v))
                }
                guard !perBand.isEmpty else { throw att.error("no bands given") }
                let rows = angles.indices.map { a in BandReduction.toOctaves(perBand.map { (hertz: $0.hertz, value: $0.values[a]) }) }
                return .table(angles: angles, attenuationDB: rows)
            }
            throw node.error("expected {\"piston\": …}, {\"table\": …} or {\"measured\": …}")
        default:
            throw node.error("expected a directivity name or object, found \(node.value.typeName)")
        }
    }
}

// MARK: - Layouts

extension SceneBuilder {
    func parseLayout(_ node: JSONNode, boundary: RoomBoundary, listener: inout ParsedListener) throws -> [Speaker] {
        let layout = try node.required("layout", "\"stereo\", \"5.1\" or \"7.1\"").string()
        switch layout {
        case "stereo": return try parseStereo(node, boundary: boundary, listener: &listener)
        case "5.1", "7.1": return try parseSurround(node, layout: layout, boundary: boundary, listener: &listener)
        default: throw SceneError.invalid(path: "\(node.childPath("layout"))", reason: "unknown layout \"\(layout)\"; use \"stereo\", \"5.1\" or \"7.1\"")
        }
    }

    func frontWall(_ boundary: RoomBoundary, x: Double, z: Double, path: String) throws -> Double {
        guard let y = boundary.frontY(x: x, z: z) else {
            throw SceneError.invalid(path: path, reason: "no front wall found along x = \(format(x)) m at height \(format(z)) m")
        }
        return y
    }

    /// `stereo` (`StereoLayout`). Without `listenerDistance` and `listener.position` the listener
    /// sits at the equilateral triangle's apex.
    func parseStereo(_ node: JSONNode, boundary: RoomBoundary, listener: inout ParsedListener) throws -> [Speaker] {
        try node.checkKeys(["layout", "spacing", "frontWallDistance", "listenerDistance", "height", "toeIn", "directivity", "centerX"])
        let spacing = try node.required("spacing", "metres between the speakers").positive(max: 100, unit: "m")
        let front = try node.required("frontWallDistance", "metres from the front wall to the speakers' front baffles").positive(max: 500, unit: "m")
        var layout = StereoLayout(spacing: spacing, frontWallDistance: front,
                                  height: try node.optional("height")?.positive(max: 100, unit: "m") ?? 1.2,
                                  centerX: try node.optional("centerX")?.number(in: -1e4...1e4, unit: "m"),
                                  earHeight: listener.earHeight,
                                  directivity: try node.optional("directivity").map(parseDirectivity) ?? .monitor)
        if let toe = try node.optional("toeIn") {
            if case .number = toe.value { layout.toeIn = try toe.number(in: -90...90, unit: "°") }
            else if try toe.string() != "listener" { throw toe.error("expected \"listener\" or degrees") }
        }
        var distancePath = node.childPath("spacing")
        if let distanceNode = try node.optional("listenerDistance") {
            guard listener.position == nil else {
                throw distanceNode.error("give either speakers.listenerDistance or listener.position, not both")
            }
            layout.listenerDistance = try distanceNode.positive(max: 500, unit: "m")
            distancePath = distanceNode.path
        } else if listener.position == nil {
            layout.listenerDistance = spacing
        }
        let placed = try layout.place(in: boundary, path: node.path, listenerPath: distancePath)
        if let ear = placed.listener {
            listener.position = ear
            listener.positionPath = distancePath
        }
        listener.stereoLayout = layout
        return layout.speakers(placed, listener: listener.position!)
    }

    /// `5.1` / `7.1` after ITU-R BS.775-3: speakers on a circle of `radius` around the listener, at
    /// azimuths L/R ±30°, C 0°, and surrounds Ls/Rs ±110° (5.1) or side Lss/Rss ±90° and rear
    /// Lrs/Rrs ±135° (7.1). All are aimed at the listener. Without `listener.position`, the listener
    /// sits on the centre line `frontWallDistance + radius` from the front wall. An LFE speaker is
    /// added only when `subwoofer: {"position": […]}` is given.
    func parseSurround(_ node: JSONNode, layout: String, boundary: RoomBoundary, listener: inout ParsedListener) throws -> [Speaker] {
        try node.checkKeys(["layout", "radius", "frontWallDistance", "height", "directivity", "centerX", "subwoofer", "toeIn"])
        let radius = try node.required("radius", "metres from the listener to each speaker").positive(max: 100, unit: "m")
        let directivity = try node.optional("directivity").map(parseDirectivity) ?? .monitor
        if let toe = try node.optional("toeIn"), (try? toe.string()) != "listener" {
            throw toe.error("surround layouts aim every speaker at the listener; only \"listener\" is allowed")
        }
        let cx = try node.optional("centerX")?.number(in: -1e4...1e4, unit: "m") ?? (boundary.minCorner.x + boundary.maxCorner.x) / 2
        let heightNode = try node.optional("height")
        let height = try heightNode?.positive(max: 100, unit: "m") ?? listener.earHeight ?? listener.position?.z ?? 1.2
        if let f = try node.optional("frontWallDistance") {
            guard listener.position == nil else { throw f.error("give either speakers.frontWallDistance or listener.position, not both") }
            let d = try f.positive(max: 500, unit: "m")
            guard height > boundary.minCorner.z, height < boundary.maxCorner.z else {
                throw SceneError.invalid(path: heightNode?.path ?? node.childPath("height"),
                                         reason: "\(format(height)) m is outside the room, whose floor and top are at \(format(boundary.minCorner.z)) and \(format(boundary.maxCorner.z)) m")
            }
            let yFront = try frontWall(boundary, x: cx, z: height, path: node.childPath("centerX"))
            listener.position = Vec3(cx, yFront - d - radius, listener.earHeight ?? height)
            listener.positionPath = f.path
        }
        guard let ear = listener.position else {
            throw SceneError.invalid(path: "listener.position", reason: "missing (a \(layout) layout needs listener.position or speakers.frontWallDistance)")
        }
        var plan: [(String, Double, Int)] = [("L", 30, 0), ("R", -30, 1), ("C", 0, 2)]
        plan += layout == "5.1" ? [("Ls", 110, 4), ("Rs", -110, 5)]
                                : [("Lrs", 135, 4), ("Rrs", -135, 5), ("Lss", 90, 6), ("Rss", -90, 7)]
        var speakers: [Speaker] = plan.map { name, azimuth, channel in
            // Azimuth in the room frame: 0 = +y, +90 = −x (the listener's left, SPEC §1).
            let a = radians(azimuth)
            let p = Vec3(ear.x - radius * sin(a), ear.y + radius * cos(a), height)
            return Speaker(name: name, position: p, orientation: Orientation(facing: ear - p), directivity: directivity,
                           channel: channel, gainDB: 0, delaySeconds: 0)
        }
        if let sub = try node.optional("subwoofer") {
            try sub.checkKeys(["position"])
            let p = try sub.required("position", "[x, y, z]").point3()
            speakers.append(Speaker(name: "LFE", position: p, orientation: Orientation(facing: ear - p), directivity: .omni,
                                    channel: 3, gainDB: 0, delaySeconds: 0))
        }
        return speakers
    }

    /// `{"measured": "file"}` — a FreeFieldDirectivityTF SOFA file (`.sofa`) or a horizontal polar
    /// text export (an axisymmetric speaker) — or `{"measured": {"horizontal": "file", "vertical":
    /// "file"}}` (`PolarFile`, `MeasuredDirectivity`).
    func parseMeasured(_ node: JSONNode) throws -> MeasuredDirectivity {
        func text(_ fileNode: JSONNode, plane: PolarFile.Plane) throws -> (String, [MeasuredDirectivity.Curve]) {
            let file = try fileNode.string()
            let content: String
            do { content = try readText(file) } catch let SceneError.unreadable(_, reason) {
                throw fileNode.error("cannot read \"\(file)\": \(reason)")
            } catch {
                throw fileNode.error("cannot read \"\(file)\": \(FileError.reason(of: error))")
            }
            do { return (file, try PolarFile.curves(text: content, plane: plane)) } catch {
                throw fileNode.error("\(file): \(error)")
            }
        }
        var curves: [MeasuredDirectivity.Curve] = [], sources: [String] = []
        switch node.value {
        case .string(let file) where file.lowercased().hasSuffix(".sofa"):
            do { curves = try PolarFile.curves(sofa: resolvePath(file)) } catch let e as FileError {
                throw node.error("\(file): \(e.reason)")
            } catch { throw node.error("\(file): \(error)") }
            sources = [file]
        case .string:
            let (file, c) = try text(node, plane: .horizontal)
            (curves, sources) = (c, [file])
        case .object:
            try node.checkKeys(["horizontal", "vertical"])
            let h = try text(try node.required("horizontal", "the horizontal polar file"), plane: .horizontal)
            curves = h.1
            sources = [h.0]
            if let v = try node.optional("vertical") {
                let vertical = try text(v, plane: .vertical)
                curves += vertical.1.filter { $0.offAxisDegrees >= 0.5 } // the on-axis curve is the horizontal file's
                sources.append(vertical.0)
            }
        default:
            throw node.error("expected a file name or {\"horizontal\": file, \"vertical\": file}, found \(node.value.typeName)")
        }
        do { return try MeasuredDirectivity(curves: curves, source: sources.joined(separator: " + ")) } catch {
            throw node.error("\(sources.joined(separator: " + ")): \(error)")
        }
    }
}
