// soundstage-validate: the simulation against a measured room, BRAS CR2 (`make validate`; issue #9).
// Not a test: it prints a table, writes it as CSV and a PNG plot, and exits non-zero when a band
// misses the target, but it is not part of `make test` (it takes about a minute and a half).
//
// All 2 × 5 source–receiver pairs of the BRAS CR2 measurement are simulated with omni receivers
// (image sources + ray tracing, air at the measured 19.5 °C / 41.7 % RH from the room file),
// analysed with `soundstage analyze`'s code (ISO 3382-1, octave bands) and averaged over the pairs
// as BRAS averages its measurements — three times with different seeds (`--realizations`), so the
// simulation's own randomness (at 125 Hz ±0.7 dB in C80 for one realization) does not decide a
// band; the realizations' spread is printed. Measured octave values are the arithmetic mean of the
// three third-octave values in each octave (ISO 3382-2:2008 §A.2 derives octave values from
// third-octave ones by averaging); the value of the centre third-octave alone is shown beside it,
// and for EDT and T20 also what an octave filter would read from decays like the measured
// third-octaves (`octaveFilterEquivalent`): where T jumps within an octave the two differ widely.
// The simulation is also read like the measurement (`analyze --bands third`, mean of the thirds),
// a third-octave table and figure compare simulation, measurement and Eyring's formula from the room
// file's own third-octave absorption (which BRAS fitted to reproduce the measured decay), and the
// ray-traced field's own T20 is printed beside Eyring's. `--minimum-scattering S` is a sensitivity
// study (every surface scatters at least S), written to its own folder.
import Foundation
import Soundstage

struct Options {
    var room = "rooms/bras-cr2.json"
    var measured = "rooms/bras-cr2/measured"
    var out = "Renders/validation"
    var rays: Int?
    var threads = defaultThreadCount
    /// Independent realizations of the stochastic parts (ray directions, tail) per pair.
    var realizations = 3
    /// Sensitivity study only (not the validation): every surface scatters at least this much.
    var minimumScattering: Double?
    /// How `analyze`'s band filters are applied to the simulated responses: zero-phase, as the
    /// ITA-Toolbox's `ita_roomacoustics` does by default (RWTH Aachen's ITA measured CR2; BRAS does
    /// not say how its parameters were computed, but with causal filters the simulation's
    /// third-octave C80 at 100–315 Hz sits 2 dB below the measured one in every third, because a
    /// third-octave filter delays energy by 10–31 ms there, and zero-phase that offset is gone).
    var filtering = BandFiltering.zeroPhase
}

func parseOptions() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst().makeIterator()
    while let a = args.next() {
        switch a {
        case "--room": o.room = args.next() ?? o.room
        case "--measured": o.measured = args.next() ?? o.measured
        case "-o", "--out-dir": o.out = args.next() ?? o.out
        case "--rays": o.rays = args.next().flatMap(Int.init)
        case "--threads": o.threads = args.next().flatMap(Int.init) ?? o.threads
        case "--realizations": o.realizations = max(1, args.next().flatMap(Int.init) ?? o.realizations)
        case "--minimum-scattering": o.minimumScattering = args.next().flatMap(Double.init)
        case "--filtering": o.filtering = args.next().flatMap(BandFiltering.init(rawValue:)) ?? o.filtering
        default:
            FileHandle.standardError.write(Data("usage: SoundstageValidate [--room FILE] [--measured DIR] [-o DIR] [--rays N] [--threads N] [--realizations N] [--minimum-scattering S] [--filtering causal|zero-phase]\n".utf8))
            exit(2)
        }
    }
    return o
}

