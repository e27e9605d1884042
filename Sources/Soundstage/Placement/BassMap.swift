import Foundation

/// The bass one seat receives from many candidate speaker positions, from a single wave run.
///
/// By acoustic reciprocity the pressure at B from a monopole at A equals the pressure at A from the
/// same monopole at B (Rayleigh; Pierce, *Acoustics*, 1989, §7.1; for the discrete scheme with
/// locally reacting walls the update matrix is symmetric, and the solver's tests check it to 10⁻⁴).
/// So the wave solver (`WaveSolver`) is driven once at the seat and records at every candidate
/// position: each recording is that candidate's omnidirectional transfer function to the seat —
/// room modes and boundary interference included, for any room shape — which a placement search
/// otherwise pays one run per candidate for.
///
/// Levels are the steady-state magnitude |H(f)| on 1/48-octave points from 20 to 300 Hz, in dB re the
/// free-field level at 1 m (20 log₁₀ 4π|H|), so a level of 0 dB is what the speaker gives 1 m away
/// in open space.
public struct BassMap: Sendable {
    public let seat: Vec3
    public let positions: [Vec3]
    public let frequencies: [Double]
    /// levelsDB[candidate][frequency].
    public let levelsDB: [[Double]]

    public static let lowest = 20.0, highest = 300.0
    /// The wave part's crossover for the map: its excitation reaches 2 × 200 Hz, flat to 300 Hz.
    static let crossover = 200.0

    /// Runs the wave solver from `seat` and records at `positions` for `durationSeconds` (long
    /// enough for the room's low-frequency decay: the steady state is the response's whole spectrum).
    public static func compute(scene: Scene, seat: Vec3, positions: [Vec3], durationSeconds: Double, threads: Int = defaultThreadCount) -> BassMap {
        let c = scene.air.speedOfSound
        let spacing = c / (2 * crossover * 10)
        let grid = WaveGrid(scene: scene, spacing: spacing, crossover: crossover)
        let k = WaveField.timeStep(spacing: grid.spacing, speedOfSound: c)
        let steps = Int((durationSeconds / k).rounded(.up)) + 2
        let run = WaveSolver.run(grid: grid, speedOfSound: c, steps: steps, cutoff: 2 * crossover, source: seat, receivers: positions,
                                 highpass: 0, threads: threads)
        let frequencies = logFrequencies(from: lowest, to: highest, perOctave: 48)
        let levels = run.responses.map { spectrumLevels($0, timeStep: run.timeStep, at: frequencies) }
        return BassMap(seat: seat, positions: positions, frequencies: frequencies, levelsDB: levels)
    }

    /// Points `perOctave` to the octave from `from` to `to` Hz (both included, within rounding).
    static func logFrequencies(from: Double, to: Double, perOctave: Int) -> [Double] {
        let count = Int((log2(to / from) * Double(perOctave)).rounded()) + 1
        return (0..<count).map { from * exp2(Double($0) / Double(perOctave)) }
    }

    /// 20 log₁₀(4π |H(f)|) of a response sampled every `timeStep` seconds (continuous-time scale:
    /// H(f) = Σ h[m] e^{−2πi f m k} · k), by direct evaluation at each frequency.
    static func spectrumLevels(_ h: [Float], timeStep k: Double, at frequencies: [Double]) -> [Double] {
        frequencies.map { f in
            let w = 2 * Double.pi * f * k
            // Goertzel's recurrence for one bin: s[n] = x[n] + 2 cos w s[n−1] − s[n−2].
            var s1 = 0.0, s2 = 0.0
            let coefficient = 2 * cos(w)
            for x in h {
                let s = Double(x) + coefficient * s1 - s2
                s2 = s1; s1 = s
            }
            let re = s1 - s2 * cos(w), im = s2 * sin(w)
            let magnitude = (re * re + im * im).squareRoot() * k
            return 20 * log10(max(4 * Double.pi * magnitude, 1e-12))
        }
    }

    /// The levels (as `levelsDB`) of a discrete impulse response at `sampleRate` — a simulated RIR,
    /// whose samples are the continuous response × 1/fs (SPEC §2) — at `frequencies`.
    public static func levels(impulseResponse x: [Float], sampleRate fs: Double, at frequencies: [Double]) -> [Double] {
        spectrumLevels(x.map { $0 * Float(fs) }, timeStep: 1 / fs, at: frequencies)
    }

    /// `levels` smoothed over 1/6 octave (the mean power within ±1/12 octave of each point).
    public static func smoothed(_ levels: [Double], frequencies: [Double], fraction: Double = 6) -> [Double] {
        let powers = levels.map { pow(10, $0 / 10) }
        return frequencies.map { f in
            let lo = f * exp2(-0.5 / fraction), hi = f * exp2(0.5 / fraction)
            var sum = 0.0, count = 0
            for (g, p) in zip(frequencies, powers) where g >= lo && g <= hi { sum += p; count += 1 }
            return 10 * log10(sum / Double(max(count, 1)))
        }
    }

    /// The low-frequency smoothness term of RPG's Room Optimizer (Cox, D'Antonio & Avis 2004,
    /// "Room sizing and optimization at low frequencies", JAES 52(6)): the standard deviation, in dB,
    /// of the 1/6-octave smoothed level over 20–300 Hz. Lower is flatter.
    public static func deviation(_ levels: [Double], frequencies: [Double]) -> Double {
        let s = smoothed(levels, frequencies: frequencies)
        let mean = s.reduce(0, +) / Double(s.count)
        return (s.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(s.count)).squareRoot()
    }

    /// `deviation` of candidate `index`.
    public func deviation(of index: Int) -> Double { BassMap.deviation(levelsDB[index], frequencies: frequencies) }

    /// Consistency over a listening area: Welti & Devantier's mean spatial variance (2006, "Low-
    /// frequency optimization using multiple subwoofers", JAES 54(5)) — at each frequency the
    /// variance, across the seats of the area, of the level in dB, averaged over 20–300 Hz (dB²).
    /// `maps` are bass maps of the same candidate positions from each seat; 0 when every seat hears
    /// candidate `index` alike.
    public static func meanSpatialVariance(_ maps: [BassMap], candidate index: Int) -> Double {
        guard let first = maps.first, maps.count > 1 else { return 0 }
        let n = Double(maps.count)
        var total = 0.0
        for k in first.frequencies.indices {
            let levels = maps.map { $0.levelsDB[index][k] }
            let mean = levels.reduce(0, +) / n
            total += levels.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        }
        return total / Double(first.frequencies.count)
    }
}
