import ArgumentParser
import Foundation
import Soundstage

extension BandFiltering: ExpressibleByArgument {}

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Room-acoustic parameters of any impulse response (ISO 3382-1), mono or binaural.",
        discussion: """
        Per octave band 63 Hz – 8 kHz and broadband: EDT, T20, T30 (s), C50, C80 (dB), D50, Ts (ms), DRR (dB); \
        ITDG (ms) and the strongest reflection within 20 ms (dB re direct). For a two-channel file (left ear, \
        right ear) also IACC_E (0–80 ms), IACC_L (80 ms–end), the direct sound's ITD (µs, + = left ear leads) and \
        ILD (dB, + = left louder), and how straight each decay is (ISO 3382-2 Annex B: non-linearity ξ20, ξ30 in ‰, \
        curvature 100 (T30/T20 − 1) in %; T20/T30 of a decay curved beyond 10 ‰ are marked *). Measured responses with a noise floor are handled after Lundeby et al. (1995); \
        a parameter that cannot be computed is shown as — with the reason in --json. With --bands third: the 24 \
        third-octave bands 50 Hz – 10 kHz instead (one line per band), as measured data are often published. \
        --filtering zero-phase applies the band filters without group delay (the ITA-Toolbox's way), which matters \
        for C50/C80/D50 in narrow low bands.
        """)

    @Argument(help: "Impulse response (any format libsndfile reads).") var file: String
    @Flag(help: "Print JSON instead of a table.") var json = false
    @Option(help: "Analysis bands: octave (63 Hz – 8 kHz) or third (third-octaves 50 Hz – 10 kHz).") var bands: BandChoice = .octave
    @Option(help: "Band filtering: causal (forward, the default) or zero-phase (no group delay, as the ITA-Toolbox filters).")
    var filtering: BandFiltering = .causal

    enum BandChoice: String, ExpressibleByArgument, CaseIterable {
        case octave, third
        var bands: FrequencyBands { self == .octave ? .octaves : .thirdOctaves }
    }

    func run() throws {
        if let t = try AudioFileReader(file).truncation { note("warning: \(file): \(t); analysing what is there") }
        let buffer = try AudioFile.read(file)
        guard buffer.channelCount <= 2 else {
            throw InputError(file: file, reason: "\(buffer.channelCount) channels; analyze takes a mono or a binaural (2-channel) response")
        }
        guard buffer.frameCount > buffer.sampleRate / 20 else {
            throw InputError(file: file, reason: "shorter than 50 ms; an impulse response is needed")
        }
        let a = ImpulseResponseAnalyzer.analyze(buffer, bands: bands.bands, filtering: filtering)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(a), as: UTF8.self))
            return
        }
        print(table(a))
    }

    static let rows: [(String, @Sendable (BandParameters) -> Parameter, String)] = [
        ("EDT s", { $0.EDT }, "%.2f"), ("T20 s", { $0.T20 }, "%.2f"), ("T30 s", { $0.T30 }, "%.2f"),
        ("C50 dB", { $0.C50 }, "%.1f"), ("C80 dB", { $0.C80 }, "%.1f"), ("D50", { $0.D50 }, "%.2f"),
        ("Ts ms", { $0.Ts }, "%.0f"), ("DRR dB", { $0.DRR }, "%.1f"),
        ("ξ20 ‰", { $0.xi20 }, "%.1f"), ("ξ30 ‰", { $0.xi30 }, "%.1f"), ("curv. %", { $0.curvature }, "%.0f"),
    ]

    /// A row's cell; T20 and T30 from a curved decay (ξ > 10 ‰) are marked with *.
    static func cell(_ row: (String, @Sendable (BandParameters) -> Parameter, String), _ p: BandParameters) -> String {
        let text = row.1(p).formatted(row.2)
        let curved = (row.0 == "T20 s" && p.isCurved(20)) || (row.0 == "T30 s" && p.isCurved(30))
        return curved ? text + "*" : text
    }

    static let curvedNote = BandParameters.curvedNote

    func table(_ a: ImpulseResponseAnalysis) -> String {
        let labels = bands.bands.labels + ["broadband"]
        var lines = ["\(file): \(a.channels == 2 ? "binaural" : "mono"), \(a.sampleRate) Hz, onset at \(String(format: "%.2f", a.onsetSeconds * 1000)) ms"
                     + (a.noiseFloorDB.map { String(format: ", noise floor %.1f dB", $0) } ?? "")]
        if bands == .third { return (lines + thirdOctaveTable(a, labels: labels)).joined(separator: "\n") }
        lines.append("band     " + labels.map { $0.padding(toLength: 9, withPad: " ", startingAt: 0) }.joined())
        for row in Self.rows {
            lines.append(row.0.padding(toLength: 9, withPad: " ", startingAt: 0)
                         + labels.map { Self.cell(row, a.bands[$0]!).padding(toLength: 9, withPad: " ", startingAt: 0) }.joined())
        }
        if let b = a.binaural {
            for (name, dict) in [("IACC_E", b.IACC_E), ("IACC_L", b.IACC_L)] {
                lines.append(name.padding(toLength: 9, withPad: " ", startingAt: 0)
                             + labels.map { (dict[$0] ?? .missing("")).formatted("%.2f").padding(toLength: 9, withPad: " ", startingAt: 0) }.joined())
            }
            lines.append("ILD dB   " + labels.map { (b.ILD[$0] ?? .missing("")).formatted("%.1f").padding(toLength: 9, withPad: " ", startingAt: 0) }.joined())
            lines.append("ITD \(b.ITD.formatted("%.0f")) µs (+ = left ear leads)")
        }
        lines.append("ITDG \(a.ITDG.formatted("%.1f")) ms, strongest reflection within 20 ms \(a.firstReflectionLevel.formatted("%.1f")) dB re direct")
        if a.bands.values.contains(where: { $0.isCurved(20) || $0.isCurved(30) }) { lines.append(Self.curvedNote) }
        return lines.joined(separator: "\n")
    }

    /// One line per band (24 third-octaves do not fit across a terminal); binaural rows as columns.
    func thirdOctaveTable(_ a: ImpulseResponseAnalysis, labels: [String]) -> [String] {
        func pad(_ s: String) -> String { s.padding(toLength: 9, withPad: " ", startingAt: 0) }
        var header = "band      " + Self.rows.map { pad($0.0) }.joined()
        if a.binaural != nil { header += ["IACC_E", "IACC_L", "ILD dB"].map(pad).joined() }
        var lines = [header]
        for label in labels {
            var line = label.padding(toLength: 10, withPad: " ", startingAt: 0)
                + Self.rows.map { pad(Self.cell($0, a.bands[label]!)) }.joined()
            if let b = a.binaural {
                line += [(b.IACC_E[label], "%.2f"), (b.IACC_L[label], "%.2f"), (b.ILD[label], "%.1f")]
                    .map { pad(($0.0 ?? .missing("")).formatted($0.1)) }.joined()
            }
            lines.append(line)
        }
        if let b = a.binaural { lines.append("ITD \(b.ITD.formatted("%.0f")) µs (+ = left ear leads)") }
        lines.append("ITDG \(a.ITDG.formatted("%.1f")) ms, strongest reflection within 20 ms \(a.firstReflectionLevel.formatted("%.1f")) dB re direct")
        if a.bands.values.contains(where: { $0.isCurved(20) || $0.isCurved(30) }) { lines.append(Self.curvedNote) }
        return lines
    }
}
