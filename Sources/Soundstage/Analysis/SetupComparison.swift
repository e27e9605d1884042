import Foundation

/// `compare`'s verdict: every setup's (room's) speakers side by side on the metrics that decide a
/// placement, each with which way is better and its seed spread, as a terminal table, CSV and JSON
/// (SPEC §5). The values are the rooms' `metrics.json` figures; nothing is simulated here.
public struct SetupComparison: Sendable {
    /// Which way a metric is better, for the reader of the table and the docs.
    public enum Better: String, Codable, Sendable { case higher, lower, neither }

    /// One metric: its key in the CSV and JSON, a short and a long label, its unit and printf
    /// format, which way is better and why (with the source).
    public struct Metric: Sendable {
        public let key: String, short: String, label: String, unit: String, format: String
        public let better: Better
        public let why: String
        let pick: @Sendable (SpeakerSimulation, Scene) -> Parameter
    }

    /// One setup's speaker: the room and speaker names, its nearest surface, and each metric's value
    /// (with the ± spread of the ray tracer's counting noise where the metric has one, #12).
    public struct Entry: Codable, Sendable {
        public var room: String
        public var speaker: String
        public var nearestSurface: String?
        public var metrics: [String: Parameter]
        /// Reverberation times to read with care: `BandParameters.curvedMark` (a curved decay) and
        /// `cutMark` (the response ends too soon for the fit), by metric key.
        public var marks: [String: String]
    }

    public let entries: [Entry]

    public init(_ results: [RoomSimulation]) {
        entries = results.flatMap { r in
            r.speakers.map { s in
                Entry(room: r.scene.name, speaker: s.speaker.name,
                      nearestSurface: r.scene.nearestSurfaces(to: s.speaker.position, count: 1).first?.name,
                      metrics: Dictionary(uniqueKeysWithValues: Self.metrics.map { ($0.key, $0.pick(s, r.scene)) }),
                      marks: Self.marks(s))
            }
        }
    }

    static func marks(_ s: SpeakerSimulation) -> [String: String] {
        var marks: [String: String] = [:]
        for (key, label) in [("T30_500", "500"), ("T30_1k", "1k")] {
            guard let b = s.metrics?.omni.bands[label] else { continue }
            let mark = (b.isCurved(30) ? BandParameters.curvedMark : "") + (b.isCut(30) ? BandParameters.cutMark : "")
            if !mark.isEmpty { marks[key] = mark }
        }
        return marks
    }

