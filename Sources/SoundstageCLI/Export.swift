import ArgumentParser
import Foundation
import Soundstage

extension SOFAConvention: ExpressibleByArgument {}

/// The formats of `export`: the WAV layouts of `ExportFormat` and AES69 SOFA.
enum ExportChoice: String, CaseIterable, ExpressibleByArgument {
    case hesuvi, stereo, trueStereo = "true-stereo", sofa
    var wav: ExportFormat? { ExportFormat(rawValue: rawValue) }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a room's BRIRs for headphone convolvers (HeSuVi/Equalizer APO, EasyEffects, JamesDSP) or head-tracked renderers (SOFA).",
        discussion: "sofa: one AES69 file (MultiSpeakerBRIR) with every speaker's BRIRs for each head orientation of --yaw × --pitch (default yaw -90:90:2, pitch 0), for head-tracked renderers; paths, rays and the wave part are computed once, only the binaural synthesis per orientation; written to DIR/<name>/brirs.sofa. hesuvi: 14 channels in HeSuVi's order (missing virtual speakers silent, or a phantom centre with --phantom-centre); true-stereo: L→L, L→R, R→L, R→R; stereo: L→L and R→R only (no crossfeed). In a room with a subwoofer (LFE speaker) every channel's bass below --bass-crossover plays from it. 32-bit float WAV at the room's sample rate (or --sample-rate; a 44.1 kHz HeSuVi file goes to 44/hesuvi.wav, where HeSuVi keeps that rate); the BRIRs are taken from the cache or simulated as by `render`.")

    @Argument(help: "Room file (JSON).") var room: String
    @Option(help: "hesuvi, stereo, true-stereo or sofa.") var format: ExportChoice
    @OptionGroup var output: OutputOptions
    @Option(name: .customLong("output"), help: "Output file (default DIR/<name>/<format>.wav).") var outputFile: String?
    @Option(parsing: .unconditional, help: "Sample rate in Hz.") var sampleRate: String?
    @OptionGroup var simulation: SimulationFlags
    @Flag(name: .customLong("phantom-centre"), help: "A room without a centre speaker: fill the centre channel with the front pair at −3 dB each.")
    var phantomCentre = false
    @Option(name: .customLong("bass-crossover"), parsing: .unconditional,
            help: "A room with a subwoofer: below this frequency (Hz, 40–200) every channel plays from it; 'none' leaves each speaker full range (default 80).")
    var bassCrossover: String = "80"
    @Option(parsing: .unconditional, help: "sofa: head yaw angles FROM:TO:STEP in degrees, + = turned left (default -90:90:2).") var yaw: String?
    @Option(parsing: .unconditional, help: "sofa: head pitch angles FROM:TO:STEP in degrees, + = up (default 0).") var pitch: String?
    @Option(help: "sofa: MultiSpeakerBRIR (AES69-2020, default) or SingleRoomMIMOSRIR (AES69-2022).") var convention: SOFAConvention?

    /// The head orientations of a SOFA export.
    func orientations() throws -> [HeadOrientation] {
        func range(_ text: String?, _ fallback: String, _ flag: String) throws -> AngleRange {
            do { return try AngleRange(parsing: text ?? fallback) } catch { throw ValidationError("--\(flag): \(error)") }
        }
        let yaws = try range(yaw, "-90:90:2", "yaw"), pitches = try range(pitch, "0", "pitch")
        guard pitches.values.allSatisfy({ abs($0) <= 90 }) else { throw ValidationError("--pitch: angles must lie within ±90°") }
        return HeadOrientation.grid(yaw: yaws, pitch: pitches)
    }

    func exportOptions() throws -> ExportOptions {
        if bassCrossover == "none" { return ExportOptions(phantomCentre: phantomCentre, bassCrossover: nil) }
        guard let hz = Double(bassCrossover), hz.isFinite, (40...200).contains(hz) else {
            throw ValidationError("--bass-crossover: \(bassCrossover) is not a frequency between 40 and 200 Hz or 'none'")
        }
        return ExportOptions(phantomCentre: phantomCentre, bassCrossover: hz)
    }

    func run() throws {
        guard let format = format.wav else { return try exportSOFA() }
        if yaw != nil || pitch != nil || convention != nil { throw ValidationError("--yaw, --pitch and --convention are for --format sofa") }
        let options = try simulation.options(sampleRate: sampleRate)
        let export = try exportOptions()
        let scene = try loadRoom(room)
        let simulator = try makeSimulator(scene, options: options)
        let folder = OutputFolder(outDir: output.outDir, roomName: scene.name)
        let brirs = try roomBRIRs(simulator, folder: folder).map(\.audio)
        var byChannel: [Int: AudioBuffer] = [:]
        for (s, b) in zip(simulator.scene.speakers, brirs) where byChannel[s.channel] == nil { byChannel[s.channel] = b }
        let length = brirs.map(\.frameCount).max() ?? 0
        let rate = simulator.plan.sampleRate
        // HeSuVi keeps its 44.1 kHz impulse responses in hrir/44/ beside the 48 kHz ones.
        let name = format == .hesuvi && rate == 44100 ? "44/hesuvi.wav" : "\(format.rawValue).wav"
        let target = outputFile ?? (folder.path as NSString).appendingPathComponent(name)
        try FileError.createFolder((target as NSString).deletingLastPathComponent.isEmpty ? "." : (target as NSString).deletingLastPathComponent)
        let channels = Exporter.channels(format, brirs: byChannel, length: length, options: export)
        try AudioFile.write(AudioBuffer(sampleRate: rate, channels: channels), to: target, format: .wavFloat32)
        var notes: [String] = []
        if byChannel[3] != nil { notes.append(export.bassCrossover.map { String(format: "bass below %.0f Hz from the subwoofer", $0) } ?? "subwoofer not used (--bass-crossover none)") }
        if byChannel[2] == nil && format == .hesuvi { notes.append(export.phantomCentre ? "phantom centre" : "centre silent (--phantom-centre fills it)") }
        print("\(scene.name): \(format.rawValue) BRIRs (\(channels.count) channels, \(rate) Hz\(notes.isEmpty ? "" : "; " + notes.joined(separator: "; "))) → \(target)")
    }

    /// `--format sofa`: every speaker for every head orientation in one AES69 file.
    func exportSOFA() throws {
        let orientations = try self.orientations()
        let options = try simulation.options(sampleRate: sampleRate)
        let scene = try loadRoom(room)
        let simulator = try makeSimulator(scene, options: options)
        let bytes = Double(orientations.count * 2 * scene.speakers.count * simulator.plan.frames * 8)
        guard bytes <= SOFAExport.maximumBytes else {
            throw InputError(file: room, reason: String(format: "a SOFA file of %d orientations × %d speakers × %d samples would hold %.1f GB (at most %.0f GB): use fewer --yaw/--pitch angles or a shorter simulation.duration",
                                                        orientations.count, scene.speakers.count, simulator.plan.frames, bytes / 1e9, SOFAExport.maximumBytes / 1e9))
        }
        let folder = OutputFolder(outDir: output.outDir, roomName: scene.name)
        let target = outputFile ?? (folder.path as NSString).appendingPathComponent("brirs.sofa")
        try FileError.createFolder((target as NSString).deletingLastPathComponent.isEmpty ? "." : (target as NSString).deletingLastPathComponent)
        note("\(scene.name): " + simulator.plan.maxOrderNote + "; " + simulator.plan.raysNote)
        if let wave = simulator.wavePlan { note(wave.enabled ? wave.note : "warning: " + wave.note) }
        guard let binaural = try simulator.loadHRTF() else { return }
        let bar = ProgressBar("rays", total: Double(simulator.plan.rays * scene.speakers.count)) { String(format: "%.2g rays/s", $0) }
        let start = Date()
        let responses = simulator.headOrientationBRIRs(orientations, binaural: binaural) { event in
            if case .rays(let done, _) = event { bar.update(Double(done)) }
        }
        bar.finish()
        let set = MultiSpeakerBRIRSet(scene: simulator.scene, sampleRate: simulator.plan.sampleRate, orientations: orientations,
                                      headRadius: binaural.headRadius, responses: responses,
                                      comment: "\(commandLine); HRTF \(binaural.hrtf.path)")
        try SOFAFile.write(set, convention: convention ?? .multiSpeakerBRIR, to: target)
        let size = (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? Int) ?? 0
        print(String(format: "%@: SOFA %@, %d head orientations × %d speakers, %d samples at %d Hz (%.1f MB, %.1f s) → %@",
                     scene.name, (convention ?? .multiSpeakerBRIR).rawValue, orientations.count, scene.speakers.count, set.frames, set.sampleRate, Double(size) / 1e6,
                     Date().timeIntervalSince(start), target))
    }
}

/// Limits of a SOFA export.
enum SOFAExport {
    /// The largest Data.IR written (double precision).
    static let maximumBytes = 8e9
}
