import ArgumentParser
import Foundation
import Soundstage

extension ExportFormat: ExpressibleByArgument {}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a room's BRIRs for headphone convolvers (HeSuVi/Equalizer APO, EasyEffects, JamesDSP).",
        discussion: "hesuvi: 14 channels in HeSuVi's order (missing virtual speakers silent); true-stereo: L→L, L→R, R→L, R→R; stereo: L→L and R→R only (no crossfeed). 32-bit float WAV at the room's sample rate (or --sample-rate); the BRIRs are taken from the cache or simulated as by `render`.")

    @Argument(help: "Room file (JSON).") var room: String
    @Option(help: "hesuvi, stereo or true-stereo.") var format: ExportFormat
    @OptionGroup var output: OutputOptions
    @Option(name: .customLong("output"), help: "Output file (default DIR/<name>/<format>.wav).") var outputFile: String?
    @Option(parsing: .unconditional, help: "Sample rate in Hz.") var sampleRate: String?
    @OptionGroup var simulation: SimulationFlags

    func run() throws {
        let options = try simulation.options(sampleRate: sampleRate)
        let scene = try loadRoom(room)
        let simulator = try makeSimulator(scene, options: options)
        let folder = OutputFolder(outDir: output.outDir, roomName: scene.name)
        let brirs = try roomBRIRs(simulator, folder: folder).map(\.audio)
        var byChannel: [Int: AudioBuffer] = [:]
        for (s, b) in zip(simulator.scene.speakers, brirs) where byChannel[s.channel] == nil { byChannel[s.channel] = b }
        let length = brirs.map(\.frameCount).max() ?? 0
        let target = outputFile ?? (folder.path as NSString).appendingPathComponent("\(format.rawValue).wav")
        let rate = simulator.plan.sampleRate
        try AudioFile.write(AudioBuffer(sampleRate: rate, channels: Exporter.channels(format, brirs: byChannel, length: length)),
                            to: target, format: .wavFloat32)
        print("\(scene.name): \(format.rawValue) BRIRs (\(Exporter.channels(format, brirs: [:], length: 0).count) channels, \(rate) Hz) → \(target)")
    }
}