/// BRAS receivers MP01–MP05 (RAVEN's y-up frame, from Scene09_Informed.rpf), mapped to z-up with
/// (x, y, z) → (x, −z, y) like the AC3D geometry (`"up": "y"`).
let receivers: [(String, Vec3)] = [
    ("MP01", Vec3(-0.993, 1.426, 1.230)), ("MP02", Vec3(0.439, -0.147, 1.230)), ("MP03", Vec3(1.361, -0.603, 1.230)),
    ("MP04", Vec3(-1.110, -0.256, 1.230)), ("MP05", Vec3(-0.998, -1.409, 1.230)),
]
let bands: [(label: String, hertz: Double)] = [("125", 125), ("250", 250), ("500", 500), ("1k", 1000), ("2k", 2000), ("4k", 4000)]

/// A parameter compared with its just-noticeable difference (ISO 3382-1 Table A.1).
struct Quantity {
    let name: String, file: String, unit: String
    let scale: Double        // measured file unit → ours (D50 % → fraction)
    let relativeJND: Bool    // EDT, T20: 5 % of the value
    let jnd: Double
    let pick: (BandParameters) -> Double?
}
let quantities = [
    Quantity(name: "EDT", file: "CR2_EDT.txt", unit: "s", scale: 1, relativeJND: true, jnd: 0.05) { $0.EDT.value },
    Quantity(name: "T20", file: "CR2_T20.txt", unit: "s", scale: 1, relativeJND: true, jnd: 0.05) { $0.T20.value },
    Quantity(name: "C80", file: "CR2_C80.txt", unit: "dB", scale: 1, relativeJND: false, jnd: 1) { $0.C80.value },
    Quantity(name: "D50", file: "CR2_D50.txt", unit: "", scale: 0.01, relativeJND: false, jnd: 0.05) { $0.D50.value },
]