    /// The metrics, in the table's order.
    public static let metrics: [Metric] = {
        @Sendable func band(_ s: SpeakerSimulation, _ label: String) -> BandParameters? { s.metrics?.omni.bands[label] }
        @Sendable func missing(_ s: SpeakerSimulation) -> Parameter { .missing(s.metrics == nil ? "no metrics (omni-only run)" : "not in this band") }
        let room = "nearer the room's purpose is better: ITU-R BS.1116-3 asks about 0.25 (V/100 m³)^(1/3) s of a listening room"
        return [
            Metric(key: "distance", short: "dist", label: "distance to listener", unit: "m", format: "%.2f", better: .neither,
                   why: "placement, for reference") { s, scene in .of(scene.listener.direction(of: s.speaker.position).distance) },
            Metric(key: "azimuth", short: "az", label: "azimuth", unit: "°", format: "%+.1f", better: .neither,
                   why: "placement, for reference (±30° for stereo, ITU-R BS.775)") { s, scene in .of(scene.listener.direction(of: s.speaker.position).azimuth) },
            Metric(key: "nearestWall", short: "wall", label: "nearest surface", unit: "m", format: "%.2f", better: .neither,
                   why: "placement, for reference") { s, scene in
                       scene.nearestSurfaces(to: s.speaker.position, count: 1).first.map { .of($0.distance) } ?? .missing("no surface") },
            Metric(key: "T30_500", short: "T30 500", label: "T30 500 Hz", unit: "s", format: "%.2f", better: .neither, why: room) { s, _ in band(s, "500")?.T30 ?? missing(s) },
            Metric(key: "T30_1k", short: "T30 1k", label: "T30 1 kHz", unit: "s", format: "%.2f", better: .neither, why: room) { s, _ in band(s, "1k")?.T30 ?? missing(s) },
            Metric(key: "EDT_1k", short: "EDT 1k", label: "EDT 1 kHz", unit: "s", format: "%.2f", better: .neither,
                   why: "perceived reverberance (ISO 3382-1 A.2.2); as T30") { s, _ in band(s, "1k")?.EDT ?? missing(s) },
            Metric(key: "C80_1k", short: "C80", label: "C80 1 kHz", unit: "dB", format: "%+.1f", better: .higher,
                   why: "clarity of music (ISO 3382-1 A.2.4): higher is clearer, drier") { s, _ in band(s, "1k")?.C80 ?? missing(s) },
            Metric(key: "D50_1k", short: "D50", label: "D50 1 kHz", unit: "", format: "%.2f", better: .higher,
                   why: "definition (ISO 3382-1 A.2.4): higher is more distinct") { s, _ in band(s, "1k")?.D50 ?? missing(s) },
            Metric(key: "DRR", short: "DRR", label: "DRR broadband", unit: "dB", format: "%+.1f", better: .higher,
                   why: "direct-to-reverberant ratio: higher localizes more precisely") { s, _ in band(s, "broadband")?.DRR ?? missing(s) },
            Metric(key: "ITDG", short: "ITDG", label: "ITDG", unit: "ms", format: "%.1f", better: .higher,
                   why: "initial time-delay gap (Beranek 2004): a later first reflection leaves the direct sound clearer") { s, _ in
                       s.metrics?.omni.ITDG ?? missing(s) },
            Metric(key: "firstReflection", short: "1st refl", label: "first reflection", unit: "dB", format: "%+.1f", better: .lower,
                   why: "strongest reflection within 20 ms re the direct sound: lower shifts images less (Olive & Toole 1989)") { s, _ in
                       s.metrics?.omni.firstReflectionLevel ?? missing(s) },
            Metric(key: "imaging", short: "imaging", label: "imaging", unit: "dB", format: "%.1f", better: .higher,
                   why: "direct sound over the first 20 ms of reflections: higher images more precisely (Toole 2008, ch. 6)") { s, _ in
                       s.metrics?.soundstage.imaging ?? missing(s) },
            Metric(key: "width", short: "width", label: "width (1 − IACC_E3)", unit: "", format: "%.2f", better: .higher,
                   why: "apparent source width (Hidaka, Beranek & Okano 1995): higher is wider") { s, _ in
                       s.metrics?.soundstage.width ?? missing(s) },
            Metric(key: "envelopment", short: "envelop", label: "envelopment (late lateral)", unit: "", format: "%.2f", better: .higher,
                   why: "late lateral energy fraction (Bradley & Soulodre 1995): higher envelops more; 1/3 is diffuse") { s, _ in
                       s.metrics?.soundstage.envelopment ?? missing(s) },
            Metric(key: "bassDeviation", short: "bass σ", label: "bass σ 20–300 Hz", unit: "dB", format: "%.1f", better: .lower,
                   why: "spread of the 1/6-octave level 20–300 Hz (Cox, D'Antonio & Avis 2004): lower is even bass") { s, _ in
                       s.metrics?.soundstage.bass ?? .missing("no bass figure") },
            Metric(key: "bassDip", short: "bass dip", label: "deepest bass dip", unit: "dB", format: "%+.1f", better: .higher,
                   why: "the 1/6-octave level's lowest point 20–300 Hz re its mean: a boundary notch or a mode's null; shallower (higher) is better") { s, scene in
                       SetupComparison.deepestDip(s.deterministic, sampleRate: Double(s.rir.audio.sampleRate)).level },
            Metric(key: "bassDipHz", short: "dip Hz", label: "deepest bass dip at", unit: "Hz", format: "%.0f", better: .neither,
                   why: "where that dip lies") { s, scene in SetupComparison.deepestDip(s.deterministic, sampleRate: Double(s.rir.audio.sampleRate)).frequency },
        ]
    }()

