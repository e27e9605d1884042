import ArgumentParser
import Foundation
import Soundstage

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render music through a room's BRIRs for IEMs or headphones.",
        discussion: """
        Routes the music's channels to the speakers (mono → all; stereo → L/R; 5.1/7.1 by the WAV channel \
        mask, else in WAV order, with ITU-R BS.775 fold-down for channels the room has no speaker for), \
        convolves with the BRIRs, applies an optional IEM EQ (Equalizer APO / AutoEq parametric text) and \
        matches the loudness (default −16 LUFS, true peak ≤ −1 dBTP) or applies --gain. The room is \
        simulated at the music's own sample rate, so the music is never resampled; BRIRs are taken from \
        DIR/<name>/cache/ when an entry was made from exactly this room, these options and this HRTF \
        (otherwise the room is simulated and its outputs written as by `simulate`). Output: 32-bit float \
        WAV, or 24-bit FLAC for a .flac name; written to a temporary file and renamed when complete.
        """)

    @Argument(help: "Room file (JSON).") var room: String
    @Option(help: "The music (WAV, FLAC, OGG, AIFF, …).") var input: String
    @OptionGroup var output: OutputOptions
    @Option(name: .customLong("output"), help: "Output file (default DIR/<name>/render-<input name>.wav).") var outputFile: String?
    @Option(help: "Equalizer APO / AutoEq EQ file for your IEMs (ParametricEQ.txt or GraphicEQ.txt).") var eq: String?
    @Option(parsing: .unconditional, help: "Loudness target in LUFS (default -16).") var loudness: Double?
    @Option(parsing: .unconditional, help: "A fixed gain in dB instead of loudness matching.") var gain: Double?
    @OptionGroup var simulation: SimulationFlags

    func run() throws {
        if loudness != nil && gain != nil { throw ValidationError("give either --loudness or --gain, not both") }
        if let l = loudness, !(-70...0).contains(l) { throw OptionError(option: "--loudness", reason: "must be between -70 and 0 LUFS") }
        if let g = gain, !(-100...60).contains(g) { throw OptionError(option: "--gain", reason: "must be between -100 and 60 dB") }
        let probe = try AudioFileReader(input)
        if let t = probe.truncation { note("warning: \(input): \(t); rendering what is there") }
        guard (8000...384_000).contains(probe.sampleRate) else { throw InputError(file: input, reason: "unsupported sample rate \(probe.sampleRate) Hz") }
        let options = try simulation.options(sampleRate: String(probe.sampleRate))
        let scene = try loadRoom(room)
        let folder = OutputFolder(outDir: output.outDir, roomName: scene.name)
        let base = URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent
        let target = outputFile ?? (folder.path as NSString).appendingPathComponent("render-\(base).wav")
        if URL(fileURLWithPath: target).standardizedFileURL.resolvingSymlinksInPath() == URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath() {
            throw InputError(file: target, reason: "the output would overwrite the input; choose another --output")
        }
        var parametric: ParametricEQ?
        if let eq {
            let text: String
            do { text = try String(contentsOfFile: eq, encoding: .utf8) } catch { throw InputError(file: eq, reason: FileError.reason(of: error)) }
            do { parametric = try ParametricEQ.parse(text) } catch { throw InputError(file: eq, reason: "\(error)") }
        }
        let simulator = try makeSimulator(scene, options: options)
        let brirs = try roomBRIRs(simulator, folder: folder)
        try FileError.createFolder(URL(fileURLWithPath: target).deletingLastPathComponent().path)
        let level: RenderLevel = gain.map { .gain(db: $0) } ?? .loudness(lufs: loudness ?? -16, truePeakCeiling: -1)
        // The fraction covers both passes (convolution, then levelling), so seconds of music per
        // second of work is the whole render's real-time factor.
        let musicSeconds = Double(probe.frameCount) / Double(probe.sampleRate)
        let bar = ProgressBar("render", total: musicSeconds) { String(format: "%5.0f× real time", $0) }
        let report: RenderReport
        do {
            report = try Renderer.render(input: input, output: target, speakers: simulator.scene.speakers, brirs: brirs.map(\.audio), eq: parametric,
                                         level: level, threads: options.threads) { fraction in bar.update(fraction * musicSeconds) }
        } catch let silent as SilentRenderError {
            bar.finish()
            // With an EQ, the EQ file is named too: it may be what removed the music.
            throw InputError(file: eq.map { "\($0) (with \(input))" } ?? input, reason: String(silent.description.dropFirst(input.count + 2)))
        }
        bar.finish()
        print(String(format: "%@: %.1f s of music → %@ (gain %+.1f dB, %.1f LUFS, true peak %.1f dBTP, %.0f× real time)",
                     scene.name, report.inputSeconds, target, report.gainDB, report.integratedLUFS, report.truePeakDBTP, report.realTimeFactor))
        // Say why the loudness target was missed: the true-peak ceiling bounds the gain.
        if case .loudness(let lufs, let ceiling) = level, report.integratedLUFS < lufs - 0.1 {
            note(String(format: "%@: %.1f LUFS, %.1f dB under the %.0f LUFS target: the true peak reached the %.0f dBTP ceiling first (an EQ boost or a peaky piece; --loudness lower, or --gain, to choose)",
                        scene.name, report.integratedLUFS, lufs - report.integratedLUFS, lufs, ceiling))
        }
    }
}

/// The room's BRIRs for `simulator`: from the cache when it has an entry with the simulator's key,
/// simulated (and every output written) otherwise; says which.
func roomBRIRs(_ simulator: Simulator, folder: OutputFolder) throws -> [ImpulseResponse] {
    let names = simulator.scene.speakers.map(\.name)
    if let cached = folder.cachedBRIRs(key: simulator.key, speakers: names, sampleRate: simulator.plan.sampleRate, frames: simulator.plan.frames) {
        note("\(simulator.scene.name): reusing the BRIRs of cache entry \(simulator.key.hex.prefix(12)) (same room, options and HRTF; \(simulator.plan.sampleRate) Hz)")
        return cached
    }
    let result = try simulate(simulator, into: folder, plots: true)
    return result.speakers.compactMap(\.brir)
}
