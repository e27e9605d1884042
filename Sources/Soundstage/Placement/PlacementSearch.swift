import Foundation
import Synchronization

/// One placement of the stereo pair and the seat, with its objective terms.
public struct PlacementCandidate: Sendable {
    /// The layout (its `listenerDistance` places the seat).
    public var layout: StereoLayout
    public var left: Vec3, right: Vec3, seat: Vec3
    /// The ears' distance from the front wall along the centre line (m).
    public var seatDistance: Double
    public var stereoAngle: Double
    public var terms: [Objective.Term: Double]
    public var cost: Double
    /// "current", "grid" (the coarse screen, scored without the area term) or "refined".
    public var stage: String
    /// Width and envelopment, for the reported candidates once `PlacementSearch.attachFigures` ran.
    public var figures: PlacementFigures? = nil
}

/// The objective over a plane: rows of `ys`, columns of `xs`, nil where the position is not allowed.
public struct PlacementMap: Sendable {
    public var xs: [Double], ys: [Double]
    public var cost: [[Double?]]
    /// What the map moves: "left speaker" (the right one mirrored) or "seat".
    public var subject: String
    /// The terms the map's cost holds (the area term is left out: it needs a run per point).
    public var terms: [Objective.Term]
}

/// The outcome of `PlacementSearch.run`.
public struct PlacementSearchResult: Sendable {
    public let space: PlacementSearchSpace
    public internal(set) var current: PlacementCandidate
    /// Every evaluated placement, the current one first.
    public internal(set) var candidates: [PlacementCandidate]
    /// The fully scored placements (current and refined), best first.
    public internal(set) var ranked: [PlacementCandidate]
    public var best: PlacementCandidate { ranked[0] }
    public let placementMap: PlacementMap
    public let seatMap: PlacementMap
    public let waveRuns: Int
}

/// The placement search of `soundstage optimize` (SPEC §7): where a stereo pair and the listener
/// go for the objective (`Objective`), over the search space (`PlacementSearchSpace`).
///
/// Evaluation is cheap by construction: one wave run from a seat gives the bass of every candidate
/// speaker position at that seat (`BassMap`, by reciprocity); the early reflections come from the
/// image sources up to order 2 per candidate (`EarlyPattern`); the late field, shared by all
/// placements, is not recomputed. The search is a coarse grid over every seat and speaker layout,
/// scored without the listening-area term (one wave run per seat), then a finer grid (a third of the
/// step) around the best layout at each of the best `refinedSeats` seats, scored with every term
/// (one run per listening-area point). Deterministic: no random choices, and each candidate is
/// scored by itself, whatever the thread count.
public enum PlacementSearch {
    public enum Event: Sendable {
        case waveRun(done: Int, total: Int)
    }
    /// Seats refined in the second stage.
    public static let refinedSeats = 3
    /// The largest search run: seats of the coarse stage (one wave run each) and placements scored.
    public static let maximumSeatRuns = 60, maximumPlacements = 2e4

    /// Runs the search for `scene`'s stereo layout over `space` (`PlacementSearchSpace.defaults(for:)`).
    /// Errors name the `optimize` key whose range or constraint leaves nothing to search.
    public static func run(scene: Scene, space: PlacementSearchSpace, threads: Int = defaultThreadCount,
                           progress: (@Sendable (Event) -> Void)? = nil) throws -> PlacementSearchResult {
        let search = try Search(scene: scene, space: space, threads: threads, progress: progress)
        return try search.run()
    }
}

/// The state of one search.
private final class Search: @unchecked Sendable {
    let scene: Scene
    let space: PlacementSearchSpace
    let threads: Int
    let progress: (@Sendable (PlacementSearch.Event) -> Void)?
    let grid: WaveGrid
    let duration: Double
    let current: StereoLayout
    let earHeight: Double
    var runsDone = 0, runsPlanned = 0

