import ArgumentParser
import Foundation
import Soundstage

/// Options shared by every command that writes outputs.
struct OutputOptions: ParsableArguments {
    @Option(name: [.short, .customLong("out-dir")], help: "Folder that holds each room's output folder <name>/.")
    var outDir: String = "Renders"
}

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate a room: omni RIRs, specular reflections and metrics of each speaker.",
        discussion: """
        Writes DIR/<name>/brir-<speaker>.wav (2 channels: left ear, right ear, 32-bit float, through the \
        listener's HRTF), rir-<speaker>.wav (mono, the omnidirectional response at the listener), reflections.json (every specular path up to order 3 with surfaces, delays, levels, \
        directions and reflection points) and metrics.json (ISO 3382-1 parameters per band, ITDG, \
        imaging) and the plots, and prints a line of key numbers per speaker. Options override the room \
        file's simulation block. Image sources model the specular early reflections up to --max-order, \
        a ray tracer (--rays, 0 = off) the scattered energy and the reverberant tail.
        """)

    @Argument(help: "Room file (JSON).") var room: String
    @OptionGroup var output: OutputOptions
    @Option(help: "Sample rate in Hz.") var sampleRate: Int?
    @Option(help: "Image-source order (a number or 'auto').") var maxOrder: String?
    @Option(help: "Rays for the ray tracer (0 = image sources only).") var rays: Int?
    @Option(help: "Random seed.") var seed: Int?
    @Option(help: "SOFA file for the HRTF (BRIRs).") var hrtf: String?
    @Option(help: "Worker threads (default: all cores).") var threads: Int = defaultThreadCount
    @Option(help: "Impulse response length in seconds (or 'auto').") var duration: String?
    @Option(help: "High-pass corner in Hz (0 = off).") var highpass: Double?
    @Option(help: "List paths up to this order in reflections.json.") var reflectionsOrder: Int = 3
    @Flag(help: "Do not draw plots.") var noPlots = false
    @Flag(help: "Only the omni RIRs and reflections.json: no BRIRs, metrics or plots (fastest).") var rirOnly = false

    func run() throws {
        var scene = try loadRoom(room)
        try applyOverrides(&scene)
        let metrics = try simulateRoom(scene, threads: threads, reflectionsOrder: reflectionsOrder, outDir: output.outDir, rirOnly: rirOnly,
                                       plots: !noPlots && !rirOnly, command: (["soundstage"] + CommandLine.arguments.dropFirst()).joined(separator: " "))
        let folder = URL(fileURLWithPath: output.outDir).appendingPathComponent(scene.name)
        print("\(scene.name): \(scene.speakers.count) BRIR(s) and RIR(s), reflections.json and metrics.json in \(folder.path)")
        for m in metrics { print("  " + m.summaryLine) }
    }

    func applyOverrides(_ scene: inout Scene) throws {
        func bad(_ option: String, _ reason: String) -> ValidationError { ValidationError("\(option): \(reason)") }
        if let r = sampleRate {
            guard (8000...384_000).contains(r) else { throw bad("--sample-rate", "must be between 8000 and 384000 Hz") }
            scene.simulation.sampleRate = r
        }
        if let m = maxOrder {
            if m == "auto" { scene.simulation.maxOrder = .auto }
            else if let n = Int(m), (0...1000).contains(n) { scene.simulation.maxOrder = .value(n) }
            else { throw bad("--max-order", "expected 'auto' or a whole number 0…1000") }
        }
        if let r = rays {
            guard r >= 0 else { throw bad("--rays", "must be 0 or more") }
            scene.simulation.rays = .value(r)
        }
        if let s = seed {
            guard s >= 0 else { throw bad("--seed", "must be 0 or more") }
            scene.simulation.seed = UInt64(s)
        }
        if let h = hrtf { scene.listener.hrtf = .file(h) }
        if let d = duration {
            if d == "auto" { scene.simulation.durationSeconds = .auto }
            else if let v = Double(d), v >= 0.01, v <= 60 { scene.simulation.durationSeconds = .value(v) }
            else { throw bad("--duration", "expected 'auto' or seconds between 0.01 and 60") }
        }
        if let h = highpass {
            guard h >= 0, h <= 1000 else { throw bad("--highpass", "must be between 0 and 1000 Hz") }
            scene.simulation.highpassHertz = h
        }
        guard threads >= 1 else { throw bad("--threads", "must be at least 1") }
        guard reflectionsOrder >= 0 else { throw bad("--reflections-order", "must be 0 or more") }
    }
}

/// A progress or information line on standard error.
func note(_ message: String) {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}

