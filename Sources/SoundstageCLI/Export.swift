import ArgumentParser
import Foundation
import Soundstage

extension ExportFormat: ExpressibleByArgument {}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a room's BRIRs for headphone convolvers (HeSuVi/Equalizer APO, EasyEffects, JamesDSP).",
        discussion: "hesuvi: 14 channels in HeSuVi's order (missing virtual speakers silent); true-stereo: L→L, L→R, R→L, R→R; stereo: L→L and R→R only (no crossfeed). 32-bit float WAV at the room's sample rate; the BRIRs are simulated or reused as by `render`.")

    @Argument(help: "Room file (JSON).") var room: String
    @Option(help: "hesuvi, stereo or true-stereo.") var format: ExportFormat
    @OptionGroup var output: OutputOptions
    @Option(name: .customLong("output"), help: "Output file (default DIR/<name>/<format>.wav).") var outputFile: String?
    @Option(help: "Worker threads (default: all cores).") var threads: Int = defaultThreadCount

    func run() throws {
        let scene = try loadRoom(room)
        let folder = URL(fileURLWithPath: output.outDir).appendingPathComponent(scene.name)
        let brirs = try roomBRIRs(scene, outDir: output.outDir, threads: threads)
        var byChannel: [Int: AudioBuffer] = [:]
        for (s, b) in zip(scene.speakers, brirs) where byChannel[s.channel] == nil { byChannel[s.channel] = b }
        let length = brirs.map(\.frameCount).max() ?? 0
        let target = outputFile ?? folder.appendingPathComponent("\(format.rawValue).wav").path
        try AudioFile.write(AudioBuffer(sampleRate: scene.simulation.sampleRate, channels: Exporter.channels(format, brirs: byChannel, length: length)),
                            to: target, format: .wavFloat32)
        print("\(scene.name): \(format.rawValue) BRIRs (\(Exporter.channels(format, brirs: [:], length: 0).count) channels, \(scene.simulation.sampleRate) Hz) → \(target)")
    }
}