    init(scene: Scene, space: PlacementSearchSpace, threads: Int, progress: (@Sendable (PlacementSearch.Event) -> Void)?) throws {
        guard let layout = scene.stereoLayout, scene.speakers.count == 2 else {
            throw SceneError.invalid(path: "speakers.layout", reason: "optimize places a \"stereo\" layout; this room lists its speakers")
        }
        self.scene = scene
        self.space = space
        self.threads = threads
        self.progress = progress
        earHeight = scene.listener.position.z
        var cur = layout
        cur.listenerDistance = scene.speakers[0].position.distance(to: scene.listener.position)
        cur.earHeight = earHeight
        cur.centerX = layout.centerX ?? (scene.boundary.minCorner.x + scene.boundary.maxCorner.x) / 2
        current = cur
        grid = WaveGrid(scene: scene, spacing: BassMap.spacing(speedOfSound: scene.air.speedOfSound), crossover: BassMap.crossover)
        // The steady state needs the low-frequency decay: the room's own duration, at most 2 s.
        duration = min(2, scene.resolve(threads: threads).durationSeconds)
    }

    // MARK: Grids

    static func values(_ range: ClosedRange<Double>?, current: Double, step: Double) -> [Double] {
        guard let r = range else { return [current] }
        if r.upperBound - r.lowerBound < 1e-9 { return [r.lowerBound] }
        let n = max(1, Int(((r.upperBound - r.lowerBound) / step).rounded(.up)))
        return (0...n).map { r.lowerBound + (r.upperBound - r.lowerBound) * Double($0) / Double(n) }
    }

    func frontY(_ cx: Double, _ z: Double) -> Double? { scene.boundary.frontY(x: cx, z: z) }

    /// Whether a speaker may stand at `p`.
    func speakerAllowed(_ p: Vec3) -> Bool {
        // (1 µm of slack: a speaker exactly at the clearance is allowed.)
        guard scene.boundary.contains(p), scene.boundary.nearestFace(to: p).distance >= space.wallClearance - 1e-6 else { return false }
        return !scene.objects.contains { $0.contains(p) || $0.distance(to: p) < space.objectClearance - 1e-6 }
    }

    /// Whether the listener's ears may be at `p`.
    func seatAllowed(_ p: Vec3) -> Bool {
        scene.boundary.contains(p) && scene.boundary.nearestFace(to: p).distance >= SceneBuilder.minimumClearance
            && !scene.objects.contains { $0.contains(p) }
    }

    /// The seat at `distance` from the front wall on the centre line `cx`.
    func seatPosition(cx: Double, distance: Double) -> Vec3? {
        frontY(cx, earHeight).map { Vec3(cx, $0 - distance, earHeight) }
    }

    // MARK: Wave runs

    /// The recordings of one seat: the seat's own (with early spectra) and the listening area's.
    struct SeatRecording {
        let seat: Vec3
        let centre: BassMap
        let area: [BassMap]
        let index: [Vec3: Int]
    }

    func record(seat: Vec3, positions: [Vec3], area: Bool) -> SeatRecording {
        var unique: [Vec3] = [], index: [Vec3: Int] = [:]
        for p in positions where index[p] == nil { index[p] = unique.count; unique.append(p) }
        let centre = wave(from: seat, to: unique, early: true)
        var around: [BassMap] = []
        if area && space.area > 0 {
            let a = space.area
            for offset in [Vec3(a, 0, 0), Vec3(-a, 0, 0), Vec3(0, a, 0), Vec3(0, -a, 0)] where seatAllowed(seat + offset) {
                around.append(wave(from: seat + offset, to: unique, early: false))
            }
        }
        return SeatRecording(seat: seat, centre: centre, area: around, index: index)
    }

    func wave(from source: Vec3, to positions: [Vec3], early: Bool) -> BassMap {
        let map = BassMap.compute(grid: grid, speedOfSound: scene.air.speedOfSound, seat: source, positions: positions,
                                  durationSeconds: duration, early: early,
                                  highpass: scene.simulation.highpassHertz, threads: threads)
        runsDone += 1
        progress?(.waveRun(done: runsDone, total: max(runsPlanned, runsDone)))
        return map
    }

    // MARK: Terms

