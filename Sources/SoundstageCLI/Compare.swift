import ArgumentParser
import Foundation
import Soundstage

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate several rooms (or placements) and print their metrics side by side.",
        discussion: "Each room is simulated into DIR/<name>/ as by `simulate` (with the same options); the table shows, per speaker, what moving the speakers or changing the room did, with which way each metric is better (↑/↓). DIR/compare.csv and DIR/compare.json hold every metric with its seed spread; DIR/compare.png overlays the seat's bass 20–300 Hz and the early reflections of each setup.")

    @Argument(help: "Room files (JSON), at least two.") var rooms: [String]
    @OptionGroup var output: OutputOptions
    @Option(parsing: .unconditional, help: "Sample rate in Hz.") var sampleRate: String?
    @OptionGroup var simulation: SimulationFlags
    @Flag(help: "Do not draw plots.") var noPlots = false

    func run() throws {
        guard rooms.count >= 2 else { throw ValidationError("compare needs at least two room files") }
        let options = try simulation.options(sampleRate: sampleRate)
        let scenes = try rooms.map(loadRoom)
        let names = scenes.map(\.name)
        if let twice = names.first(where: { n in names.filter { $0 == n }.count > 1 }) {
            throw ValidationError("two rooms share the name \"\(twice)\": give each a distinct \"name\" so their outputs do not overwrite each other")
        }
        // Every simulator first: a bad option or HRTF stops the run before anything is written.
        let simulators = try scenes.map { try makeSimulator($0, options: options) }
        var results: [RoomSimulation] = []
        for simulator in simulators {
            let folder = OutputFolder(outDir: output.outDir, roomName: simulator.scene.name)
            results.append(try simulate(simulator, into: folder, plots: !noPlots))
        }
        let comparison = SetupComparison(results)
        let written = try comparison.write(into: output.outDir, results: results, plot: !noPlots)
        note("compare: " + written.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ") + " → \(output.outDir)")
        print(comparison.table())
    }
}
