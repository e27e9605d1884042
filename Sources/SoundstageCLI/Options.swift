import ArgumentParser
import Foundation
import Soundstage

/// Options shared by every command that writes outputs.
struct OutputOptions: ParsableArguments {
    @Option(name: [.short, .customLong("out-dir")], help: "Folder that holds each room's output folder <name>/.")
    var outDir: String = "Renders"
}

/// The simulation options of every command that simulates (simulate, compare, render, export);
/// each overrides the room file's `simulation` block and accepts what the room file accepts.
struct SimulationFlags: ParsableArguments {
    @Option(parsing: .unconditional, help: "Image-source order: a number or 'auto'.") var maxOrder: String?
    @Option(parsing: .unconditional, help: "Rays per speaker for the ray tracer: a number (0 = image sources only) or 'auto'.") var rays: String?
    @Option(parsing: .unconditional, help: "Random seed (the same seed gives the same output for any thread count).") var seed: String?
    @Option(help: "AES69 SOFA file for the HRTF (BRIRs).") var hrtf: String?
    @Option(parsing: .unconditional, help: "Impulse response length in seconds, or 'auto'.") var duration: String?
    @Option(parsing: .unconditional, help: "High-pass corner in Hz (0 = off).") var highpass: String?
    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).") var threads: String?
    @Option(parsing: .unconditional, help: "Crossover of the wave solver in Hz (or 'auto'): below it the room is simulated as a wave field.") var waveCrossover: String?
    @Flag(help: "No wave solver: the geometric simulation at every frequency.") var noWave = false

    /// The library's options; a malformed value is an `OptionError` naming the option.
    func options(sampleRate: String? = nil, reflectionsOrder: Int = 3) throws -> SimulationOptions {
        var o = SimulationOptions(reflectionsOrder: reflectionsOrder)
        o.sampleRate = try sampleRate.map { try whole($0, "--sample-rate", "a sample rate in Hz") }
        o.maxOrder = try maxOrder.map { try autoOrWhole($0, "--max-order") }
        o.rays = try rays.map { try autoOrWhole($0, "--rays") }
        o.seed = try seed.map { s in
            guard let v = UInt64(s) else { throw OptionError(option: "--seed", reason: "expected a whole number 0…\(SimulationLimits.seed.upperBound), got '\(s)'") }
            return v
        }
        o.hrtfPath = hrtf
        o.durationSeconds = try duration.map { d in
            if d == "auto" { return .auto }
            return .value(try number(d, "--duration", "'auto' or seconds"))
        }
        o.highpassHertz = try highpass.map { try number($0, "--highpass", "a frequency in Hz") }
        if let t = threads { o.threads = try whole(t, "--threads", "a number of threads") }
        if noWave {
            guard waveCrossover == nil else { throw OptionError(option: "--no-wave", reason: "give either --no-wave or --wave-crossover, not both") }
            o.wave = .off
        } else if let x = waveCrossover {
            o.wave = .on(crossover: x == "auto" ? .auto : .value(try number(x, "--wave-crossover", "'auto' or a frequency in Hz")), pointsPerWavelength: nil)
        }
        try o.validate()
        return o
    }

    private func whole(_ s: String, _ option: String, _ what: String) throws -> Int {
        guard let v = Int(s) else { throw OptionError(option: option, reason: "expected \(what), got '\(s)'") }
        return v
    }

    private func number(_ s: String, _ option: String, _ what: String) throws -> Double {
        guard let v = Double(s), v.isFinite else { throw OptionError(option: option, reason: "expected \(what), got '\(s)'") }
        return v
    }

    private func autoOrWhole(_ s: String, _ option: String) throws -> AutoOr<Int> {
        if s == "auto" { return .auto }
        guard let v = Int(s) else { throw OptionError(option: option, reason: "expected 'auto' or a whole number, got '\(s)'") }
        return .value(v)
    }
}

/// What the simulation reports while it runs: a ray progress bar and one line per speaker.
func simulationEvents(_ scene: Scene, plan: ResolvedSimulation, folder: String) -> @Sendable (SimulationEvent) -> Void {
    let bar = ProgressBar("rays", total: Double(plan.rays * scene.speakers.count)) { String(format: "%.2g rays/s", $0) }
    return { event in
        switch event {
        case .rays(let done, _): bar.update(Double(done))
        case .speakerFinished(let s, let seconds):
            bar.finish()
            let images = s.propagation.imageSources
            let counts = s.propagation.rays.map { r in
                String(format: "%d image sources, %d rays%@ (%.1f M reflections%@)", images.imageCount, r.rays,
                       r.rays > plan.rays && plan.rays > 0 ? " in \(r.rays / plan.rays) passes" : "", Double(r.reflections) / 1e6,
                       r.lostRays > 0 ? ", \(r.lostRays) lost through gaps in the geometry" : "")
            } ?? "\(images.imageCount) image sources"
            note(String(format: "%@: %@, %@ in %.2f s → %@", s.speaker.name, counts, s.brir == nil ? "RIR" : "RIR and BRIR", seconds, folder))
        }
    }
}