    /// The bass terms of L at `l` and R at `r` from one seat's recordings.
    static func bassTerms(_ rec: SeatRecording, l: Vec3, r: Vec3) -> [Objective.Term: Double] {
        let i = rec.index[l]!, j = rec.index[r]!
        let f = rec.centre.frequencies
        let sum = BassMap.levels(adding:_:)
        let long = sum(rec.centre.spectra[i], rec.centre.spectra[j])
        var terms: [Objective.Term: Double] = [.bassModal: BassMap.deviation(long, frequencies: f)]
        if let early = rec.centre.early { terms[.bassEarly] = BassMap.deviation(sum(early[i], early[j]), frequencies: f) }
        if !rec.area.isEmpty {
            let all = [long] + rec.area.map { sum($0.spectra[i], $0.spectra[j]) }
            terms[.area] = BassMap.meanSpatialVariance(levels: all).squareRoot()
        }
        return terms
    }

    /// The early-reflection terms of a placed scene (nil when a direct sound is blocked).
    static func earlyTerms(_ placed: Scene) -> [Objective.Term: Double]? {
        guard let a = EarlyPattern.compute(scene: placed, speaker: 0), let b = EarlyPattern.compute(scene: placed, speaker: 1) else { return nil }
        return [.reflection: max(a.strongestDB, b.strongestDB, -60),
                .symmetry: 10 * EarlyPattern.asymmetry(a, mirrored: b),
                .imaging: -(a.directToEarlyDB + b.directToEarlyDB) / 2]
    }

    // MARK: The search

    struct Layout: Hashable { var cx, spacing, front, height: Double }

    func layouts(spacing: [Double], front: [Double], height: [Double], cx: [Double]) -> [(Layout, Vec3, Vec3)] {
        var out: [(Layout, Vec3, Vec3)] = []
        for c in cx { for h in height { for s in spacing { for f in front {
            let layout = StereoLayout(spacing: s, frontWallDistance: f, height: h, centerX: c)
            guard let placed = try? layout.place(in: scene.boundary), speakerAllowed(placed.left), speakerAllowed(placed.right) else { continue }
            out.append((Layout(cx: c, spacing: s, front: f, height: h), placed.left, placed.right))
        } } } }
        return out
    }

    /// Candidates of `layouts` × `toes` at a seat that meet the distance and angle constraints.
    func candidates(_ layouts: [(Layout, Vec3, Vec3)], toes: [Double?], seat: Vec3, seatDistance: Double, stage: String) -> [PlacementCandidate] {
        var out: [PlacementCandidate] = []
        for (l, left, right) in layouts where abs(l.cx - seat.x) < 1e-9 && left.y > seat.y + SceneBuilder.minimumClearance {
            let d = left.distance(to: seat)
            let angle = StereoLayout.stereoAngle(left: left, right: right, listener: seat)
            guard (space.listenerDistance ?? 0...1e9).contains(d), space.stereoAngle.contains(angle) else { continue }
            for t in toes {
                let layout = StereoLayout(spacing: l.spacing, frontWallDistance: l.front, listenerDistance: d, height: l.height, toeIn: t,
                                          centerX: l.cx, earHeight: earHeight, directivity: current.directivity)
                out.append(PlacementCandidate(layout: layout, left: left, right: right, seat: seat, seatDistance: seatDistance,
                                              stereoAngle: angle, terms: [:], cost: .infinity, stage: stage))
            }
        }
        return out
    }

