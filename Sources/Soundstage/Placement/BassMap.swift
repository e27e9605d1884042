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
    /// levelsDB[candidate][frequency]: 20 log₁₀ 4π|H|.
    public let levelsDB: [[Double]]
    /// The steady-state transfer functions H(f) (continuous-time scale, s·Pa per unit source strength),
    /// spectra[candidate][frequency]: complex, so that two speakers' responses add (L + R).
    let spectra: [[Complex]]
    /// The same for the response's first `earlySeconds` after the direct sound (nil when not asked):
    /// the early, speaker-boundary interference part of RPG's optimizer (Cox, D'Antonio & Avis 2004).
    let early: [[Complex]]?

    public static let lowest = 20.0, highest = 300.0
    /// The wave part's crossover for the map: its excitation reaches 2 × 200 Hz, beyond `highest`.
    static let crossover = 200.0
    /// The early window: the direct sound and the reflections of the nearest boundaries (a path up to
    /// 10 m longer than the direct one), tapered to zero over its last third (half a Hann window).
    public static let earlySeconds = 0.03

    /// Grid spacing: 10 points per wavelength at `highest` (c / 3000 Hz ≈ 0.11 m), the usual bound for
    /// the standard rectilinear scheme's dispersion (Kowalczyk & van Walstijn 2011).
    static func spacing(speedOfSound c: Double) -> Double { c / (highest * 10) }

    /// Runs the wave solver from `seat` and records at `positions` for `durationSeconds` (long
    /// enough for the room's low-frequency decay: the steady state is the response's whole spectrum).
    /// With `early`, also keeps each position's early spectrum.
    /// `highpass`: the excitation's high-pass (Hz, the room file's `simulation.highpass`; 0 = none, and
    /// a closed room's pressure then builds up without decaying).
    public static func compute(scene: Scene, seat: Vec3, positions: [Vec3], durationSeconds: Double, early: Bool = false, highpass: Double = 0,
                               threads: Int = defaultThreadCount) -> BassMap {
        let c = scene.air.speedOfSound
        let grid = WaveGrid(scene: scene, spacing: spacing(speedOfSound: c), crossover: crossover)
        return compute(grid: grid, speedOfSound: c, seat: seat, positions: positions, durationSeconds: durationSeconds, early: early,
                       highpass: highpass, threads: threads)
    }

    /// As above on a grid already built (`WaveGrid(scene:spacing: BassMap.spacing(…), crossover: BassMap.crossover)`).
    static func compute(grid: WaveGrid, speedOfSound c: Double, seat: Vec3, positions: [Vec3], durationSeconds: Double, early: Bool,
                        highpass: Double, threads: Int) -> BassMap {
        let k = WaveField.timeStep(spacing: grid.spacing, speedOfSound: c)
        let steps = Int((durationSeconds / k).rounded(.up)) + 2
        let run = WaveSolver.run(grid: grid, speedOfSound: c, steps: steps, cutoff: 2 * crossover, source: seat, receivers: positions,
                                 highpass: highpass, threads: threads)
        let frequencies = logFrequencies(from: lowest, to: highest, perOctave: 48)
        let decimation = decimation(timeStep: k, highpass: highpass)
        let antiAlias = antiAliasFilter(decimation: decimation, rate: 1 / k)
        var spectra = [[Complex]](repeating: [], count: positions.count)
        var earlySpectra = [[Complex]](repeating: [], count: early ? positions.count : 0)
        spectra.withUnsafeMutableBufferPointer { out in
            earlySpectra.withUnsafeMutableBufferPointer { earlyOut in
                nonisolated(unsafe) let out = out, earlyOut = earlyOut
                parallelFor(positions.count, threads: threads) { i in
                    let x = decimated(run.responses[i], by: decimation, filter: antiAlias)
                    let step = k * Double(decimation)
                    out[i] = spectrum(x, timeStep: step, at: frequencies)
                    if early {
                        let direct = positions[i].distance(to: seat) / c
                        let end = direct + earlySeconds, taper = earlySeconds / 3
                        let n = min(x.count, Int((end / step).rounded(.up)) + 1)
                        let windowed = (0..<n).map { m -> Float in
                            let t = Double(m) * step
                            let w = t <= end - taper ? 1 : 0.5 * (1 + cos(.pi * min(1, (t - end + taper) / taper)))
                            return x[m] * Float(w)
                        }
                        earlyOut[i] = spectrum(windowed, timeStep: step, at: frequencies)
                    }
                }
            }
        }
        return BassMap(seat: seat, positions: positions, frequencies: frequencies, levelsDB: spectra.map(levels), spectra: spectra,
                       early: early ? earlySpectra : nil)
    }

    /// Only 20–300 Hz is read: a response that decays (`highpass` > 0) is low-passed and decimated to
    /// ≥ 1.5 kHz first, which makes its spectra that much cheaper. Without the high-pass the closed
    /// room's pressure build-up ends the record in a step, whose spectrum depends on exactly where
    /// the record ends: it is read at the full rate.
    static func decimation(timeStep k: Double, highpass: Double) -> Int {
        highpass > 0 ? max(1, Int(1 / (k * 1500))) : 1
    }

    /// A zero-phase low-pass for decimating by `decimation` at `rate` Hz: flat to `highest`, below
    /// −70 dB from rate/decimation − `highest` on, where a component would fold back into 20–300 Hz.
    /// (The responses are band-limited by the excitation, but they start at t = 0, within the
    /// zero-phase excitation's pre-ringing: that edge is broadband.)
    static func antiAliasFilter(decimation: Int, rate: Double) -> [Float] {
        guard decimation > 1 else { return [1] }
        let stop = rate / Double(decimation) - highest
        // The transition band in the middle 60 % of the gap: flat to 0.01 dB at `highest`.
        return WaveSolver.windowedSinc(cutoff: (highest + stop) / 2, transition: 0.6 * (stop - highest), rate: rate)
    }

    /// Every `d`-th sample of `x` through `filter` (centred: no delay).
    static func decimated(_ x: [Float], by d: Int, filter h: [Float]) -> [Float] {
        guard d > 1 else { return x }
        let half = h.count / 2
        return stride(from: 0, to: x.count, by: d).map { n in
            var acc: Float = 0
            for j in max(0, half - n)..<min(h.count, x.count - n + half) { acc += h[j] * x[n + j - half] }
            return acc
        }
    }

    /// The levels of two sources playing together (L + R): their transfer functions add.
    static func levels(adding a: [Complex], _ b: [Complex]) -> [Double] { levels(zip(a, b).map { $0 + $1 }) }

    /// 20 log₁₀ 4π|H| of each value.
    static func levels(_ h: [Complex]) -> [Double] { h.map { 20 * log10(max(4 * Double.pi * $0.magnitude, 1e-12)) } }

    /// Points `perOctave` to the octave from `from` to `to` Hz (both included, within rounding).
    public static func logFrequencies(from: Double, to: Double, perOctave: Int) -> [Double] {
        let count = Int((log2(to / from) * Double(perOctave)).rounded()) + 1
        return (0..<count).map { from * exp2(Double($0) / Double(perOctave)) }
    }

    /// H(f) = Σ h[m] e^{−2πi f m k} · k of a response sampled every `timeStep` seconds (continuous-time
    /// scale), by Goertzel's recurrence at each frequency.
    static func spectrum(_ h: [Float], timeStep k: Double, at frequencies: [Double]) -> [Complex] {
        frequencies.map { f in
            let w = 2 * Double.pi * f * k
            // s[n] = x[n] + 2 cos w s[n−1] − s[n−2]; Σ x[n] e^{iw(N−1−n)} = s[N−1] − e^{−iw} s[N−2],
            // and X(w) = that × e^{−iw(N−1)}.
            var s1 = 0.0, s2 = 0.0
            let coefficient = 2 * cos(w)
            for x in h {
                let s = Double(x) + coefficient * s1 - s2
                s2 = s1; s1 = s
            }
            let re = s1 - s2 * cos(w), im = s2 * sin(w)
            let phase = -w * Double(max(h.count - 1, 0))
            return Complex(re * k, im * k) * Complex(polar: 1, angle: phase)
        }
    }

    /// 20 log₁₀(4π |H(f)|) of a response sampled every `timeStep` seconds.
    static func spectrumLevels(_ h: [Float], timeStep k: Double, at frequencies: [Double]) -> [Double] {
        levels(spectrum(h, timeStep: k, at: frequencies))
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
        meanSpatialVariance(levels: maps.map { $0.levelsDB[index] })
    }

    /// The mean spatial variance of level curves (dB), one per seat, on common frequencies.
    public static func meanSpatialVariance(levels: [[Double]]) -> Double {
        guard let first = levels.first, levels.count > 1 else { return 0 }
        let n = Double(levels.count)
        var total = 0.0
        for k in first.indices {
            let mean = levels.reduce(0) { $0 + $1[k] } / n
            total += levels.reduce(0) { $0 + ($1[k] - mean) * ($1[k] - mean) } / n
        }
        return total / Double(first.count)
    }
}
