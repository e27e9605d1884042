// soundstage-bench: speed and memory figures for `make bench` (release build). Not a test:
// it prints numbers and asserts nothing.
import Foundation
import Soundstage

func peakMemoryMiB() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024 // Linux reports KiB
}

func shoebox(width: Double, length: Double, height: Double, alpha: Double, duration: Double,
             speaker: [Double], listener: [Double], air: Bool = false) throws -> Scene {
    try RoomFile.parse("""
    {"name": "bench", "room": {"shoebox": {"width": \(width), "length": \(length), "height": \(height)}},
     "surfaces": {"all": {"absorption": \(alpha)}},
     "speakers": [{"name": "S", "position": \(speaker), "directivity": "omni"}],
     "listener": {"position": \(listener)},
     "simulation": {"sampleRate": 48000, "duration": \(duration), "airAbsorption": \(air), "highpass": 0, "rays": 0, "wave": false}}
    """)
}

/// Image sources through the façade's propagation and synthesis stages (omni RIR), best of `repeats`.
func measure(_ label: String, _ scene: Scene, threads: Int, repeats: Int = 3) throws {
    let simulator = try Simulator(scene: scene, options: SimulationOptions(threads: threads, reflectionsOrder: 0), binaural: false)
    let plan = simulator.plan
    var best = Double.infinity
    var result: ImageSourceResult?
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        result = simulator.synthesize(simulator.propagate(speaker: 0), speaker: 0, binaural: nil).propagation.imageSources
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    let r = result!
    print(String(format: "%-46@ %2d thr  %10d images  %7.3f s  %8.2f M images/s  order %@",
                 label as NSString, threads, r.imageCount, best, Double(r.imageCount) / best / 1e6,
                 (plan.maxOrder == Int.max ? "all" : String(plan.maxOrder)) as NSString))
}

/// The image-source stage alone (propagation and the omni synthesis, no metrics) with the arrivals
/// placed per band by the sample-rate kernel, on the finer grid, or whichever `ArrivalGrid.pays`
/// picks; best of `repeats`.
func measurePlacement(_ label: String, _ scene: Scene, threads: Int, repeats: Int = 3) {
    var line = String(format: "%-46@ %2d thr", label as NSString, threads)
    for (name, grid) in [("kernel", false as Bool?), ("grid", true), ("auto", nil)] {
        var plan = scene.resolve(threads: threads, detailOrder: 0)
        plan.arrivalGrid = grid
        plan.tallyEnergy = false
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            let r = ImageSourceEngine.run(scene: scene, speakerIndex: 0, plan: plan)
            _ = ImpulseSynthesis.omni(r, scene: scene, plan: plan)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        line += String(format: "  %@ %.3f s", name as NSString, best)
    }
    print(line)
}