    /// Scores `candidates` against `recording` (in parallel; each writes its own slot).
    func score(_ candidates: inout [PlacementCandidate], _ recording: SeatRecording) {
        let objective = space.goal, base = scene
        candidates.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let buffer = buffer
            parallelFor(buffer.count, threads: threads) { i in
                var c = buffer[i]
                var terms = Search.bassTerms(recording, l: c.left, r: c.right)
                // The current placement is scored where it is (its listener may stand off the centre line).
                let placed = c.stage == "current" ? base : try? base.placing(c.layout)
                if let placed, let early = Search.earlyTerms(placed) {
                    terms.merge(early) { $1 }
                    c.terms = terms
                    c.cost = objective.cost(terms)
                } else {
                    c.terms = terms
                    c.cost = .infinity
                }
                buffer[i] = c
            }
        }
    }

    func run() throws -> PlacementSearchResult {
        let step = space.step
        let cx0 = current.centerX!
        let spacing = Search.values(space.spacing, current: current.spacing, step: step)
        let front = Search.values(space.frontWallDistance, current: current.frontWallDistance, step: step)
        let height = Search.values(space.height, current: current.height, step: step)
        let cxs = Search.values(space.centerX, current: cx0, step: step)
        let toes: [Double?] = space.toeIn.map { Search.values($0, current: 0, step: step * 50) } ?? [current.toeIn]
        // Absurd searches are refused with their size before any work: each seat costs a wave run
        // and each layout × seat × toe-in two image-source runs.
        let seatCount0 = space.seat == nil ? 1 : space.seats
        let runs = cxs.count * seatCount0, placements = Double(spacing.count * front.count * height.count * toes.count) * Double(runs)
        guard runs <= PlacementSearch.maximumSeatRuns, placements <= PlacementSearch.maximumPlacements else {
            throw SceneError.invalid(path: "optimize.step", reason: String(format:
                "the ranges at a %.2f m step give %d seats (each one wave run; at most %d) and about %.1e placements (at most %.0e); widen the step or narrow the ranges",
                step, runs, PlacementSearch.maximumSeatRuns, placements, PlacementSearch.maximumPlacements))
        }
        let coarse = layouts(spacing: spacing, front: front, height: height, cx: cxs)
        guard !coarse.isEmpty else {
            throw SceneError.invalid(path: "optimize.constraints.wallClearance",
                                     reason: "no speaker position in the ranges keeps \(format(space.wallClearance)) m from the walls and \(format(space.objectClearance)) m from objects")
        }
        let seatRange = space.seat ?? (0...0)
        let seatCount = space.seat == nil ? 1 : space.seats
        var seats: [(Vec3, Double)] = []
        for c in cxs {
            for k in 0..<seatCount {
                let g = seatCount == 1 ? (seatRange.lowerBound + seatRange.upperBound) / 2
                    : seatRange.lowerBound + (seatRange.upperBound - seatRange.lowerBound) * Double(k) / Double(seatCount - 1)
                if let p = seatPosition(cx: c, distance: g), seatAllowed(p) { seats.append((p, g)) }
            }
        }
        guard !seats.isEmpty else {
            throw SceneError.invalid(path: "optimize.listener.frontWallDistance", reason: "no seat in the range lies in the room's free air")
        }
        let areaRuns = space.area > 0 ? 5 : 1
        runsPlanned = seats.count + (PlacementSearch.refinedSeats + 1) * areaRuns + 3

        // The current placement, scored with every term.
        let currentPlaced = try current.place(in: scene.boundary)
        let currentSeat = scene.listener.position
        let currentDistance = (frontY(cx0, earHeight) ?? currentSeat.y) - currentSeat.y
        let currentRecording = record(seat: currentSeat, positions: [currentPlaced.left, currentPlaced.right], area: true)
        var currentCandidate = [PlacementCandidate(layout: current, left: currentPlaced.left, right: currentPlaced.right, seat: currentSeat,
                                                   seatDistance: currentDistance,
                                                   stereoAngle: StereoLayout.stereoAngle(left: currentPlaced.left, right: currentPlaced.right, listener: currentSeat),
                                                   terms: [:], cost: .infinity, stage: "current")]
        score(&currentCandidate, currentRecording)

        // Stage 1: every seat × every layout, without the area term.
        var screened: [PlacementCandidate] = []
        var noArea = space
        noArea.goal.weights[.area] = 0
        let coarsePositions = coarse.flatMap { [$0.1, $0.2] }
        for (seat, g) in seats {
            var batch = candidates(coarse, toes: toes, seat: seat, seatDistance: g, stage: "grid")
            guard !batch.isEmpty else { runsDone += 1; continue }
            let rec = record(seat: seat, positions: coarsePositions, area: false)
            score(&batch, rec)
            for i in batch.indices { batch[i].cost = noArea.goal.cost(batch[i].terms) }
            screened += batch
        }
        guard screened.contains(where: { $0.cost.isFinite }) else {
            let distances = space.listenerDistance ?? 0...0
            throw SceneError.invalid(path: "optimize.constraints.stereoAngle",
                                     reason: "no placement in the ranges meets the stereo angle \(format(space.stereoAngle.lowerBound))–\(format(space.stereoAngle.upperBound))° and listener distance \(format(distances.lowerBound))–\(format(distances.upperBound)) m")
        }

        // Stage 2: around the best layout of each of the best seats, a third of the step, every term.
        var seeds: [PlacementCandidate] = []
        for c in screened.filter({ $0.cost.isFinite }).sorted(by: Search.order) where !seeds.contains(where: { $0.seat == c.seat }) {
            seeds.append(c)
            if seeds.count == PlacementSearch.refinedSeats { break }
        }
        runsPlanned = runsDone + seeds.count * areaRuns + 3
        var refined: [PlacementCandidate] = []
        for seed in seeds {
            let l = seed.layout
            func around(_ v: Double, _ r: ClosedRange<Double>?, _ s: Double) -> [Double] {
                guard let r else { return [v] }
                return (-3...3).map { v + s * Double($0) / 3 }.filter { r.contains($0) }
            }
            let fine = layouts(spacing: around(l.spacing, space.spacing, step), front: around(l.frontWallDistance, space.frontWallDistance, step),
                               height: around(l.height, space.height, step), cx: [l.centerX!])
            let fineToes: [Double?] = space.toeIn.map { r in around(l.toeIn ?? 0, r, step * 50) } ?? [l.toeIn]
            var batch = candidates(fine, toes: fineToes, seat: seed.seat, seatDistance: seed.seatDistance, stage: "refined")
            let rec = record(seat: seed.seat, positions: fine.flatMap { [$0.1, $0.2] }, area: true)
            score(&batch, rec)
            refined += batch
        }
        let ranked = (currentCandidate + refined).filter { $0.cost.isFinite }.sorted(by: Search.order)
        guard let best = ranked.first else {
            throw SceneError.invalid(path: "optimize", reason: "no placement could be scored (every direct sound is blocked)")
        }

        let placementMap = leftSpeakerMap(best: best)
        let seatMap = seatMapOf(best: best)
        return PlacementSearchResult(space: space, current: currentCandidate[0], candidates: currentCandidate + screened + refined, ranked: ranked,
                                     placementMap: placementMap, seatMap: seatMap, waveRuns: runsDone)
    }

    /// Lower cost first; ties by the layout's numbers (a total order: the result does not depend on
    /// the order candidates were scored in).
    static func order(_ a: PlacementCandidate, _ b: PlacementCandidate) -> Bool {
        if a.cost != b.cost { return a.cost < b.cost }
        let x = [a.seatDistance, a.layout.spacing, a.layout.frontWallDistance, a.layout.height, a.layout.toeIn ?? 0]
        let y = [b.seatDistance, b.layout.spacing, b.layout.frontWallDistance, b.layout.height, b.layout.toeIn ?? 0]
        return x.lexicographicallyPrecedes(y)
    }

    /// Map step: the search step, at least 0.15 m (each point is a recorded position and two image-source runs).
    var mapStep: Double { max(0.15, space.step) }

    /// The objective (without the area term) with L at each floor point of the room's left half at
    /// the best height, R mirrored, the listener at the best seat.
    func leftSpeakerMap(best: PlacementCandidate) -> PlacementMap {
        let lo = scene.boundary.minCorner, hi = scene.boundary.maxCorner
        let cx = best.layout.centerX!, h = best.layout.height
        let xs = Array(stride(from: lo.x + mapStep / 2, through: cx - mapStep / 2, by: mapStep))
        let ys = Array(stride(from: best.seat.y + 0.5, through: hi.y - mapStep / 2, by: mapStep))
        var allowed: [(Int, Int, Vec3, Vec3)] = []
        for (r, y) in ys.enumerated() { for (c, x) in xs.enumerated() {
            let l = Vec3(x, y, h), m = Vec3(2 * cx - x, y, h)
            if speakerAllowed(l) && speakerAllowed(m) { allowed.append((r, c, l, m)) }
        } }
        let points = allowed
        let rec = record(seat: best.seat, positions: points.flatMap { [$0.2, $0.3] }, area: false)
        var cost = [[Double?]](repeating: [Double?](repeating: nil, count: xs.count), count: ys.count)
        let values = mapCosts(points.count) { i in
            let (_, _, l, m) = points[i]
            var scene = self.scene
            scene.speakers[0].position = l; scene.speakers[1].position = m
            for k in 0..<2 {
                scene.speakers[k].orientation = best.layout.toeIn.map { StereoLayout.toeInOrientation(position: scene.speakers[k].position, toeIn: $0, centreX: cx) }
                    ?? Orientation(facing: best.seat - scene.speakers[k].position)
            }
            scene.listener.position = best.seat
            return (Search.bassTerms(rec, l: l, r: m), scene)
        }
        for (i, p) in points.enumerated() { cost[p.0][p.1] = values[i] }
        return PlacementMap(xs: xs, ys: ys, cost: cost, subject: "left speaker", terms: space.goal.activeTerms.filter { $0 != .area })
    }

    /// The objective (without the area term) with the listener at each floor point at ear height at
    /// least 0.3 m behind the speakers, the speakers where the best placement puts them.
    func seatMapOf(best: PlacementCandidate) -> PlacementMap {
        let lo = scene.boundary.minCorner, hi = scene.boundary.maxCorner
        let xs = Array(stride(from: lo.x + mapStep / 2, through: hi.x - mapStep / 2, by: mapStep))
        let ys = Array(stride(from: lo.y + mapStep / 2, through: min(best.left.y, best.right.y) - 0.3, by: mapStep))
        var allowed: [(Int, Int, Vec3)] = []
        for (r, y) in ys.enumerated() { for (c, x) in xs.enumerated() {
            let p = Vec3(x, y, earHeight)
            if seatAllowed(p) { allowed.append((r, c, p)) }
        } }
        let points = allowed
        let seats = points.map(\.2)
        // Reciprocity the other way: a run from each speaker records every seat.
        let fromLeft = wave(from: best.left, to: seats, early: true), fromRight = wave(from: best.right, to: seats, early: true)
        let placedBest = (try? scene.placing(best.layout)) ?? scene
        let values = mapCosts(points.count) { i in
            let f = fromLeft.frequencies
            let long = BassMap.levels(adding: fromLeft.spectra[i], fromRight.spectra[i])
            let early = BassMap.levels(adding: fromLeft.early![i], fromRight.early![i])
            var scene = placedBest
            scene.listener.position = seats[i]
            return ([.bassModal: BassMap.deviation(long, frequencies: f), .bassEarly: BassMap.deviation(early, frequencies: f)], scene)
        }
        var cost = [[Double?]](repeating: [Double?](repeating: nil, count: xs.count), count: ys.count)
        for (i, p) in points.enumerated() { cost[p.0][p.1] = values[i] }
        return PlacementMap(xs: xs, ys: ys, cost: cost, subject: "seat", terms: space.goal.activeTerms.filter { $0 != .area })
    }

    /// The cost (without the area term) of `count` points, each given by its bass terms and scene.
    func mapCosts(_ count: Int, _ point: @escaping @Sendable (Int) -> ([Objective.Term: Double], Scene)) -> [Double?] {
        var withoutArea = space.goal
        withoutArea.weights[.area] = 0
        let objective = withoutArea
        var out = [Double?](repeating: nil, count: count)
        out.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let buffer = buffer
            parallelFor(count, threads: threads) { i in
                var (terms, scene) = point(i)
                guard let early = Search.earlyTerms(scene) else { return }
                terms.merge(early) { $1 }
                buffer[i] = objective.cost(terms)
            }
        }
        return out
    }
}