/// Third-octave rows of a BRAS measured file: (frequencies, values).
func readMeasured(_ path: String) throws -> [(hertz: Double, value: Double)] {
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline)
    guard lines.count >= 2 else { throw NSError(domain: "validate", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(path): expected two lines"]) }
    let f = lines[0].split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    let v = lines[1].split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard f.count == v.count, !f.isEmpty else { throw NSError(domain: "validate", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(path): rows differ in length"]) }
    return Array(zip(f, v)).map { (hertz: $0.0, value: $0.1) }
}

/// The octave value: mean of the third-octaves whose centres lie within the octave (nominal
/// centres f·2^(−1/3), f, f·2^(1/3), matched on a log scale), and the centre third alone.
func octave(_ rows: [(hertz: Double, value: Double)], _ f: Double) -> (mean: Double, centre: Double) {
    let inside = rows.filter { abs(log2($0.hertz / f)) < 0.5 }
    let centre = rows.min { abs(log2($0.hertz / f)) < abs(log2($1.hertz / f)) }!
    return (inside.map(\.value).reduce(0, +) / Double(inside.count), centre.value)
}

/// What an octave-band analysis would read from a room whose third-octave bands decay like
/// `rows` (reverberation times per third-octave): white noise split into third-octave sub-bands
/// (`BandFilterBank.SubBands`, decay rates interpolated linearly in log frequency between the
/// given centres), each decaying at its rate, summed and analysed by `soundstage analyze`'s code;
/// mean of `seeds` noise signals. Where T changes steeply within an octave (CR2: 1.35 s at 250 Hz,
/// 1.87 s at 315 Hz) the octave filter reads the slow part's decay, not the mean of the thirds.
func octaveFilterEquivalent(_ rows: [(hertz: Double, value: Double)], pick: (BandParameters) -> Double?, seeds: Int = 8) -> [String: Double] {
    let fs = 48000.0, frames = 3 * 48000
    let grid = BandFilterBank.SubBands(perOctave: 3)
    let logF = rows.map { log2($0.hertz) }, rates = rows.map { 1 / $0.value }
    func rate(_ f: Double) -> Double {
        let x = log2(f)
        if x <= logF[0] { return rates[0] }
        if x >= logF[logF.count - 1] { return rates[rates.count - 1] }
        let i = logF.lastIndex { $0 <= x }!
        let u = (x - logF[i]) / (logF[i + 1] - logF[i])
        return (1 - u) * rates[i] + u * rates[i + 1]
    }
    let size = FFTSize.good(atLeast: frames)
    let fft = RealFFT(size: size)
    let weights = BandFilterBank.weights(grid, size: size, sampleRate: fs)
    var sums = [String: Double](), counts = [String: Int]()
    for seed in 0..<seeds {
        var rng = SplitMix64Generator(seed: 0x4252_4153 + UInt64(seed)) // "BRAS"
        var noise = [Float](repeating: 0, count: size)
        for i in 0..<frames { noise[i] = Float(rng.gaussian()) }
        let spectrum = fft.forward(noise)
        var signal = [Float](repeating: 0, count: frames)
        for k in 0..<grid.count {
            var s = spectrum
            for i in 0..<fft.binCount { s[2 * i] *= weights[k][i]; s[2 * i + 1] *= weights[k][i] }
            let band = fft.inverse(s)
            let r = 6.9078 * rate(grid.centres[k]) / fs // amplitude: 60 dB per T
            for i in 0..<frames { signal[i] += band[i] * Float(exp(-r * Double(i))) }
        }
        let analysis = ImpulseResponseAnalyzer.analyze(AudioBuffer(sampleRate: Int(fs), channels: [signal]), filtering: options.filtering)
        for (label, p) in analysis.bands {
            if let t = pick(p) { sums[label, default: 0] += t; counts[label, default: 0] += 1 }
        }
    }
    return sums.reduce(into: [String: Double]()) { $0[$1.key] = $1.value / Double(counts[$1.key]!) }
}

// `SoundstageValidate bass ROOM.json OUT.png`: the seat's bass (omni, all speakers summed) with the
// wave part and without it (the geometric hybrid alone), for the README.
if CommandLine.arguments.count == 4 && CommandLine.arguments[1] == "bass" {
    let scene = try RoomFile.load(path: CommandLine.arguments[2])
    var curves: [(label: String, response: [Float])] = []
    var crossover: Double?
    for (label, wave) in [("geometric only (before)", SimulationOptions.WaveOption.off), ("with wave part (after)", nil)] {
        let simulator = try Simulator(scene: scene, options: SimulationOptions(reflectionsOrder: 0, wave: wave), binaural: false)
        let room = try simulator.run()
        var sum = [Float](repeating: 0, count: simulator.plan.frames)
        for s in room.speakers { for (i, v) in s.rir.audio.channels[0].enumerated() { sum[i] += v } }
        curves.append((label, sum))
        if wave == nil { crossover = simulator.wavePlan.flatMap { $0.enabled ? $0.crossover : nil } }
    }
    try Plots.bass(curves, sampleRate: scene.simulation.sampleRate, title: "\(scene.name): the seat's bass, all speakers (omni)",
                   crossover: crossover).write(to: CommandLine.arguments[3])
    print("wrote \(CommandLine.arguments[3])")
    exit(0)
}

let options = parseOptions()
let start = Date()
var scene = try RoomFile.load(path: options.room)
if let r = options.rays { scene.simulation.rays = .value(r) }
if let floor = options.minimumScattering {
    // A what-if, not the validation: how diffuse the room must be for the measured decay.
    for i in scene.surfaces.indices { scene.surfaces[i].material.scattering = scene.surfaces[i].material.scattering.map { max($0, floor) } }
    print(String(format: "SENSITIVITY STUDY: every surface's scattering raised to at least %.2f (not the BRAS data)", floor))
}
let baseSeed = scene.simulation.seed
/// results[realization][pair]: the octave-band and the third-octave-band analyses of one response.
var results: [[(octaves: [String: BandParameters], thirds: [String: BandParameters])]] = Array(repeating: [], count: options.realizations)
/// The ray-traced field's own T20 per engine band (Schroeder integral of its energy histogram), summed over all responses.
var fieldT20 = [Double](repeating: 0, count: FrequencyBands.octaves.count), fieldCount = 0
for realization in 0..<options.realizations {
    scene.simulation.seed = baseSeed &+ UInt64(realization)
    for (name, position) in receivers {
        scene.listener.position = position
        // The library's façade, omni only (the measurement is omnidirectional).
        let simulator = try Simulator(scene: scene, options: SimulationOptions(threads: options.threads, reflectionsOrder: 0), binaural: false)
        let plan = simulator.plan
        for (i, speaker) in scene.speakers.enumerated() {
            let t0 = Date()
            let result = simulator.synthesize(simulator.propagate(speaker: i), speaker: i, binaural: nil)
            let buffer = result.rir.audio
            if let field = result.propagation.rays?.field {
                for b in 0..<field.bandCount {
                    let e = (0..<field.binCount).map { field.energy(band: b, bin: $0) }
                    fieldT20[b] += DecayCurve(energy: e, sampleRate: 1 / field.binSeconds).reverberationTime(upper: -5, lower: -25).value ?? .nan
                }
                fieldCount += 1
            }
            results[realization].append((ImpulseResponseAnalyzer.analyze(buffer, filtering: options.filtering).bands,
                                         ImpulseResponseAnalyzer.analyze(buffer, bands: .thirdOctaves, filtering: options.filtering).bands))
            FileHandle.standardError.write(Data(String(format: "seed %llu %@–%@: %d rays, %.1f s\n", scene.simulation.seed, speaker.name, name,
                                                       plan.rays, Date().timeIntervalSince(t0)).utf8))
        }
    }
}
let pairs = results[0].count

struct Row {
    let quantity: String, band: String, simulated: Double, measured: Double, centreThird: Double, difference: Double, jnds: Double
    /// The simulation read like the measurement: mean of its three third-octave values.
    let simulatedThirds: Double
    /// Standard deviation of the realizations' means (the simulation's own randomness).
    let spread: Double
    /// EDT, T20: what an octave filter would read from decays like the measured third-octaves.
    let octaveFilter: Double?
}
var rows: [Row] = []
for q in quantities {
    let measured = try readMeasured("\(options.measured)/\(q.file)")
    let filtered = q.relativeJND ? octaveFilterEquivalent(measured, pick: q.pick) : [:]
    for band in bands {
        // The octave filter's reading (graded, as the issue asks: `analyze`'s octave bands), and
        // the simulation read like the measurement: the mean of its three third-octave values.
        let thirds = FrequencyBands.thirdOctaves.indices(within: FrequencyBands.octaves.labels.firstIndex(of: band.label)!, of: .octaves)
            .map { FrequencyBands.thirdOctaves.labels[$0] }
        let means = results.map { pairs in
            let values = pairs.compactMap { $0.octaves[band.label].flatMap(q.pick) }
            return values.reduce(0, +) / Double(max(1, values.count))
        }
        let thirdMeans = results.map { pairs in
            let values = pairs.compactMap { p -> Double? in
                let v = thirds.compactMap { p.thirds[$0].flatMap(q.pick) }
                return v.count == thirds.count ? v.reduce(0, +) / Double(v.count) : nil
            }
            return values.reduce(0, +) / Double(max(1, values.count))
        }
        let simThirds = thirdMeans.reduce(0, +) / Double(thirdMeans.count)
        let sim = means.reduce(0, +) / Double(means.count)
        let spread = means.count > 1 ? (means.map { ($0 - sim) * ($0 - sim) }.reduce(0, +) / Double(means.count - 1)).squareRoot() : 0
        let m = octave(measured, band.hertz)
        let meas = m.mean * q.scale
        let diff = q.relativeJND ? (sim / meas - 1) : (sim - meas)
        rows.append(Row(quantity: q.name, band: band.label, simulated: sim, measured: meas, centreThird: m.centre * q.scale,
                        difference: diff, jnds: diff / q.jnd, simulatedThirds: simThirds, spread: spread, octaveFilter: filtered[band.label]))
    }
}

/// Third-octave comparison: the simulated third-octave values (mean over pairs and realizations)
/// beside the measured ones, for the thirds 100 Hz – 5 kHz.
var thirdRows: [(quantity: String, band: String, simulated: Double, measured: Double)] = []
for q in quantities {
    let measured = try readMeasured("\(options.measured)/\(q.file)")
    for (k, label) in FrequencyBands.thirdOctaves.labels.enumerated() {
        let f = FrequencyBands.thirdOctaves.centres[k]
        guard f > 88, f < 5657, let m = measured.min(by: { abs(log2($0.hertz / f)) < abs(log2($1.hertz / f)) }),
              abs(log2(m.hertz / f)) < 1.0 / 6 else { continue }
        let values = results.flatMap { $0.compactMap { $0.thirds[label].flatMap(q.pick) } }
        thirdRows.append((q.name, label, values.reduce(0, +) / Double(max(1, values.count)), m.value * q.scale))
    }
}
/// Eyring's RT60 per third-octave from the room file's own third-octave absorption (the materials
/// before their reduction to octaves) and the mesh's areas: BRAS fitted its absorption so that this
/// reproduces the measured decay. Keyed by the nominal frequency as written in the room file.
@MainActor func eyringPerThird() throws -> [Double: Double] {
    let root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: options.room))) as? [String: Any] ?? [:]
    let materials = root["materials"] as? [String: Any] ?? [:], surfaceMap = root["surfaces"] as? [String: String] ?? [:]
    var areaByMaterial: [String: Double] = [:]
    for surface in scene.surfaces { areaByMaterial[surfaceMap[surface.name] ?? surface.name, default: 0] += surface.polygon.area }
    var absorptionArea: [Double: Double] = [:]
    for (name, area) in areaByMaterial {
        guard let table = (materials[name] as? [String: Any])?["absorption"] as? [String: Double] else { return [:] }
        for (hertz, alpha) in table { if let f = Double(hertz) { absorptionArea[f, default: 0] += area * alpha } }
    }
    let total = scene.surfaceArea
    return absorptionArea.reduce(into: [:]) { result, entry in
        let m = AirAbsorption.energyCoefficient(hertz: entry.key, air: scene.air)
        result[entry.key] = ReverberationFormula.eyring(volume: scene.volume, area: total, meanAbsorption: entry.value / total,
                                                        airCoefficient: m, speedOfSound: scene.air.speedOfSound)
    }
}
let thirdEyring = try eyringPerThird()
@MainActor func eyringNear(_ f: Double) -> Double? {
    thirdEyring.min { abs(log2($0.key / f)) < abs(log2($1.key / f)) }.flatMap { abs(log2($0.key / f)) < 1.0 / 6 ? $0.value : nil }
}

