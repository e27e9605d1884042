import Foundation

/// The files of `soundstage optimize` (SPEC §7) under DIR/<name>/optimize/: `candidates.json`,
/// `best.json`, `placement-map.png`, `seat-map.png` (`bass.png` comes from the full simulations).
public enum OptimizeOutput {
    public static let folderName = "optimize"

    /// One placement in `candidates.json`.
    public struct CandidateRecord: Codable, Sendable {
        public var stage: String
        public var spacing: Double, frontWallDistance: Double, listenerDistance: Double, height: Double
        public var toeIn: Double?
        public var centerX: Double
        /// The ears' distance from the front wall (m) and the pair's angle at the listener (°).
        public var seatFrontWallDistance: Double, stereoAngle: Double
        public var left: [Double], right: [Double], seat: [Double]
        /// Each term (`Objective.Term`) and the weighted cost; a nil cost: not scorable (a blocked direct sound).
        public var terms: [String: Double]
        public var cost: Double?
        /// Width and envelopment (`PlacementFigures`), for the current placement and the ten best.
        public var width: Double?, envelopment: Double?

        public init(_ c: PlacementCandidate) {
            func r(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
            stage = c.stage
            spacing = r(c.layout.spacing); frontWallDistance = r(c.layout.frontWallDistance)
            listenerDistance = r(c.layout.listenerDistance ?? 0); height = r(c.layout.height)
            toeIn = c.layout.toeIn.map(r); centerX = r(c.layout.centerX ?? 0)
            seatFrontWallDistance = r(c.seatDistance); stereoAngle = r(c.stereoAngle)
            left = [c.left.x, c.left.y, c.left.z].map(r); right = [c.right.x, c.right.y, c.right.z].map(r); seat = [c.seat.x, c.seat.y, c.seat.z].map(r)
            terms = Dictionary(uniqueKeysWithValues: c.terms.map { ($0.key.rawValue, r($0.value)) })
            cost = c.cost.isFinite ? r(c.cost) : nil
            width = c.figures?.width.map(r); envelopment = c.figures?.envelopment.map(r)
        }
    }

    public struct CandidatesFile: Codable, Sendable {
        public var room: String
        public var soundstageVersion: String
        public var goal: String
        public var weights: [String: Double]
        public var waveRuns: Int
        /// The current placement first, then the fully scored ones best first, then the coarse screen.
        public var candidates: [CandidateRecord]
    }

    /// `candidates.json`.
    public static func candidatesJSON(_ result: PlacementSearchResult, room: String) throws -> Data {
        let goal = result.space.goal
        let rest = result.candidates.filter { $0.stage != "current" }
        let ordered = [result.current] + rest.filter { $0.stage == "refined" }.sorted { $0.cost < $1.cost }
            + rest.filter { $0.stage == "grid" }.sorted { $0.cost < $1.cost }
        let file = CandidatesFile(room: room, soundstageVersion: SoundstageVersion.string, goal: goal.preset ?? "custom",
                                  weights: Dictionary(uniqueKeysWithValues: goal.weights.map { ($0.key.rawValue, $0.value) }),
                                  waveRuns: result.waveRuns, candidates: ordered.map(CandidateRecord.init))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(file)
    }

    /// `best.json`: the room file at `roomPath` with the speakers block set to `best`'s layout (a
    /// listener position given in the file is dropped: the layout places the listener), named
    /// `<name>-best`, and relative file names (mesh, HRTF) made absolute so that it loads from
    /// wherever it is written.
    public static func bestRoomFile(roomPath: String, best: PlacementCandidate) throws -> Data {
        let url = URL(fileURLWithPath: roomPath)
        let folder = url.deletingLastPathComponent()
        guard var root = try JSONSerialization.jsonObject(with: RoomFile.read(url, label: roomPath)) as? [String: Any] else {
            throw SceneError.invalid(path: "", reason: "\(roomPath): the room file is not a JSON object")
        }
        func r(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
        var speakers = root["speakers"] as? [String: Any] ?? [:]
        let l = best.layout
        speakers["layout"] = "stereo"
        speakers["spacing"] = r(l.spacing)
        speakers["frontWallDistance"] = r(l.frontWallDistance)
        speakers["listenerDistance"] = r(l.listenerDistance ?? l.spacing)
        speakers["height"] = r(l.height)
        speakers["toeIn"] = l.toeIn.map { r($0) as Any } ?? "listener"
        speakers["centerX"] = r(l.centerX ?? 0)
        root["speakers"] = speakers
        var listener = root["listener"] as? [String: Any] ?? [:]
        listener.removeValue(forKey: "position")
        listener["earHeight"] = r(best.seat.z)
        if let hrtf = listener["hrtf"] as? String, hrtf != "default", !hrtf.hasPrefix("/") {
            listener["hrtf"] = folder.appendingPathComponent(hrtf).path
        }
        root["listener"] = listener
        if var room = root["room"] as? [String: Any], let mesh = room["mesh"] as? [String: Any], let file = mesh["file"] as? String, !file.hasPrefix("/") {
            var m = mesh
            m["file"] = folder.appendingPathComponent(file).path
            room["mesh"] = m
            root["room"] = room
        }
        let name = (root["name"] as? String) ?? url.deletingPathExtension().lastPathComponent
        root["name"] = String("\(name)-best".prefix(100))
        return try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
    }

    /// The two maps with the current and best positions marked.
    public static func maps(_ result: PlacementSearchResult, scene: Scene) -> [String: PNGImage] {
        let best = result.best, current = result.current
        let placement = Plots.placementMap(result.placementMap, scene: scene,
                                           markers: [("L now", current.left, false), ("R now", current.right, false),
                                                     ("L best", best.left, true), ("R best", best.right, true),
                                                     ("seat", best.seat, true)],
                                           title: "\(scene.name): the objective with the left speaker here (right mirrored), seat at best")
        let seat = Plots.placementMap(result.seatMap, scene: scene,
                                      markers: [("seat now", current.seat, false), ("seat best", best.seat, true),
                                                ("L", best.left, true), ("R", best.right, true)],
                                      title: "\(scene.name): the objective with the listener here, speakers at best")
        return ["placement-map.png": placement, "seat-map.png": seat]
    }
}
