import Foundation

/// The `stereo` speaker layout of a room file (SPEC §1): L and R `spacing` apart, centred on
/// `centerX`, their baffles `frontWallDistance` in front of the front wall (the wall the line
/// x = `centerX` meets at the speakers' height, the room's +y end), `height` above the floor; the
/// listener on the centre line with the ear-axis centre `listenerDistance` from each speaker
/// (default `spacing`: the equilateral triangle). The room file's parser and the placement search
/// (`PlacementSearch`) both place speakers through it.
public struct StereoLayout: Sendable, Equatable {
    public var spacing: Double
    public var frontWallDistance: Double
    /// Ear-to-speaker distance; nil when the listener stands where `listener.position` says.
    public var listenerDistance: Double?
    public var height: Double
    /// Degrees from facing the back wall toward the centre line; nil aims both at the listener.
    public var toeIn: Double?
    /// Nil: the middle of the room's bounding box.
    public var centerX: Double?
    /// The listener's ear height (nil: the speakers' height).
    public var earHeight: Double?
    public var directivity: Directivity

    public init(spacing: Double, frontWallDistance: Double, listenerDistance: Double? = nil, height: Double = 1.2, toeIn: Double? = nil,
                centerX: Double? = nil, earHeight: Double? = nil, directivity: Directivity = .monitor) {
        (self.spacing, self.frontWallDistance, self.listenerDistance, self.height) = (spacing, frontWallDistance, listenerDistance, height)
        (self.toeIn, self.centerX, self.earHeight, self.directivity) = (toeIn, centerX, earHeight, directivity)
    }

    /// Where the layout puts things in `boundary`.
    public struct Placed: Sendable {
        public var left: Vec3, right: Vec3
        /// Nil when the layout has no `listenerDistance` (the listener is given elsewhere).
        public var listener: Vec3?
        public var centerX: Double
    }

    /// The speakers' and (with `listenerDistance`) the listener's positions. Errors name `path`'s
    /// keys: `speakers.centerX` when no front wall lies along the centre line, `speakers.listenerDistance`
    /// when the listener cannot be that close.
    public func place(in boundary: RoomBoundary, path: String = "speakers", listenerPath: String? = nil) throws -> Placed {
        let cx = centerX ?? (boundary.minCorner.x + boundary.maxCorner.x) / 2
        guard height > boundary.minCorner.z, height < boundary.maxCorner.z else {
            throw SceneError.invalid(path: "\(path).height", reason: "\(format(height)) m is outside the room, whose floor and top are at \(format(boundary.minCorner.z)) and \(format(boundary.maxCorner.z)) m")
        }
        guard let yFront = boundary.frontY(x: cx, z: height) else {
            throw SceneError.invalid(path: "\(path).centerX", reason: "no front wall found along x = \(format(cx)) m at height \(format(height)) m")
        }
        let y = yFront - frontWallDistance
        let left = Vec3(cx - spacing / 2, y, height), right = Vec3(cx + spacing / 2, y, height)
        var listener: Vec3?
        if let d = listenerDistance {
            let ear = earHeight ?? height
            let dz = ear - height
            let horizontal2 = d * d - dz * dz - spacing * spacing / 4
            guard horizontal2 > 0 else {
                throw SceneError.invalid(path: listenerPath ?? "\(path).listenerDistance",
                                         reason: "a listener \(format(d)) m from speakers \(format(spacing)) m apart cannot be placed (needs more than half the spacing)")
            }
            listener = Vec3(cx, y - horizontal2.squareRoot(), ear)
        }
        return Placed(left: left, right: right, listener: listener, centerX: cx)
    }

    /// L and R as speakers facing by `toeIn` (or at `listener`).
    public func speakers(_ placed: Placed, listener: Vec3) -> [Speaker] {
        let orientations = [placed.left, placed.right].map { p in
            toeIn.map { StereoLayout.toeInOrientation(position: p, toeIn: $0, centreX: placed.centerX) } ?? Orientation(facing: listener - p)
        }
        return [
            Speaker(name: "L", position: placed.left, orientation: orientations[0], directivity: directivity, channel: 0, gainDB: 0, delaySeconds: 0),
            Speaker(name: "R", position: placed.right, orientation: orientations[1], directivity: directivity, channel: 1, gainDB: 0, delaySeconds: 0),
        ]
    }

    /// Toe-in (SPEC §1): from facing the back wall (−y), turned by `toeIn` degrees toward the
    /// room's centre line x = `centreX` (a speaker on the centre line turns counter-clockwise).
    static func toeInOrientation(position: Vec3, toeIn: Double, centreX: Double) -> Orientation {
        let towardCentre: Double = position.x <= centreX ? 1 : -1
        return Orientation(yawDegrees: towardCentre * toeIn, pitchDegrees: 0, reference: Vec3(0, -1, 0))
    }

    /// The angle (degrees) the two speakers subtend at `listener`.
    public static func stereoAngle(left: Vec3, right: Vec3, listener: Vec3) -> Double {
        let a = (left - listener).normalized, b = (right - listener).normalized
        return acos(max(-1, min(1, a.dot(b)))) * 180 / .pi
    }
}

extension Scene {
    /// The scene with its stereo pair and listener placed by `layout` (which must have a
    /// `listenerDistance`), checked as a room file's layout is (`PlacementCheck`).
    public func placing(_ layout: StereoLayout) throws -> Scene {
        guard speakers.count == 2, speakers[0].name == "L", speakers[1].name == "R" else {
            throw SceneError.invalid(path: "speakers", reason: "a stereo pair L, R is needed to place a stereo layout")
        }
        let placed = try layout.place(in: boundary)
        guard let ear = placed.listener else {
            throw SceneError.invalid(path: "speakers.listenerDistance", reason: "missing (placing a layout needs the listener's distance)")
        }
        var scene = self
        scene.speakers = zip(layout.speakers(placed, listener: ear), speakers).map { new, old in
            var s = new
            (s.channel, s.gainDB, s.delaySeconds) = (old.channel, old.gainDB, old.delaySeconds)
            return s
        }
        scene.listener.position = ear
        scene.stereoLayout = layout
        try PlacementCheck(scene: scene, boundary: boundary, listenerPath: "speakers.listenerDistance").run()
        return scene
    }
}
