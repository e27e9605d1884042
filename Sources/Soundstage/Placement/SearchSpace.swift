import Foundation

/// Where `soundstage optimize` may put a stereo pair and the listener (SPEC §7): the room file's
/// `"optimize"` block, with what it leaves out filled from the room and its current layout
/// (`defaults(for:)`). A nil range keeps the current value.
public struct PlacementSearchSpace: Sendable, Equatable {
    /// Metres between the speakers.
    public var spacing: ClosedRange<Double>?
    /// Metres from the front wall to the speakers' baffles.
    public var frontWallDistance: ClosedRange<Double>?
    /// The speakers' height above the floor.
    public var height: ClosedRange<Double>?
    /// Degrees (nil keeps the current aim).
    public var toeIn: ClosedRange<Double>?
    /// The pair's (and the seat's) centre line.
    public var centerX: ClosedRange<Double>?
    /// The listener's ears from the front wall (m): the seat.
    public var seat: ClosedRange<Double>?
    /// Constraints on the result: ear-to-speaker distance (m; nil: from 3/4 to 4/3 of the current one)
    /// and the angle the pair subtends (°).
    public var listenerDistance: ClosedRange<Double>?
    public var stereoAngle: ClosedRange<Double> = 40...80
    /// Speakers mirror-symmetric about the centre line (the only kind searched).
    public var symmetric = true
    /// Least distance from a speaker's centre to a wall, and to an object (m).
    public var wallClearance = 0.15, objectClearance = 0.1
    /// Grid step of the lengths (m) and of the toe-in (°, × 50).
    public var step = 0.1
    /// Seats tried between the ends of `seat` (each costs one wave run per listening-area point).
    public var seats = 9
    /// Half-size of the listening area (m); 0 scores the seat alone.
    public var area = 0.3
    public var goal: Objective = .balanced

    public init() {}

    /// The search space of the room's `optimize` block (or none), with unset ranges filled in for
    /// its current stereo layout: spacing from 3/4 to 5/4 of the current one (within the room's width
    /// less 0.6 m), front-wall distance from the wall clearance up to a quarter of the room's length
    /// (at most 1.5 m), seats from 25 % to 70 % of the length, the listener 3/4 to 4/3 as far from the
    /// speakers as now; height, toe-in and centre line stay as they are. The search stays near the
    /// scale the user chose — near-field listening always wins on early reflections, and a living
    /// room is not a mixing desk.
    public static func defaults(for scene: Scene) throws -> PlacementSearchSpace {
        var space = scene.optimize ?? PlacementSearchSpace()
        guard let layout = scene.stereoLayout else {
            throw SceneError.invalid(path: "speakers.layout", reason: "optimize places a \"stereo\" layout; this room lists its speakers")
        }
        let lo = scene.boundary.minCorner, hi = scene.boundary.maxCorner
        let width = hi.x - lo.x, length = hi.y - lo.y
        let s0 = layout.spacing
        space.spacing = space.spacing ?? (min(0.75 * s0, max(0.2, width - 0.6))...max(s0, min(1.25 * s0, width - 0.6)))
        let d0 = scene.speakers[0].position.distance(to: scene.listener.position)
        space.listenerDistance = space.listenerDistance ?? (0.75 * d0...(4.0 / 3) * d0)
        space.frontWallDistance = space.frontWallDistance ?? (min(space.wallClearance, layout.frontWallDistance)...max(layout.frontWallDistance, min(1.5, length / 4)))
        space.seat = space.seat ?? (0.25 * length...0.7 * length)
        return space
    }
}

extension SceneBuilder {
    /// `"optimize"` (SPEC §7), or nil.
    func parseOptimize() throws -> PlacementSearchSpace? {
        guard let node = try root.optional("optimize") else { return nil }
        try node.checkKeys(["speakers", "listener", "constraints", "goal", "step", "seats", "area"])
        var space = PlacementSearchSpace()
        func range(_ parent: JSONNode, _ key: String, _ bounds: ClosedRange<Double>, _ unit: String) throws -> ClosedRange<Double>? {
            guard let n = try parent.optional(key) else { return nil }
            if case .number = n.value { let v = try n.number(in: bounds, unit: unit); return v...v }
            let items = try n.array("[min, max] in \(unit)")
            guard items.count == 2 else { throw n.error("expected [min, max] in \(unit), found \(items.count) numbers") }
            let a = try items[0].number(in: bounds, unit: unit), b = try items[1].number(in: bounds, unit: unit)
            guard a <= b else { throw n.error("empty range: \(format(a)) is above \(format(b))") }
            return a...b
        }
        if let s = try node.optional("speakers") {
            try s.checkKeys(["spacing", "frontWallDistance", "height", "toeIn", "centerX"])
            space.spacing = try range(s, "spacing", 0.2...100, "m")
            space.frontWallDistance = try range(s, "frontWallDistance", 0.01...500, "m")
            space.height = try range(s, "height", 0.05...100, "m")
            space.toeIn = try range(s, "toeIn", -90...90, "°")
            space.centerX = try range(s, "centerX", -1e4...1e4, "m")
        }
        if let l = try node.optional("listener") {
            try l.checkKeys(["frontWallDistance"])
            space.seat = try range(l, "frontWallDistance", 0.1...500, "m")
        }
        if let c = try node.optional("constraints") {
            try c.checkKeys(["symmetric", "stereoAngle", "listenerDistance", "wallClearance", "objectClearance"])
            if let sym = try c.optional("symmetric") {
                space.symmetric = try sym.bool()
                guard space.symmetric else { throw sym.error("only mirror-symmetric pairs are searched (true)") }
            }
            space.stereoAngle = try range(c, "stereoAngle", 1...179, "°") ?? space.stereoAngle
            space.listenerDistance = try range(c, "listenerDistance", 0.2...500, "m") ?? space.listenerDistance
            space.wallClearance = try c.optional("wallClearance")?.number(in: SceneBuilder.minimumClearance...10, unit: "m") ?? space.wallClearance
            space.objectClearance = try c.optional("objectClearance")?.number(in: 0...10, unit: "m") ?? space.objectClearance
        }
        space.step = try node.optional("step")?.number(in: 0.02...1, unit: "m") ?? space.step
        space.seats = try node.optional("seats")?.integer(in: 1...40) ?? space.seats
        space.area = try node.optional("area")?.number(in: 0...1, unit: "m") ?? space.area
        if let g = try node.optional("goal") { space.goal = try parseGoal(g) }
        return space
    }

    /// A preset name or `{term: weight}`.
    func parseGoal(_ node: JSONNode) throws -> Objective {
        switch node.value {
        case .string(let name):
            guard let o = Objective.presets[name] else {
                throw node.error("unknown goal \"\(name)\"; use \(Objective.presets.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")) or {term: weight}")
            }
            return o
        case .object(let o):
            var weights: [Objective.Term: Double] = [:]
            for key in o.keys.sorted() {
                let child = JSONNode(o[key]!, path: node.childPath(key))
                guard let term = Objective.Term(rawValue: key) else {
                    throw child.error("unknown term; the terms are \(Objective.Term.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                weights[term] = try child.number(in: 0...100)
            }
            guard weights.values.contains(where: { $0 > 0 }) else { throw node.error("at least one weight must be above 0") }
            return Objective(weights: weights)
        default:
            throw node.error("expected a goal name or {term: weight}, found \(node.value.typeName)")
        }
    }
}
