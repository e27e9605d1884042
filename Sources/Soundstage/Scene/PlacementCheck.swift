import Foundation

/// Checks where the speakers and the listener stand: inside the room, outside every object, at
/// least `SceneBuilder.minimumClearance` from the walls, the listener and each other.
struct PlacementCheck {
    let scene: Scene
    let boundary: RoomBoundary
    let listenerPath: String

    /// JSON path of speaker `i`'s position: the list entry, or the layout that generated it.
    func speakerPath(_ i: Int, _ isList: Bool) -> String { isList ? "speakers[\(i)].position" : "speakers" }

    func run() throws {
        let clearance = SceneBuilder.minimumClearance
        let l = scene.listener.position
        try checkInside(l, what: "the listener", path: listenerPath)
        let isList = listedSpeakers
        for (i, s) in scene.speakers.enumerated() {
            let path = speakerPath(i, isList)
            let who = isList ? "the speaker" : "speaker \(s.name)"
            try checkInside(s.position, what: who, path: path)
            let (face, d) = boundary.nearestFace(to: s.position)
            if d < clearance {
                throw SceneError.invalid(path: path, reason: "\(who) at \(s.position.formatted) is \(String(format: "%.3f", d)) m from surface \"\(boundary.faces[face].name)\" (at least \(format(clearance)) m needed)")
            }
            let dl = s.position.distance(to: l)
            if dl < clearance {
                throw SceneError.invalid(path: path, reason: "\(who) at \(s.position.formatted) is \(String(format: "%.3f", dl)) m from the listener (at least \(format(clearance)) m needed)")
            }
            for (j, t) in scene.speakers.enumerated().prefix(i) where s.position.distance(to: t.position) < clearance {
                throw SceneError.invalid(path: path, reason: "\(who) at \(s.position.formatted) is at the same place as speaker \(t.name) (speakers[\(j)]); keep them at least \(format(clearance)) m apart")
            }
        }
    }

    /// Whether the room file gave a speaker list (paths name entries) or a layout.
    let listedSpeakers: Bool

    init(scene: Scene, boundary: RoomBoundary, listenerPath: String, speakersAreList: Bool = false) {
        self.scene = scene
        self.boundary = boundary
        self.listenerPath = listenerPath
        self.listedSpeakers = speakersAreList
    }

    func checkInside(_ p: Vec3, what: String, path: String) throws {
        if !boundary.contains(p) {
            let lo = boundary.minCorner, hi = boundary.maxCorner
            var why = "lies outside the room"
            if case .shoebox(let w, let l, let h) = scene.shape {
                if p.x <= 0 || p.x >= w { why += " (width \(format(w)) m)" }
                else if p.y <= 0 || p.y >= l { why += " (length \(format(l)) m)" }
                else if p.z <= 0 || p.z >= h { why += " (height \(format(h)) m)" }
            } else {
                why += " (its bounds are \(lo.formatted)–\(hi.formatted))"
            }
            throw SceneError.invalid(path: path, reason: "\(what) at \(p.formatted) \(why)")
        }
        for o in scene.objects where o.contains(p) {
            throw SceneError.invalid(path: path, reason: "\(what) at \(p.formatted) is inside object \"\(o.name)\"")
        }
    }
}
