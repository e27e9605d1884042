import ArgumentParser
import Foundation
import Soundstage

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate a room: omni RIRs, BRIRs, specular reflections, metrics and plots of each speaker.",
        discussion: """
        Writes DIR/<name>/brir-<speaker>.wav (2 channels: left ear, right ear, 32-bit float, through the \
        listener's HRTF), rir-<speaker>.wav (mono, the omnidirectional response at the listener), \
        reflections.json (every specular path up to --reflections-order with surfaces, delays, levels, \
        directions and reflection points), metrics.json (ISO 3382-1 parameters per band, ITDG, imaging), \
        the plots and outputs.json (which run made them), and prints a line of key numbers per speaker. \
        The set is written whole or not at all; the BRIRs are also kept in DIR/<name>/cache/ for render \
        and export. Options override the room file's simulation block. Image sources model the specular \
        early reflections up to --max-order, a ray tracer (--rays, 0 = off) the scattered energy and the \
        reverberant tail.
        """)

    @Argument(help: "Room file (JSON).") var room: String
    @OptionGroup var output: OutputOptions
    @Option(parsing: .unconditional, help: "Sample rate in Hz.") var sampleRate: String?
    @OptionGroup var simulation: SimulationFlags
    @Option(parsing: .unconditional, help: "List paths up to this order in reflections.json.") var reflectionsOrder: Int = 3
    @Flag(help: "Do not draw plots.") var noPlots = false
    @Flag(help: "Only the omni RIRs and reflections.json: no BRIRs, metrics or plots (fastest).") var rirOnly = false

    func run() throws {
        let options = try simulation.options(sampleRate: sampleRate, reflectionsOrder: reflectionsOrder)
        let scene = try loadRoom(room)
        let simulator = try makeSimulator(scene, options: options, binaural: !rirOnly)
        let folder = OutputFolder(outDir: output.outDir, roomName: scene.name)
        let result = try simulate(simulator, into: folder, plots: !noPlots && !rirOnly)
        print("\(scene.name): \(scene.speakers.count) \(rirOnly ? "RIR(s)" : "BRIR(s) and RIR(s)"), reflections.json\(rirOnly ? "" : " and metrics.json") in \(folder.path)")
        let metrics = result.speakers.compactMap(\.metrics)
        for m in metrics { print("  " + m.summaryLine) }
        if metrics.contains(where: { m in ["500", "1k"].contains { m.omni.bands[$0]!.isCurved(30) } }) { print("  " + BandParameters.curvedNote) }
        if metrics.contains(where: { m in ["500", "1k"].contains { m.omni.bands[$0]!.isCut(30) } }) { print("  " + BandParameters.cutNote) }
        if metrics.contains(where: { $0.omni.bands["1k"]!.C80.uncertainty != nil }) { print("  " + Parameter.uncertaintyNote) }
    }
}

/// Runs `simulator` and writes its whole output set into `folder`.
func simulate(_ simulator: Simulator, into folder: OutputFolder, plots: Bool) throws -> RoomSimulation {
    let plan = simulator.plan
    note("\(simulator.scene.name): " + plan.maxOrderNote + "; " + plan.raysNote)
    if let wave = simulator.wavePlan { note(wave.enabled ? wave.note : "warning: " + wave.note) }
    if let warning = simulator.truncationWarning { note("warning: " + warning) }
    let result = try simulator.run(events: simulationEvents(simulator.scene, plan: plan, folder: folder.path))
    let written = try folder.write(result, plots: plots, command: commandLine)
    if plots { note("plots: " + written.filter { $0.hasSuffix(".png") }.joined(separator: ", ") + " → \(folder.path)") }
    return result
}