// The table.
print("BRAS CR2 (seminar room, RWTH Aachen): simulated (mean of \(pairs) source–receiver pairs × \(options.realizations) realizations) vs measured")
print("measured octave = mean of its three third-octaves (centre third-octave alone in brackets); JND: EDT, T20 5 %, C80 1 dB, D50 0.05")
print("band filters: \(options.filtering.rawValue)" + (options.filtering == .zeroPhase ? " (the ITA-Toolbox's default; --filtering causal for forward filters)" : ""))
print("simulated: `analyze`'s octave filters (graded: JND against the measured mean of thirds); (sim. ⅓): the simulation read like the")
print("measurement, mean of its three third-octaves, JND (⅓) against the measured mean; σ: standard deviation of the realizations' means;")
print("(oct.filter): what an octave filter reads from decays like the measured third-octaves (white noise per third-octave at its")
print("measured EDT or T20), JND (o.f.) against it")
for q in quantities {
    print("")
    print("\(q.name)" + (q.unit.isEmpty ? "" : " (\(q.unit))").padding(toLength: 14 - q.name.count, withPad: " ", startingAt: 0) + bands.map { $0.label.padding(toLength: 9, withPad: " ", startingAt: 0) }.joined())
    let r = rows.filter { $0.quantity == q.name }
    let fmt = q.name == "D50" ? "%-9.2f" : (q.name == "C80" ? "%-9.1f" : "%-9.2f")
    print("  simulated   " + r.map { String(format: fmt, $0.simulated) }.joined())
    print("  (sim. ⅓)    " + r.map { String(format: fmt, $0.simulatedThirds) }.joined())
    if options.realizations > 1 { print("  σ           " + r.map { String(format: fmt, $0.spread) }.joined()) }
    print("  measured    " + r.map { String(format: fmt, $0.measured) }.joined())
    print("  (centre ⅓)  " + r.map { String(format: fmt, $0.centreThird) }.joined())
    if r.contains(where: { $0.octaveFilter != nil }) {
        print("  (oct.filter)" + r.map { $0.octaveFilter.map { String(format: fmt, $0) } ?? "-        " }.joined())
    }
    print("  difference  " + r.map { (q.relativeJND ? String(format: "%+.1f %%", $0.difference * 100)
                                               : String(format: q.name == "D50" ? "%+.3f" : "%+.2f", $0.difference)).padding(toLength: 9, withPad: " ", startingAt: 0) }.joined())
    print("  JND         " + r.map { String(format: "%+.2f", $0.jnds).padding(toLength: 9, withPad: " ", startingAt: 0) }.joined())
    print("  JND (⅓)     " + r.map { String(format: "%+.2f", (q.relativeJND ? $0.simulatedThirds / $0.measured - 1 : $0.simulatedThirds - $0.measured) / q.jnd)
        .padding(toLength: 9, withPad: " ", startingAt: 0) }.joined())
    if r.contains(where: { $0.octaveFilter != nil }) {
        print("  JND (o.f.)  " + r.map { row in row.octaveFilter.map { String(format: "%+.2f", (row.simulated / $0 - 1) / q.jnd) } ?? "-" }
            .map { $0.padding(toLength: 9, withPad: " ", startingAt: 0) }.joined())
    }
}
print("")
print("Third-octaves, simulated / measured (the simulation's materials are octave values: within an octave it interpolates);")
print("Eyring: RT60 from the room file's third-octave absorption, the mesh's areas and ISO 9613-1 air")
print("  band      " + quantities.map { ($0.name + ($0.unit.isEmpty ? "" : " (\($0.unit))")).padding(toLength: 14, withPad: " ", startingAt: 0) }.joined() + "Eyring (s)")
for (k, label) in FrequencyBands.thirdOctaves.labels.enumerated() where thirdRows.contains(where: { $0.band == label }) {
    print("  " + label.padding(toLength: 8, withPad: " ", startingAt: 0) + quantities.map { q in
        let r = thirdRows.first { $0.quantity == q.name && $0.band == label }!
        return String(format: q.name == "C80" ? "%.1f / %.1f" : "%.2f / %.2f", r.simulated, r.measured).padding(toLength: 14, withPad: " ", startingAt: 0)
    }.joined() + (eyringNear(FrequencyBands.thirdOctaves.centres[k]).map { String(format: "%.2f", $0) } ?? "-"))
}
let eyring = scene.statisticalRT60().eyring
print("")
print("T20 of the ray-traced field (its own energy histogram) and Eyring's RT60 from the same materials:")
print("  band        " + bands.map { $0.label.padding(toLength: 9, withPad: " ", startingAt: 0) }.joined())
let bandIndex = bands.map { b in FrequencyBands.octaves.labels.firstIndex(of: b.label)! }
print("  field T20   " + bandIndex.map { String(format: "%-9.2f", fieldT20[$0] / Double(max(1, fieldCount))) }.joined())
print("  Eyring      " + bandIndex.map { String(format: "%-9.2f", eyring[$0]) }.joined())
let failures = rows.filter { abs($0.jnds) > ($0.band == "125" ? 2 : 1) }
let seconds = Date().timeIntervalSince(start)
print("")
print(failures.isEmpty ? "PASS: every parameter within 1 JND at 250 Hz – 4 kHz and 2 JND at 125 Hz"
      : "MISS: " + failures.map { String(format: "%@ %@ Hz %+.2f JND", $0.quantity, $0.band, $0.jnds) }.joined(separator: ", "))