/// Simulates `scene` into `outDir/<name>/` (RIRs, reflections.json, metrics.json); returns the metrics.
func simulateRoom(_ scene: Scene, threads: Int, reflectionsOrder: Int, outDir: String, rirOnly: Bool = false,
                  plots: Bool = false, command: String = "soundstage simulate") throws -> [SpeakerMetrics] {
    var plan = scene.resolve(threads: threads, detailOrder: reflectionsOrder)
    // The HRTF first: a missing or unusable SOFA file stops the run before anything is written.
    var binaural: (HRTFSet, DiffuseFieldStatistics)?
    if !rirOnly {
        let hrtfPath: String
        if case .file(let f) = scene.listener.hrtf { hrtfPath = f } else { hrtfPath = HRTFSet.defaultPath }
        do {
            let hrtf = try HRTFSet(path: hrtfPath, sampleRate: Double(plan.sampleRate))
            binaural = (hrtf, hrtf.diffuseField())
        } catch {
            printError("listener.hrtf: \(error)")
            throw ExitCode(1)
        }
    } else {
        plan.keepEarlySeconds = 0 // no binaural early part to feed
    }
    let folder = URL(fileURLWithPath: outDir).appendingPathComponent(scene.name)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    note("\(scene.name): " + plan.maxOrderNote + "; " + plan.raysNote)
    if plan.maxOrder != Int.max && plan.rays == 0 {
        // Order-limited image sources cover about order × mean free path (4V/S, Kuttruff eq. 4.5).
        let covered = Double(plan.maxOrder) * 4 * scene.volume / scene.surfaceArea / scene.air.speedOfSound
        if covered < plan.durationSeconds {
            note(String(format: "warning: with --rays 0, image sources up to order %d cover only about the first %.0f ms of %.0f ms; T20/T30/C80 describe that truncated response, not the room", plan.maxOrder, covered * 1000, plan.durationSeconds * 1000))
        }
    }
    let bar = ProgressBar("rays", total: Double(plan.rays * scene.speakers.count)) { String(format: "%.2g rays/s", $0) }
    var results: [ImageSourceResult] = []
    var metrics: [SpeakerMetrics] = []
    var brirs: [String: AudioBuffer] = [:]
    for (i, speaker) in scene.speakers.enumerated() {
        let start = Date()
        let offset = Double(i * plan.rays)
        let response = HybridSimulator.run(scene: scene, speakerIndex: i, plan: plan) { done in bar.update(offset + Double(done)) }
        bar.finish()
        let result = response.imageSources
        results.append(result)
        let counts = response.rays.map { r in
            String(format: "%d image sources, %d rays%@ (%.1f M reflections%@)", result.imageCount, plan.rays,
                   r.rays != plan.rays ? " (each band traced on its own: \(r.rays) ray paths)" : "", Double(r.reflections) / 1e6,
                   r.lostRays > 0 ? ", \(r.lostRays) lost through gaps in the geometry" : "")
        } ?? "\(result.imageCount) image sources"
        let path = folder.appendingPathComponent("rir-\(speaker.name).wav").path
        try AudioFile.write(AudioBuffer(sampleRate: plan.sampleRate, channels: [result.rir]), to: path, format: .wavFloat32)
        guard let (hrtf, field) = binaural else {
            note(String(format: "%@: %@, RIR in %.2f s → %@", speaker.name, counts, Date().timeIntervalSince(start), folder.path))
            continue
        }
        let brir = BinauralSynthesizer.render(scene: scene, speakerIndex: i, plan: plan, paths: result.paths, omni: result.rir,
                                              hrtf: hrtf, field: field, tail: response.tail.arrivals)
        try AudioFile.write(brir, to: folder.appendingPathComponent("brir-\(speaker.name).wav").path, format: .wavFloat32)
        brirs[speaker.name] = brir
        note(String(format: "%@: %@, RIR and BRIR in %.2f s → %@", speaker.name, counts, Date().timeIntervalSince(start), folder.path))
        metrics.append(SpeakerMetrics.compute(speaker: speaker.name, rir: result.rir, sampleRate: plan.sampleRate, brir: brir,
                                              envelopment: SpeakerMetrics.envelopment(lateEnergy: result.lateEnergy, lateLateralEnergy: result.lateLateralEnergy)))
    }
    let reflections = ReflectionsFile(scene: scene, plan: plan, results: results)
    try AtomicFile.write(try reflections.encoded(), to: folder.appendingPathComponent("reflections.json").path)
    if plots {
        let rirs = Dictionary(uniqueKeysWithValues: zip(scene.speakers.map(\.name), results.map(\.rir)))
        try writePlots(PlotInput(scene: scene, reflections: reflections, rirs: rirs, brirs: brirs, sampleRate: plan.sampleRate, command: command), to: folder)
    }
    if rirOnly { return [] }
    let metricsFile = MetricsFile(room: scene.name, soundstageVersion: SoundstageVersion.string,
                                  bandsHz: FrequencyBands.octaves.centres, speakers: metrics)
    try AtomicFile.write(try metricsFile.encoded(), to: folder.appendingPathComponent("metrics.json").path)
    return metrics
}

/// Draws the five plots of SPEC §5 into `folder`.
func writePlots(_ input: PlotInput, to folder: URL) throws {
    for (name, image) in Plots.all(input).sorted(by: { $0.key < $1.key }) {
        try image.write(to: folder.appendingPathComponent(name).path)
    }
    note("plots: reflection-map.png, echogram.png, decay.png, response.png, arrivals.png → \(folder.path)")
}
