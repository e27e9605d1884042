import ArgumentParser
import Foundation
import Soundstage

struct Optimize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search speaker and seat placements of a stereo room and report the best, with why.",
        discussion: """
        The search space is the room file's "optimize" block (SPEC §7), overridden by the flags below; \
        ranges are MIN:MAX or one value. The objective's terms: bassModal and bassEarly (σ of the 1/6-octave \
        smoothed 20–300 Hz level of L+R at the seat, long-term and first 30 ms, as RPG's optimizer), area \
        (√ mean spatial variance over ±0.3 m, Welti & Devantier), reflection (strongest within 20 ms, dB \
        re direct), symmetry (left/right early-pattern asymmetry × 10) and imaging (−direct-to-early dB); \
        width and envelopment are printed for each reported placement, not weighted. Goal presets flat-bass, imaging, balanced (default) or TERM=W,… weights. Writes \
        DIR/<name>/optimize/: candidates.json, best.json (a room file), placement-map.png, seat-map.png, \
        bass.png (current vs best, both ears, from full simulations unless --no-check), and with --render \
        the current and the best render of MUSIC, loudness-matched for A/B. The full simulations print \
        their own bass σ beside the search's: they agree where the room's wave part reaches 300 Hz; above \
        its crossover a full simulation is geometric and has no modes.
        """)

    @Argument(help: "Room file (JSON) with a stereo layout.") var room: String
    @OptionGroup var output: OutputOptions
    @Option(help: "Goal: flat-bass, imaging, balanced, or weights such as bassModal=1,area=0.5.") var goal: String?
    @Option(help: "Speaker spacing range in m (MIN:MAX).") var spacing: String?
    @Option(help: "Front-wall distance range in m.") var frontWallDistance: String?
    @Option(help: "Speaker height range in m.") var height: String?
    @Option(help: "Toe-in range in degrees.") var toeIn: String?
    @Option(help: "Seat range: the ears' distance from the front wall in m.") var seat: String?
    @Option(help: "Stereo angle range in degrees.") var stereoAngle: String?
    @Option(help: "Ear-to-speaker distance range in m.") var listenerDistance: String?
    @Option(parsing: .unconditional, help: "Grid step in m.") var step: Double?
    @Option(parsing: .unconditional, help: "Seats tried.") var seats: Int?
    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).") var threads: Int?
    @Option(help: "Music file: also render it through the current and the best placement, loudness-matched.") var render: String?
    @Flag(help: "Skip the best placement's full simulation (no bass.png, no check line).") var noCheck = false

    func run() throws {
        let start = Date()
        let scene = try loadRoom(room)
        var space: PlacementSearchSpace
        do { space = try PlacementSearchSpace.defaults(for: scene) } catch let e as SceneError { throw InputError(file: room, reason: e.description) }
        try applyFlags(&space)
        let threadCount = threads ?? defaultThreadCount
        guard (1...1024).contains(threadCount) else { throw OptionError(option: "--threads", reason: "must be 1 to 1024") }
        if let render, !FileManager.default.fileExists(atPath: render) { throw InputError(file: render, reason: "no such file") }
        note("\(scene.name): searching \(describe(space)), goal \(space.goal.preset ?? "custom")")
        let bar = ProgressBar("optimize", total: 1) { _ in "" }
        var result: PlacementSearchResult
        do {
            result = try PlacementSearch.run(scene: scene, space: space, threads: threadCount) { event in
                if case .waveRun(let done, let total) = event { bar.update(Double(done) / Double(total)) }
            }
        } catch let e as SceneError {
            bar.finish()
            throw InputError(file: room, reason: e.description)
        }
        bar.finish()
        // The soundstage figures of the reported placements share the current placement's full simulation.
        var options = SimulationOptions()
        if let threads { options.threads = threads }
        let simulator = try makeSimulator(scene, options: options)
        note("\(scene.name): full simulation of the current placement (\(simulator.plan.maxOrderNote)); width and envelopment of the reported placements")
        let currentSimulation = try simulator.run()
        if let binaural = try simulator.loadHRTF() {
            result = PlacementSearch.attachFigures(result, simulator: simulator, current: currentSimulation, binaural: binaural, threads: threadCount)
        }
        let seconds = Date().timeIntervalSince(start)
        let folder = (OutputFolder(outDir: output.outDir, roomName: scene.name).path as NSString).appendingPathComponent(OptimizeOutput.folderName)
        // The set is staged and published whole at the end: a failure leaves the previous set.
        let files = try StagedFiles(folder: folder)
        let candidates = try OptimizeOutput.candidatesJSON(result, room: scene.name)
        let best = try OptimizeOutput.bestRoomFile(roomPath: room, best: result.best)
        try files.write("candidates.json") { try AtomicFile.write(candidates, to: $0) }
        try files.write("best.json") { try AtomicFile.write(best, to: $0) }
        for (name, image) in OptimizeOutput.maps(result, scene: scene).sorted(by: { $0.key < $1.key }) { try files.write(name) { try image.write(to: $0) } }
        print(table(result))
        print(String(format: "%d placements scored in %.1f s (%d wave runs); the best lowers the cost by %.2f and the bass σ (L+R) from %.1f to %.1f dB.",
                     result.candidates.count, seconds, result.waveRuns, result.current.cost - result.best.cost,
                     result.current.terms[.bassModal] ?? .nan, result.best.terms[.bassModal] ?? .nan))
        if !noCheck || render != nil { try check(result, current: currentSimulation, bestRoom: best, files: files, options: options) }
        try files.publish()
        print("→ \(folder): " + files.names.joined(separator: ", "))
    }

    /// Full simulations of the current and the best placement: the bass plot, the search's terms
    /// against the simulation's, and the A/B renders.
    func check(_ result: PlacementSearchResult, current currentSimulation: RoomSimulation, bestRoom: Data, files: StagedFiles,
               options: SimulationOptions) throws {
        let current = currentSimulation.scene
        // best.json as written: loaded from its staged copy beside the others.
        let staged = FileManager.default.temporaryDirectory.appendingPathComponent("soundstage-best-\(getpid()).json").path
        try AtomicFile.write(bestRoom, to: staged)
        defer { unlink(staged) }
        let bestScene = try loadRoom(staged)
        let simulator = try makeSimulator(bestScene, options: options)
        note("\(bestScene.name): full simulation (\(simulator.plan.maxOrderNote))")
        let simulations = [currentSimulation, try simulator.run()]
        func ears(_ s: RoomSimulation, _ ear: Int) -> [Float] {
            let channels = s.speakers.compactMap { $0.brir?.audio.channels[ear] }
            let n = channels.map(\.count).max() ?? 0
            return (0..<n).map { i in channels.reduce(Float(0)) { $0 + (i < $1.count ? $1[i] : 0) } }
        }
        let rate = simulations[0].plan.sampleRate
        let image = Plots.bass([("current, left ear", ears(simulations[0], 0)), ("current, right ear", ears(simulations[0], 1)),
                                ("best, left ear", ears(simulations[1], 0)), ("best, right ear", ears(simulations[1], 1))],
                               sampleRate: rate, title: "\(current.name): L+R at the seat, current vs best placement")
        try files.write("bass.png") { try image.write(to: $0) }
        for (label, s, c) in [("current", simulations[0], result.current), ("best", simulations[1], result.best)] {
            let sum = zip(s.speakers[0].deterministic, s.speakers[1].deterministic).map { $0 + $1 }
            let f = BassMap.logFrequencies(from: BassMap.lowest, to: BassMap.highest, perOctave: 48)
            let sigma = BassMap.deviation(BassMap.levels(impulseResponse: sum, sampleRate: Double(rate), at: f), frequencies: f)
            func both(_ v: (SoundstageFigures) -> Parameter, _ f: String) -> String {
                s.speakers.compactMap { $0.metrics.flatMap { v($0.soundstage).value } }.map { String(format: f, $0) }.joined(separator: "/")
            }
            func estimate(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "–" }
            let crossover = s.wavePlan.flatMap { $0.enabled ? String(format: "wave part to %.0f Hz", $0.crossover) : nil } ?? "no wave part"
            print(String(format: "  %@, full simulation (%@): bass σ (L+R) %.1f dB (search %.1f dB), width L/R %@ (search %@), envelopment %@ (search %@), imaging %@",
                         label, crossover, sigma, c.terms[.bassModal] ?? .nan,
                         both(\.width, "%.2f"), estimate(c.figures?.width), both(\.envelopment, "%.2f"), estimate(c.figures?.envelopment),
                         both(\.imaging, "%.1f dB")))
        }
        guard let music = render else { return }
        let base = URL(fileURLWithPath: music).deletingPathExtension().lastPathComponent
        let probe = try AudioFileReader(music)
        for (label, scene) in [("current", current), ("best", bestScene)] {
            var o = options
            o.sampleRate = probe.sampleRate
            let simulator = try makeSimulator(scene, options: o)
            let brirs = simulator.plan.sampleRate == rate ? simulations[label == "current" ? 0 : 1].speakers.compactMap(\.brir)
                                                          : try simulator.run().speakers.compactMap(\.brir)
            let name = "render-\(base)-\(label).wav"
            var report: RenderReport?
            try files.write(name) { target in
                report = try Renderer.render(input: music, output: target, speakers: simulator.scene.speakers, brirs: brirs.map(\.audio), eq: nil,
                                             level: .loudness(lufs: -16, truePeakCeiling: -1), threads: o.threads)
            }
            print(String(format: "  %@: %.1f LUFS → %@", label, report!.integratedLUFS, files.path(name)))
        }
    }

    func applyFlags(_ space: inout PlacementSearchSpace) throws {
        func range(_ s: String?, _ option: String, _ bounds: ClosedRange<Double>) throws -> ClosedRange<Double>? {
            guard let s else { return nil }
            let parts = s.split(separator: ":", omittingEmptySubsequences: false).map { Double($0) }
            guard (1...2).contains(parts.count), parts.allSatisfy({ $0 != nil && $0!.isFinite }) else {
                throw OptionError(option: option, reason: "expected MIN:MAX or one number, got '\(s)'")
            }
            let lo = parts[0]!, hi = parts.last!!
            guard bounds.contains(lo), bounds.contains(hi) else {
                throw OptionError(option: option, reason: "must lie within \(format(bounds.lowerBound))…\(format(bounds.upperBound))")
            }
            guard lo <= hi else { throw OptionError(option: option, reason: "empty range: \(format(lo)) is above \(format(hi))") }
            return lo...hi
        }
        if let r = try range(spacing, "--spacing", 0.2...100) { space.spacing = r }
        if let r = try range(frontWallDistance, "--front-wall-distance", 0.01...500) { space.frontWallDistance = r }
        if let r = try range(height, "--height", 0.05...100) { space.height = r }
        if let r = try range(toeIn, "--toe-in", -90...90) { space.toeIn = r }
        if let r = try range(seat, "--seat", 0.1...500) { space.seat = r }
        if let r = try range(stereoAngle, "--stereo-angle", 1...179) { space.stereoAngle = r }
        if let r = try range(listenerDistance, "--listener-distance", 0.2...500) { space.listenerDistance = r }
        if let step {
            guard (0.02...1).contains(step) else { throw OptionError(option: "--step", reason: "must be 0.02 to 1 m") }
            space.step = step
        }
        if let seats {
            guard (1...40).contains(seats) else { throw OptionError(option: "--seats", reason: "must be 1 to 40") }
            space.seats = seats
        }
        if let goal {
            if let preset = Objective.presets[goal] { space.goal = preset } else {
                var weights: [Objective.Term: Double] = [:]
                for item in goal.split(separator: ",") {
                    let kv = item.split(separator: "=")
                    guard kv.count == 2, let term = Objective.Term(rawValue: String(kv[0])), let w = Double(kv[1]), (0...100).contains(w) else {
                        throw OptionError(option: "--goal", reason: "expected \(Objective.presets.keys.sorted().joined(separator: ", ")) or TERM=WEIGHT,… with terms \(Objective.Term.allCases.map(\.rawValue).joined(separator: ", ")); got '\(item)'")
                    }
                    weights[term] = w
                }
                guard weights.values.contains(where: { $0 > 0 }) else { throw OptionError(option: "--goal", reason: "at least one weight must be above 0") }
                space.goal = Objective(weights: weights)
            }
        }
    }

    func describe(_ s: PlacementSearchSpace) -> String {
        func r(_ x: ClosedRange<Double>?, _ unit: String) -> String {
            guard let x else { return "as now" }
            return x.lowerBound == x.upperBound ? "\(format(x.lowerBound)) \(unit)" : "\(format(x.lowerBound))–\(format(x.upperBound)) \(unit)"
        }
        return "spacing \(r(s.spacing, "m")), front wall \(r(s.frontWallDistance, "m")), height \(r(s.height, "m")), toe-in \(r(s.toeIn, "°")), seat \(r(s.seat, "m")) from the front wall (\(s.seats) seats), step \(format(s.step)) m"
    }

    /// The ranked table: the current placement, then the ten best, with every term.
    func table(_ result: PlacementSearchResult) -> String {
        let terms = Objective.Term.allCases
        // Right-aligned columns (Foundation's %@ ignores field widths, so padding is done here).
        func row(_ first: String, _ cells: [String]) -> String {
            first.padding(toLength: 10, withPad: " ", startingAt: 0)
                + cells.map { String(repeating: " ", count: max(0, 8 - $0.count)) + $0 }.joined()
        }
        var lines = [row("rank", ["spacing", "front", "seat", "dist", "angle", "h", "toe"] + terms.map(\.header) + ["cost", "width", "envel"])]
        // The current placement is also ranked among the others: "(now)" marks where it falls.
        let rows = [("current", result.current)] + result.ranked.prefix(10).enumerated().map {
            ("\($0.offset + 1)" + ($0.element.stage == "current" ? " (now)" : ""), $0.element)
        }
        for (rank, c) in rows {
            let l = c.layout
            func f(_ v: Double) -> String { String(format: "%.2f", v) }
            var cells = [f(l.spacing), f(l.frontWallDistance), f(c.seatDistance), f(l.listenerDistance ?? 0), String(format: "%.0f°", c.stereoAngle),
                         f(l.height), l.toeIn.map { String(format: "%.0f°", $0) } ?? "aim"]
            cells += terms.map { t in c.terms[t].map(f) ?? "–" }
            cells.append(f(c.cost))
            cells += [c.figures?.width, c.figures?.envelopment].map { $0.map(f) ?? "–" }
            lines.append(row(rank, cells))
        }
        lines.append("spacing, front (front-wall distance), seat (ears from the front wall), dist (ear to speaker), h: metres; angle: the pair at the ears; terms: dB or dB-like, lower is better; width (1 − IACC_E3) and envel (late lateral fraction): not in the cost, higher is wider / more enveloping")
        return lines.joined(separator: "\n")
    }
}