print(String(format: "run time %.1f s (%d pairs × %d realizations, %d threads)", seconds, pairs, options.realizations, options.threads))

// CSV and plot.
// A sensitivity study writes beside the validation, never over it.
let folder = URL(fileURLWithPath: options.out).appendingPathComponent(
    options.minimumScattering.map { String(format: "bras-cr2-minimum-scattering-%.2f", $0) } ?? "bras-cr2")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
var csv = "parameter,band_hz,simulated,simulated_sd_realizations,simulated_mean_of_thirds,measured,measured_centre_third,measured_octave_filter,difference,difference_jnd\n"
for r in rows {
    csv += "\(r.quantity),\(r.band),\(r.simulated),\(r.spread),\(r.simulatedThirds),\(r.measured),\(r.centreThird),\(r.octaveFilter.map { String($0) } ?? ""),\(r.difference),\(r.jnds)\n"
}
try AtomicFile.write(Data(csv.utf8), to: folder.appendingPathComponent("comparison.csv").path)
var thirdsCSV = "parameter,third_octave_hz,simulated,measured,eyring_rt60\n"
for r in thirdRows {
    let k = FrequencyBands.thirdOctaves.labels.firstIndex(of: r.band)!
    thirdsCSV += "\(r.quantity),\(r.band),\(r.simulated),\(r.measured),\(eyringNear(FrequencyBands.thirdOctaves.centres[k]).map { String($0) } ?? "")\n"
}
try AtomicFile.write(Data(thirdsCSV.utf8), to: folder.appendingPathComponent("third-octaves.csv").path)