// `SoundstageBench hybrid ROOM.json`: the in-process time of the hybrid simulation of the room's first
// speaker (best of 3), as JSON for scripts/peers_rays.py, which times pyroomacoustics in-process too.
if CommandLine.arguments.count == 3 && CommandLine.arguments[1] == "hybrid" {
    let scene = try RoomFile.load(path: CommandLine.arguments[2])
    let simulator = try Simulator(scene: scene, options: SimulationOptions(reflectionsOrder: 0), binaural: false)
    let plan = simulator.plan
    var best = Double.infinity, reflections = 0
    for _ in 0..<3 {
        let start = DispatchTime.now().uptimeNanoseconds
        let r = simulator.synthesize(simulator.propagate(speaker: 0), speaker: 0, binaural: nil)
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        reflections = r.propagation.rays?.reflections ?? 0
    }
    var tracing = Double.infinity
    for _ in 0..<3 {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = RayTracer.run(scene: scene, speakerIndex: 0, plan: plan)
        tracing = min(tracing, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    print("{\"seconds\": \(best), \"tracing\": \(tracing), \"rays\": \(plan.rays), \"reflections\": \(reflections), \"peakMiB\": \(peakMemoryMiB())}")
    exit(0)
}

// `SoundstageBench render [MINUTES [REPEATS]]`: the rendering benchmark alone (for profiling).
// `SoundstageBench wave`: the wave solver's benchmark alone. `SoundstageBench bass-map`: the bass map's.
// `SoundstageBench optimize`: the placement search's. `SoundstageBench images`: the image sources'.
if CommandLine.arguments.count == 2 && CommandLine.arguments[1] == "wave" {
    try waveBenchmark()
    exit(0)
}
if CommandLine.arguments.count == 2 && CommandLine.arguments[1] == "bass-map" {
    try bassMapBenchmark()
    exit(0)
}
if CommandLine.arguments.count == 2 && CommandLine.arguments[1] == "optimize" {
    try optimizeBenchmark()
    exit(0)
}

/// Head-tracked SOFA sets: one orientation against the default 91 (yaw −90…90° in 2°), the whole
/// library path of `export --format sofa` (simulation and synthesis; the file write timed apart).
func orientationBenchmark(rooms: [String]) throws {
    for room in rooms {
        let simulator = try Simulator(scene: try RoomFile.load(path: "rooms/\(room).json"))
        let binaural = try simulator.loadHRTF()!
        func time(_ orientations: [HeadOrientation]) -> (Double, [[AudioBuffer]]) {
            var best = Double.infinity, result: [[AudioBuffer]] = []
            for _ in 0..<2 {
                let start = Date()
                result = simulator.headOrientationBRIRs(orientations, binaural: binaural)
                best = min(best, Date().timeIntervalSince(start))
            }
            return (best, result)
        }
        let one = time([.straight]).0
        let grid = HeadOrientation.grid(yaw: try AngleRange(parsing: "-90:90:2"), pitch: try AngleRange(parsing: "0"))
        let (many, responses) = time(grid)
        let path = NSTemporaryDirectory() + "soundstage-bench-\(room).sofa"
        let start = Date()
        try SOFAFile.write(MultiSpeakerBRIRSet(scene: simulator.scene, sampleRate: simulator.plan.sampleRate, orientations: grid,
                                                              headRadius: binaural.headRadius, responses: responses, comment: "bench"), to: path)
        let write = Date().timeIntervalSince(start)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        try? FileManager.default.removeItem(atPath: path)
        print(String(format: "%@: 1 orientation %.2f s, %d orientations %.2f s (%.1f× one; target ≤ 10×), file %.0f MB written in %.2f s",
                     room as NSString, one, grid.count, many, many / one, Double(size) / 1e6, write))
    }
}

if CommandLine.arguments.count >= 2 && CommandLine.arguments[1] == "orientations" {
    try orientationBenchmark(rooms: CommandLine.arguments.count > 2 ? Array(CommandLine.arguments[2...]) : ["home-studio", "living-room"])
    exit(0)
}

if CommandLine.arguments.count >= 2 && CommandLine.arguments[1] == "studio" {
    for room in CommandLine.arguments.count > 2 ? Array(CommandLine.arguments[2...]) : ["home-studio", "living-room"] {
        try await StudioLatency.run(room: room)
    }
    exit(0)
}

if CommandLine.arguments.count >= 2 && CommandLine.arguments[1] == "render" {
    let arguments = CommandLine.arguments
    let minutes = arguments.count > 2 ? Double(arguments[2]) ?? 3 : 3
    try renderBenchmark(minutes: minutes, label: "\(minutes) min stereo, 2 speakers × 1 s BRIRs", repeats: arguments.count > 3 ? Int(arguments[3]) ?? 1 : 1)
    exit(0)
}

let threads = defaultThreadCount

/// Image sources per second in shoeboxes and one floor plan (`SoundstageBench images` alone).
func imageBenchmark() throws {
    print("Soundstage \(SoundstageVersion.string) image-source benchmark, \(threads) cores, best of 3")
    let small = try shoebox(width: 6, length: 4, height: 3, alpha: 0.2, duration: 1.0, speaker: [2, 3, 1.5], listener: [4, 1, 1.7])
    try measure("shoebox 6×4×3 m, α 0.2, 1 s, broadband", small, threads: 1)
    try measure("shoebox 6×4×3 m, α 0.2, 1 s, broadband", small, threads: threads)
    let smallAir = try shoebox(width: 6, length: 4, height: 3, alpha: 0.2, duration: 1.0, speaker: [2, 3, 1.5], listener: [4, 1, 1.7], air: true)
    try measure("shoebox 6×4×3 m, α 0.2, 1 s, 8 bands (air)", smallAir, threads: threads)
    let big = try shoebox(width: 12, length: 9, height: 5, alpha: 0.1, duration: 2.0, speaker: [3, 6, 1.5], listener: [7, 3, 1.7])
    try measure("shoebox 12×9×5 m, α 0.1, 2 s, broadband", big, threads: threads, repeats: 1)
    let lshape = try RoomFile.parse("""
    {"name": "bench-l", "room": {"floorPlan": {"points": [[0, 0], [6, 0], [6, 3.5], [3.5, 3.5], [3.5, 7], [0, 7]], "height": 2.7}},
     "surfaces": {"all": {"absorption": 0.2}}, "speakers": [{"name": "S", "position": [1.2, 5.5, 1.1], "directivity": "omni"}],
     "listener": {"position": [4.9, 1.3, 1.5]}, "simulation": {"duration": 0.5, "maxOrder": 6, "airAbsorption": false, "rays": 0, "wave": false}}
    """)
    try measure("L-shaped floor plan (8 surfaces), order 6", lshape, threads: threads, repeats: 1)
    print("arrivals placed by the sample-rate kernel, on the 2× grid, or as chosen by cost (RIR only):")
    measurePlacement("shoebox 6×4×3 m, α 0.2, 1 s, broadband", small, threads: threads)
    measurePlacement("shoebox 6×4×3 m, α 0.2, 1 s, 8 bands (air)", smallAir, threads: threads)
    measurePlacement("shoebox 12×9×5 m, α 0.1, 2 s, broadband", big, threads: threads)
    let batchLike = try shoebox(width: 5, length: 6.5, height: 3.2, alpha: 0.3, duration: 0.5, speaker: [1.5, 2, 1.4], listener: [3.6, 4.4, 1.2], air: true)
    measurePlacement("shoebox 5×6.5×3.2 m, α 0.3, 0.5 s, 8 bands (air)", batchLike, threads: 1)
    print(String(format: "peak memory (RSS) %.0f MiB", peakMemoryMiB()))
}

if CommandLine.arguments.count == 2 && CommandLine.arguments[1] == "images" {
    try imageBenchmark()
    exit(0)
}
try imageBenchmark()

// MARK: Ray tracing (issue #4): rays per second of the hybrid's tracer and the whole hybrid.
func rayBenchmark(_ label: String, _ json: String) throws {
    for rays in [10_000, 50_000] {
        let scene = try RoomFile.parse(json.replacingOccurrences(of: "RAYS", with: String(rays)))
        let simulator = try Simulator(scene: scene, options: SimulationOptions(reflectionsOrder: 0), binaural: false)
        let plan = simulator.plan
        var tracing = Double.infinity, whole = Double.infinity, reflections = 0
        for _ in 0..<3 {
            var start = DispatchTime.now().uptimeNanoseconds
            reflections = RayTracer.run(scene: scene, speakerIndex: 0, plan: plan).reflections
            tracing = min(tracing, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            start = DispatchTime.now().uptimeNanoseconds
            _ = simulator.synthesize(simulator.propagate(speaker: 0), speaker: 0, binaural: nil)
            whole = min(whole, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        print(String(format: "%-34@ %6d rays  tracing %6.3f s  %6.0f k rays/s  %5.1f M reflections/s   whole hybrid %6.3f s",
                     label as NSString, rays, tracing, Double(rays) / tracing / 1e3, Double(reflections) / tracing / 1e6, whole))
    }
}
print("\nRay tracing (hybrid: image sources to order 3, α 0.15, scattering 0.1, best of 3)")
try rayBenchmark("shoebox 6×4×3 m, 1 s", #"{"name": "b", "room": {"shoebox": {"width": 6, "length": 4, "height": 3}}, "surfaces": {"all": {"absorption": 0.15, "scattering": 0.1}}, "speakers": [{"name": "S", "position": [2, 3, 1.5], "directivity": "omni"}], "listener": {"position": [4, 1, 1.7]}, "simulation": {"duration": 1.0, "maxOrder": 3, "rays": RAYS, "airAbsorption": false, "diffraction": false}}"#)
try rayBenchmark("L-shaped 8×7×3 m, 1.2 s", #"{"name": "b", "room": {"floorPlan": {"points": [[0, 0], [8, 0], [8, 4], [4, 4], [4, 7], [0, 7]], "height": 3}}, "surfaces": {"all": {"absorption": 0.15, "scattering": 0.1}}, "speakers": [{"name": "S", "position": [6.5, 2, 1.5], "directivity": "omni"}], "listener": {"position": [2, 5.5, 1.2]}, "simulation": {"duration": 1.2, "maxOrder": 3, "rays": RAYS, "airAbsorption": false, "diffraction": false}}"#)
print(String(format: "peak memory (RSS) %.0f MiB", peakMemoryMiB()))

// MARK: Rendering (issue #6): 3 minutes of stereo 48 kHz through two speakers' 1-s BRIR pairs,
// then a 60-minute input to show that memory does not grow with the input's length.
func renderBenchmark(minutes: Double, label: String, repeats: Int = 1) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("soundstage-bench-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var rng = SplitMix64Generator(seed: 5)
    let brirs = (0..<2).map { _ in AudioBuffer(sampleRate: 48000, channels: (0..<2).map { _ in
        (0..<48000).map { i in Float(rng.gaussian() * exp(-Double(i) / 48000 * 6.9) * 0.05) } }) }
    let input = folder.appendingPathComponent("music.wav").path, output = folder.appendingPathComponent("out.wav").path
    let writer = try AudioFileWriter(input, sampleRate: 48000, channels: 2, format: .wavFloat32)
    let frames = Int(minutes * 60 * 48000)
    var written = 0
    while written < frames {
        let n = min(1 << 16, frames - written)
        try writer.write((0..<2).map { _ in (0..<n).map { _ in Float(rng.gaussian() * 0.1) } })
        written += n
    }
    try writer.finish()
    let speakers = (0..<2).map { Speaker(name: "S\($0)", position: Vec3(Double($0), 1, 1), orientation: Orientation(facing: Vec3(0, -1, 0)),
                                         directivity: .omni, channel: $0, gainDB: 0, delaySeconds: 0) }
    var best: RenderReport?
    for _ in 0..<repeats {
        // Start each render with nothing waiting to be written back: otherwise the previous run's
        // 70 MB (or the input just generated) is flushed during this one and the kernel throttles
        // its writes — a cost of benchmarking back to back, not of a render.
        sync()
        let report = try Renderer.render(input: input, output: output, speakers: speakers, brirs: brirs, eq: nil,
                                         level: .loudness(lufs: -16, truePeakCeiling: -1), threads: defaultThreadCount)
        if best == nil || report.wallSeconds < best!.wallSeconds { best = report }
    }
    print(String(format: "%-46@ %7.3f s wall  %7.0f× real time  peak RSS so far %.0f MiB%@", label as NSString,
                 best!.wallSeconds, best!.realTimeFactor, peakMemoryMiB(), (repeats > 1 ? "  (best of \(repeats))" : "") as NSString))
}
print("\nRendering (convolve + loudness into a float WAV, then the gain in place)")
try renderBenchmark(minutes: 3, label: "3 min stereo, 2 speakers × 1 s BRIRs", repeats: 3)
try renderBenchmark(minutes: 60, label: "60 min stereo, same BRIRs")

// MARK: Wave solver (issue #17): cell updates per second of the FDTD leapfrog, and what the wave
// part costs in a whole simulation of the home studio.
func waveBenchmark() throws {
    let scene = try RoomFile.parse("""
    {"name": "b", "room": {"shoebox": {"width": 12, "length": 9, "height": 3.5}}, "surfaces": {"all": {"absorption": 0.2}},
     "speakers": [{"name": "S", "position": [3, 6, 1.5], "directivity": "omni"}], "listener": {"position": [7, 3, 1.7]}}
    """)
    for spacing in [0.08, 0.05] {
        let grid = WaveGrid(scene: scene, spacing: spacing, crossover: 200)
        for threads in [1, defaultThreadCount] {
            let field = WaveField(grid: grid, speedOfSound: 343, threads: threads)
            let steps = max(20, Int(3e8 / Double(grid.airCellCount)))
            field.step(source: [(grid.index(10, 10, 10), 1)])
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps { field.step() }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print(String(format: "FDTD 12×9×3.5 m, h %.2f m: %8d cells, %4d steps, %d thr  %7.0f M cell updates/s  (%d bytes per cell)",
                         grid.spacing, grid.airCellCount, steps, threads, Double(grid.airCellCount) * Double(steps) / seconds / 1e6, WaveGrid.bytesPerCell))
        }
    }
    let room = try RoomFile.load(path: "rooms/home-studio.json")
    var times: [String: Double] = [:]
    for (label, wave) in [("without wave", SimulationOptions.WaveOption.off), ("with wave", nil)] {
        let simulator = try Simulator(scene: room, options: SimulationOptions(wave: wave))
        var best = Double.infinity
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try simulator.run()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times[label] = best
        print(String(format: "home studio, whole simulation (2 speakers, BRIRs, metrics) %@: %.3f s", label as NSString, best))
    }
    print(String(format: "wave part's cost: %.2f× the simulation without it", times["with wave"]! / times["without wave"]!))
}
// MARK: Bass map (issue #19): every candidate speaker position's bass at the seat from one wave run
// (reciprocity), against one whole simulation of the same room.
func bassMapBenchmark() throws {
    let room = try RoomFile.load(path: "rooms/home-studio.json")
    let lo = room.boundary.minCorner, hi = room.boundary.maxCorner
    // 1 000 candidates: a 25 × 20 floor grid at two heights, inside the room and out of objects.
    var candidates: [Vec3] = []
    for i in 0..<25 { for j in 0..<20 { for z in [1.0, 1.3] {
        let p = Vec3(lo.x + (Double(i) + 0.5) * (hi.x - lo.x) / 25, lo.y + (Double(j) + 0.5) * (hi.y - lo.y) / 20, z)
        if room.contains(p) { candidates.append(p) }
    } } }
    let duration = room.resolve().durationSeconds
    let start = DispatchTime.now().uptimeNanoseconds
    let map = BassMap.compute(scene: room, seat: room.listener.position, positions: candidates, durationSeconds: max(0.5, duration))
    let mapSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let simulator = try Simulator(scene: room, options: SimulationOptions())
    let s0 = DispatchTime.now().uptimeNanoseconds
    _ = try simulator.run()
    let simulateSeconds = Double(DispatchTime.now().uptimeNanoseconds - s0) / 1e9
    let best = map.positions.indices.min { map.deviation(of: $0) < map.deviation(of: $1) }!
    print(String(format: "bass map, home studio: %d candidate positions in %.2f s (one wave run from the seat); one whole simulation %.2f s: %.0f candidates in the time of 20 simulations; flattest σ %.1f dB at (%.2f, %.2f, %.2f)",
                 map.positions.count, mapSeconds, simulateSeconds, Double(map.positions.count) * 20 * simulateSeconds / mapSeconds,
                 map.deviation(of: best), map.positions[best].x, map.positions[best].y, map.positions[best].z))
}

// MARK: The placement search (issue #19): placements scored per 20 whole simulations of the same room.
func optimizeBenchmark() throws {
    for name in ["home-studio", "living-room"] {
        let room = try RoomFile.load(path: "rooms/\(name).json")
        let space = try PlacementSearchSpace.defaults(for: room)
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try PlacementSearch.run(scene: room, space: space)
        let searchSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let s0 = DispatchTime.now().uptimeNanoseconds
        _ = try Simulator(scene: room, options: SimulationOptions()).run()
        let simulateSeconds = Double(DispatchTime.now().uptimeNanoseconds - s0) / 1e9
        print(String(format: "optimize, %@: %d placements in %.1f s (%d wave runs, maps included); one whole simulation %.2f s: %.0f placements in the time of 20 simulations; cost %.2f → %.2f, bass σ (L+R) %.1f → %.1f dB",
                     name as NSString, result.candidates.count, searchSeconds, result.waveRuns, simulateSeconds,
                     Double(result.candidates.count) * 20 * simulateSeconds / searchSeconds, result.current.cost, result.best.cost,
                     result.current.terms[.bassModal] ?? .nan, result.best.terms[.bassModal] ?? .nan))
    }
}

print("\nWave solver (FDTD, single precision, leapfrog at the Courant limit)")
try waveBenchmark()
try bassMapBenchmark()
try optimizeBenchmark()
print(String(format: "peak memory (RSS) %.0f MiB", peakMemoryMiB()))

print("\nHead-tracked SOFA export (every speaker's BRIRs per head orientation, best of 2)")
try orientationBenchmark(rooms: ["home-studio", "living-room"])
print(String(format: "peak memory (RSS) %.0f MiB", peakMemoryMiB()))

print("\nStudio (the page's edit loop through the HTTP API on loopback)")
try await StudioLatency.run(room: "home-studio")
try await StudioLatency.run(room: "living-room")
print(String(format: "peak memory (RSS) %.0f MiB", peakMemoryMiB()))