    /// The lowest point of the 1/6-octave smoothed level over 20–300 Hz (`BassMap.smoothed`), in dB
    /// re the mean of that level, and its frequency.
    public static func deepestDip(_ rir: [Float], sampleRate fs: Double) -> (level: Parameter, frequency: Parameter) {
        guard rir.contains(where: { $0 != 0 }) else { return (.missing("silent response"), .missing("silent response")) }
        let frequencies = BassMap.logFrequencies(from: BassMap.lowest, to: BassMap.highest, perOctave: 48)
        let smooth = BassMap.smoothed(BassMap.levels(impulseResponse: rir, sampleRate: fs, at: frequencies), frequencies: frequencies)
        let mean = smooth.reduce(0, +) / Double(smooth.count)
        let i = smooth.indices.min { smooth[$0] < smooth[$1] }!
        return (.of(smooth[i] - mean), .of(frequencies[i]))
    }

    // MARK: Outputs

    /// One row per setup's speaker: room, speaker, nearest surface, then per metric its value and
    /// its spread (empty where none), RFC 4180 quoting.
    public func csv() -> String {
        func quoted(_ s: String) -> String { s.contains(where: { ",\"\n".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        var header = ["room", "speaker", "nearestSurface"]
        for m in Self.metrics {
            let unit = m.unit.isEmpty ? "" : "_" + (m.unit == "°" ? "deg" : m.unit)
            header += [m.key + unit, m.key + "_spread"]
        }
        var lines = [header.joined(separator: ",")]
        for e in entries {
            var row = [quoted(e.room), quoted(e.speaker), quoted(e.nearestSurface ?? "")]
            for m in Self.metrics {
                let p = e.metrics[m.key]
                row += [p?.value.map { String(format: "%.6g", $0) } ?? "", p?.uncertainty.map { String(format: "%.3g", $0) } ?? ""]
            }
            lines.append(row.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The entries with the metrics' definitions (unit, which way is better, why).
    public func json() throws -> Data {
        struct Definition: Codable { var key, label, unit: String; var better: Better; var why: String }
        struct File: Codable { var soundstageVersion: String; var metrics: [Definition]; var setups: [Entry] }
        let file = File(soundstageVersion: SoundstageVersion.string,
                        metrics: Self.metrics.map { Definition(key: $0.key, label: $0.label, unit: $0.unit, better: $0.better, why: $0.why) },
                        setups: entries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(file)
    }

    /// The terminal table: metrics as rows and setups as columns for up to `maxColumns` setups,
    /// else setups as rows (compact headers), so six rooms stay within a terminal. A value within
    /// the counting noise of the first setup's value for the same speaker is marked ≈; ↑/↓ says
    /// which way is better.
    public func table(maxColumns: Int = 4) -> String {
        let metrics = Self.metrics
        var anyAlike = false
        func cell(_ i: Int, _ m: Metric) -> String {
            let e = entries[i]
            guard let p = e.metrics[m.key] else { return "—" }
            var text = (p.uncertainty == nil ? p.formatted(m.format) : p.formattedWithUncertainty(m.format)) + (e.marks[m.key] ?? "")
            if m.key == "nearestWall", let name = e.nearestSurface, p.value != nil { text = name + " " + text }
            if let first = entries.firstIndex(where: { $0.speaker == e.speaker }), first != i,
               let q = entries[first].metrics[m.key], p.isIndistinguishable(from: q) {
                anyAlike = true
                text += Parameter.alikeMark
            }
            return text
        }
        func arrow(_ m: Metric) -> String { m.better == .higher ? " ↑" : m.better == .lower ? " ↓" : "" }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s.padding(toLength: n, withPad: " ", startingAt: 0) }
        var lines: [String] = []
        if entries.count <= maxColumns {
            let names = entries.map { "\($0.room) \($0.speaker)" }
            let cells = entries.indices.map { i in metrics.map { cell(i, $0) } }
            let width = max(12, (names + cells.flatMap { $0 }).map(\.count).max()! + 2)
            let labels = metrics.map { $0.label + ($0.unit.isEmpty ? "" : " (\($0.unit))") + arrow($0) }
            let first = labels.map(\.count).max()! + 2
            lines.append(pad("", first) + names.map { pad($0, width) }.joined())
            for (k, label) in labels.enumerated() { lines.append(pad(label, first) + cells.map { pad($0[k], width) }.joined()) }
        } else {
            let shown = metrics.filter { !["distance", "azimuth", "nearestWall", "T30_500", "D50_1k", "bassDipHz"].contains($0.key) }
            let names = entries.map { "\($0.room) \($0.speaker)" }
            let first = names.map(\.count).max()! + 2
            let cells = entries.indices.map { i in shown.map { m -> String in
                let t = cell(i, m)
                return m.key == "bassDip" ? t + " @" + (entries[i].metrics["bassDipHz"]?.formatted("%.0f") ?? "—") : t
            } }
            let headers = shown.map { $0.short + arrow($0) }
            let widths = shown.indices.map { k in max(headers[k].count, cells.map { $0[k].count }.max()!) + 2 }
            lines.append(pad("", first) + headers.indices.map { pad(headers[$0], widths[$0]) }.joined())
            for (i, name) in names.enumerated() { lines.append(pad(name, first) + cells[i].indices.map { pad(cells[i][$0], widths[$0]) }.joined()) }
            lines.append("units: T30, EDT s; C80, DRR, 1st refl, imaging, bass σ, bass dip dB (dip @ Hz); ITDG ms")
        }
        lines.append("↑ higher is better, ↓ lower is better (docs/COMMANDS.md, compare)")
        if entries.contains(where: { $0.metrics.values.contains { $0.uncertainty != nil } }) { lines.append(Parameter.uncertaintyNote) }
        if anyAlike { lines.append(Parameter.alikeNote) }
        let marks = entries.flatMap { $0.marks.values }.joined()
        if marks.contains(BandParameters.curvedMark) { lines.append(BandParameters.curvedNote) }
        if marks.contains(BandParameters.cutMark) { lines.append(BandParameters.cutNote) }
        return lines.joined(separator: "\n")
    }
}

extension SetupComparison {
    /// `compare.png` of `results` (`Plots.comparison`): each setup's speakers summed at the seat
    /// (their wave-joined deterministic responses, the same for every seed), and the early pattern
    /// of each setup's first speaker.
    public static func plot(_ results: [RoomSimulation]) -> PNGImage? {
        guard let first = results.first, let rate = first.speakers.first?.rir.audio.sampleRate else { return nil }
        let bass: [(label: String, response: [Float])] = results.map { r in
            let n = r.speakers.map(\.deterministic.count).max() ?? 0
            var sum = [Float](repeating: 0, count: n)
            for s in r.speakers { for (i, v) in s.deterministic.enumerated() { sum[i] += v } }
            return (r.scene.name, sum)
        }
        let early = results.map { r in (label: r.scene.name, pattern: EarlyPattern.compute(scene: r.scene, speaker: 0)) }
        let speaker = first.scene.speakers[0].name
        return Plots.comparison(bass: bass, sampleRate: rate, early: early, earlySpeaker: speaker,
                                title: "compare: " + results.map(\.scene.name).joined(separator: " · "))
    }

    /// Writes `compare.csv`, `compare.json` and (with `plot`) `compare.png` into `folder`, each
    /// whole or not at all; returns the paths written.
    @discardableResult
    public func write(into folder: String, results: [RoomSimulation], plot: Bool) throws -> [String] {
        try FileError.createFolder(folder)
        let path = { (name: String) in (folder as NSString).appendingPathComponent(name) }
        try AtomicFile.write(Data(csv().utf8), to: path("compare.csv"))
        try AtomicFile.write(try json(), to: path("compare.json"))
        var written = [path("compare.csv"), path("compare.json")]
        if plot, results.allSatisfy({ $0.speakers.allSatisfy { $0.rir.audio.sampleRate == results[0].speakers[0].rir.audio.sampleRate } }),
           let image = Self.plot(results) {
            try image.write(to: path("compare.png"))
            written.append(path("compare.png"))
        }
        return written
    }
}