let canvas = Canvas(width: 1600, height: 1000)
canvas.text("BRAS CR2 — simulated (\(pairs) pairs × \(options.realizations) realizations) vs measured; shaded: ±1 JND around the mean of thirds",
            x: 60, y: 36, size: 20)
let blue = Color(0.15, 0.3, 0.75), green = Color(0.1, 0.55, 0.3), orange = Color(0.85, 0.35, 0.1)
/// An open circle (the octave-filter reading), drawn as a closed polyline.
@MainActor func ring(_ x: Double, _ y: Double, radius: Double, color: Color) {
    canvas.polyline((0..<24).map { k in (x + radius * cos(Double(k) * .pi / 12), y + radius * sin(Double(k) * .pi / 12)) },
                    color: color, width: 2.5, closed: true)
}
for (k, q) in quantities.enumerated() {
    let r = rows.filter { $0.quantity == q.name }
    let values = r.flatMap { [$0.simulated, $0.measured] + ($0.octaveFilter.map { [$0] } ?? []) }
    let pad = q.relativeJND ? 0.15 * (values.max()! ) : q.jnd * 1.5
    let lo = values.min()! - pad, hi = values.max()! + pad
    let panel = PlotPanel(x: 110 + Double(k % 2) * 780, y: 120 + Double(k / 2) * 440, width: 640, height: 320,
                          xRange: 88...5657, yRange: lo...hi, logX: true)
    panel.drawAxes(on: canvas, title: q.name, xLabel: "octave band (Hz)", yLabel: q.unit.isEmpty ? q.name : "\(q.name) (\(q.unit))")
    for (i, row) in r.enumerated() {
        let x = panel.px(bands[i].hertz)
        let band = q.relativeJND ? row.measured * q.jnd : q.jnd
        canvas.fillRect(x: x - 14, y: panel.py(min(hi, row.measured + band)), width: 28,
                        height: panel.py(max(lo, row.measured - band)) - panel.py(min(hi, row.measured + band)), color: Color(0.2, 0.4, 0.8, 0.18))
        canvas.fillCircle(x: x, y: panel.py(row.measured), radius: 6, color: blue)
        if let o = row.octaveFilter { ring(x, panel.py(o), radius: 7, color: green) }
    }
    canvas.polyline(r.enumerated().map { (panel.px(bands[$0.offset].hertz), panel.py($0.element.simulated)) }, color: orange, width: 3)
    for (i, row) in r.enumerated() { canvas.fillCircle(x: panel.px(bands[i].hertz), y: panel.py(row.simulated), radius: 5, color: orange) }
}
// Legend, item after item.
var legendX = 66.0
for (label, mark) in [("measured (mean of its three third-octaves)", 0), ("what an octave filter reads from the measured third-octave decays", 1),
                      ("simulated", 2)] {
    switch mark {
    case 0: canvas.fillCircle(x: legendX, y: 64, radius: 6, color: blue)
    case 1: ring(legendX, 64, radius: 7, color: green)
    default: canvas.fillRect(x: legendX - 10, y: 62, width: 22, height: 4, color: orange)
    }
    canvas.text(label, x: legendX + 14, y: 70, size: 16)
    legendX += 14 + canvas.textWidth(label, size: 16) + 40
}
try canvas.image(text: ["Title": "BRAS CR2 validation", "Software": "Soundstage \(SoundstageVersion.string)"]).write(to: folder.appendingPathComponent("comparison.png").path)
// Third-octave figure: measured, simulated and (for T20) Eyring from the room file's own
// third-octave absorption — BRAS's fitted absorption makes Eyring reproduce the measured decay.
let thirdsCanvas = Canvas(width: 1600, height: 560)
thirdsCanvas.text("BRAS CR2 per third-octave — measured (dots), simulated (orange), Eyring from the fitted absorption (grey, T20)", x: 60, y: 36, size: 20)
for (k, name) in ["T20", "EDT"].enumerated() {
    let q = quantities.first { $0.name == name }!
    let r = thirdRows.filter { $0.quantity == name }
    let centres = r.map { FrequencyBands.thirdOctaves.centres[FrequencyBands.thirdOctaves.labels.firstIndex(of: $0.band)!] }
    let eyr = name == "T20" ? centres.map { eyringNear($0) } : []
    let values = r.flatMap { [$0.simulated, $0.measured] } + eyr.compactMap { $0 }
    let pad = q.relativeJND ? 0.1 * values.max()! : 1.0
    let panel = PlotPanel(x: 110 + Double(k) * 780, y: 90, width: 640, height: 360,
                          xRange: 88...5657, yRange: (values.min()! - pad)...(values.max()! + pad), logX: true)
    panel.drawAxes(on: thirdsCanvas, title: name, xLabel: "third-octave band (Hz)", yLabel: "\(q.name) (\(q.unit))")
    if name == "T20" {
        let points = zip(centres, eyr).compactMap { c, e in e.map { (panel.px(c), panel.py($0)) } }
        thirdsCanvas.polyline(points, color: Color(0.5, 0.5, 0.5), width: 2)
    }
    thirdsCanvas.polyline(zip(centres, r).map { (panel.px($0), panel.py($1.simulated)) }, color: orange, width: 3)
    for (c, row) in zip(centres, r) {
        thirdsCanvas.fillCircle(x: panel.px(c), y: panel.py(row.measured), radius: 5, color: blue)
    }
}
try thirdsCanvas.image(text: ["Title": "BRAS CR2 third-octaves", "Software": "Soundstage \(SoundstageVersion.string)"])
    .write(to: folder.appendingPathComponent("third-octaves.png").path)
print("wrote \(folder.path)/comparison.csv, third-octaves.csv, comparison.png and third-octaves.png")
exit(failures.isEmpty ? 0 : 1)
