import ArgumentParser
import Foundation
import Soundstage

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Redraw a room's plots from its existing outputs, without simulating again.",
        discussion: "Reads DIR/<name>/reflections.json, rir-<speaker>.wav and brir-<speaker>.wav (written by `simulate`) and draws reflection-map.png, echogram.png, decay.png, response.png and arrivals.png.")

    @Argument(help: "Room file (JSON).") var room: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        let scene = try loadRoom(room)
        let folder = URL(fileURLWithPath: output.outDir).appendingPathComponent(scene.name)
        let reflectionsPath = folder.appendingPathComponent("reflections.json")
        guard let data = try? Data(contentsOf: reflectionsPath),
              let reflections = try? JSONDecoder().decode(ReflectionsFile.self, from: data) else {
            throw InputError(file: reflectionsPath.path, reason: "missing or unreadable; run `soundstage simulate \(room)` first")
        }
        guard reflections.speakers.map(\.name) == scene.speakers.map(\.name) else {
            throw InputError(file: reflectionsPath.path, reason: "its speakers (\(reflections.speakers.map(\.name).joined(separator: ", "))) differ from the room's; simulate again")
        }
        var rirs: [String: [Float]] = [:], brirs: [String: AudioBuffer] = [:]
        for s in scene.speakers {
            do { rirs[s.name] = try AudioFile.read(folder.appendingPathComponent("rir-\(s.name).wav").path).channels[0] } catch {
                throw InputError(file: folder.appendingPathComponent("rir-\(s.name).wav").path, reason: "cannot be read; run `soundstage simulate \(room)` first")
            }
            brirs[s.name] = try? AudioFile.read(folder.appendingPathComponent("brir-\(s.name).wav").path)
        }
        let manifest = OutputFolder(outDir: output.outDir, roomName: scene.name).readManifest()
        let input = PlotInput(scene: scene, reflections: reflections, rirs: rirs, brirs: brirs, sampleRate: reflections.sampleRate, command: commandLine,
                              waveCrossover: manifest?.waveCrossover)
        let plots = Plots.all(input).sorted(by: { $0.key < $1.key })
        for (name, image) in plots {
            try image.write(to: folder.appendingPathComponent(name).path)
        }
        note("plots: \(plots.map(\.key).joined(separator: ", ")) → \(folder.path)")
    }
}
