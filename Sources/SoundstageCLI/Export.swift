import ArgumentParser
import Foundation
import Soundstage

extension ExportFormat: ExpressibleByArgument {}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a room's BRIRs for headphone convolvers (HeSuVi/Equalizer APO, EasyEffects, JamesDSP).",
        discussion: "hesuvi: 14 channels in HeSuVi's order (missing virtual speakers silent, or a phantom centre with --phantom-centre); true-stereo: L→L, L→R, R→L, R→R; stereo: L→L and R→R only (no crossfeed). In a room with a subwoofer (LFE speaker) every channel's bass below --bass-crossover plays from it. 32-bit float WAV at the room's sample rate (or --sample-rate; a 44.1 kHz HeSuVi file goes to 44/hesuvi.wav, where HeSuVi keeps that rate); the BRIRs are taken from the cache or simulated as by `render`.")

    @Argument(help: "Room file (JSON).") var room: String
    @Option(help: "hesuvi, stereo or true-stereo.") var format: ExportFormat
    @OptionGroup var output: OutputOptions
    @Option(name: .customLong("output"), help: "Output file (default DIR/<name>/<format>.wav).") var outputFile: String?
    @Option(parsing: .unconditional, help: "Sample rate in Hz.") var sampleRate: String?
    @OptionGroup var simulation: SimulationFlags
    @Flag(name: .customLong("phantom-centre"), help: "A room without a centre speaker: fill the centre channel with the front pair at −3 dB each.")
    var phantomCentre = false
    @Option(name: .customLong("bass-crossover"), parsing: .unconditional,
            help: "A room with a subwoofer: below this frequency (Hz, 40–200) every channel plays from it; 'none' leaves each speaker full range (default 80).")
    var bassCrossover: String = "80"

    func exportOptions() throws -> ExportOptions {
        if bassCrossover == "none" { return ExportOptions(phantomCentre: phantomCentre, bassCrossover: nil) }
        guard let hz = Double(bassCrossover), hz.isFinite, (40...200).contains(hz) else {
            throw ValidationError("--bass-crossover: \(bassCrossover) is not a frequency between 40 and 200 Hz or 'none'")
        }
        return ExportOptions(phantomCentre: phantomCentre, bassCrossover: hz)
    }

    func run() throws {
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
}
