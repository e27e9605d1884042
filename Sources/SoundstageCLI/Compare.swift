import ArgumentParser
import Foundation
import Soundstage

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate several rooms (or placements) and print their metrics side by side.",
        discussion: "Each room is simulated into DIR/<name>/ as by `simulate` (with the same options); the table shows, per speaker, what moving the speakers or changing the room did.")

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
        var columns: [(String, SpeakerMetrics, Scene)] = []
        for simulator in simulators {
            let folder = OutputFolder(outDir: output.outDir, roomName: simulator.scene.name)
            let result = try simulate(simulator, into: folder, plots: !noPlots)
            for s in result.speakers { if let m = s.metrics { columns.append(("\(simulator.scene.name) \(m.speaker)", m, simulator.scene)) } }
        }
        print(table(columns))
    }

    func table(_ columns: [(String, SpeakerMetrics, Scene)]) -> String {
        let width = max(14, columns.map(\.0.count).max()! + 2)
        func indexedRow(_ label: String, _ cell: (Int, SpeakerMetrics) -> String) -> String {
            label.padding(toLength: 26, withPad: " ", startingAt: 0)
                + columns.indices.map { cell($0, columns[$0].1).padding(toLength: width, withPad: " ", startingAt: 0) }.joined()
        }
        func row(_ label: String, _ cell: (SpeakerMetrics, Scene) -> String) -> String {
            indexedRow(label) { i, m in cell(m, columns[i].2) }
        }
        func speakerOf(_ m: SpeakerMetrics, _ s: Scene) -> Speaker { s.speakers.first { $0.name == m.speaker }! }
        let b = { (m: SpeakerMetrics, band: String) in m.omni.bands[band]! }
        // Each column against the first column of the same speaker: a difference within the two runs'
        // counting noise is marked as not significant.
        let firstColumn = { (m: SpeakerMetrics) in columns.firstIndex { $0.1.speaker == m.speaker }! }
        var anyAlike = false
        func compared(_ index: Int, _ pick: (SpeakerMetrics) -> Parameter, _ text: String) -> String {
            let m = columns[index].1, first = firstColumn(m)
            guard first != index, pick(m).isIndistinguishable(from: pick(columns[first].1)) else { return text }
            anyAlike = true
            return text + Parameter.alikeMark
        }
        return [
            row("", { m, s in "\(s.name) \(m.speaker)" }),
            row("distance to listener (m)", { m, s in String(format: "%.2f", s.listener.direction(of: speakerOf(m, s).position).distance) }),
            row("azimuth (°)", { m, s in String(format: "%+.1f", s.listener.direction(of: speakerOf(m, s).position).azimuth) }),
            row("nearest wall (m)", { m, s in s.nearestSurfaces(to: speakerOf(m, s).position, count: 1).map { String(format: "%@ %.2f", $0.name, $0.distance) }.first ?? "—" }),
            indexedRow("T30 500 Hz (s)", { i, m in compared(i, { b($0, "500").T30 }, b(m, "500").reverberationText(30)) }),
            indexedRow("T30 1 kHz (s)", { i, m in compared(i, { b($0, "1k").T30 }, b(m, "1k").reverberationText(30)) }),
            indexedRow("EDT 1 kHz (s)", { i, m in compared(i, { b($0, "1k").EDT }, b(m, "1k").EDT.formattedWithUncertainty("%.2f")) }),
            indexedRow("C80 1 kHz (dB)", { i, m in compared(i, { b($0, "1k").C80 }, b(m, "1k").C80.formattedWithUncertainty("%+.1f")) }),
            indexedRow("D50 1 kHz", { i, m in compared(i, { b($0, "1k").D50 }, b(m, "1k").D50.formattedWithUncertainty("%.2f")) }),
            row("DRR broadband (dB)", { m, _ in b(m, "broadband").DRR.formatted("%+.1f") }),
            row("ITDG (ms)", { m, _ in m.omni.ITDG.formatted("%.1f") }),
            row("first reflection (dB)", { m, _ in m.omni.firstReflectionLevel.formatted("%+.1f") }),
            row("imaging (dB)", { m, _ in m.soundstage.imaging.formatted("%.1f") }),
            row("width", { m, _ in m.soundstage.width.formatted("%.2f") }),
            row("bass σ 20–300 Hz (dB)", { m, _ in m.soundstage.bass?.formatted("%.1f") ?? "—" }),
        ].joined(separator: "\n")
            + (columns.contains { $0.1.omni.bands["1k"]!.C80.uncertainty != nil } ? "\n" + Parameter.uncertaintyNote : "")
            + (anyAlike ? "\n" + Parameter.alikeNote : "")
            + (columns.contains { c in ["500", "1k"].contains { b(c.1, $0).isCurved(30) } } ? "\n" + BandParameters.curvedNote : "")
            + (columns.contains { c in ["500", "1k"].contains { b(c.1, $0).isCut(30) } } ? "\n" + BandParameters.cutNote : "")
    }
}
