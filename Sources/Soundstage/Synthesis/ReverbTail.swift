import Foundation

/// One impulse reaching the listener: a time, a pressure amplitude per band (spreading included)
/// and a direction in the head frame. Specular paths and the synthesized reverberant tail are
/// both lists of arrivals for the synthesis.
public struct Arrival: Sendable {
    public var delaySeconds: Double
    /// Pressure amplitude per band (SPEC §2 units: an omni direct sound at r has 1/(4πr)).
    public var amplitudes: [Float]
    public var azimuth: Double
    public var elevation: Double
}

extension Path {
    /// The path as an arrival: amplitude bandGains/(4π·distance).
    public var arrival: Arrival {
        let spread = 1 / (4 * Double.pi * distance)
        return Arrival(delaySeconds: delaySeconds, amplitudes: bandGains.values.map { Float($0 * spread) },
                       azimuth: azimuth, elevation: elevation)
    }
}

/// The reverberant part of the response synthesized from an `EnergyField`: a Poisson sequence of
/// impulses with random signs whose per-band amplitudes follow the field's energy envelope
/// (Heinz 1996, "Binaural room simulation based on an image source model with addition of
/// statistical methods to include the diffuse sound scattering of walls"; Schröder 2011, §5.4).
///
/// - Density: a room of volume V has reflections at the rate dN/dt = 4πc³t²/V (Kuttruff, *Room
///   Acoustics*, eq. 4.12); the sequence follows it, at least `minimumDensity` (so the few early
///   scattered arrivals are not all lumped in one impulse) and at most `maximumDensity` per second
///   (beyond which the ear hears noise either way).
/// - Envelope: the field's energy per band and bin, smoothed over a window that grows with time
///   (2 % of the arrival time, at least one bin) so the ray tracer's counting noise is not doubled by
///   the sequence's own randomness; directions of arrival follow the field's direction histogram
///   over the same window.
/// - Energy: within each bin the impulses share the bin's energy per band equally (n impulses of
///   amplitude √(E/n)), so the synthesized energy per bin is exactly the envelope's; a bin without an
///   impulse hands its energy to the next one.
///
/// `signal` renders the arrivals through the band filters and then holds each band's short-time
/// energy to the envelope (see there), so the tail's decay per band is as smooth as the field's.
public struct ReverbTail: Sendable {
    public static let minimumDensity = 2000.0
    public static let maximumDensity = 20000.0

    public var arrivals: [Arrival]
    /// Smoothed energy per bin and band: envelope[bin · bandCount + band] (EnergyField units).
    public var envelope: [Double]
    public var binSeconds: Double
    public var bandCount: Int
    /// The air absorption already in the field's envelopes (nil: none), so `signal` can give each
    /// sub-band the attenuation of its own frequency instead of an interpolation.
    public var air: AirPath?

    /// Air absorption along the sound's path: exp(−m(f)·c·(t − delay)) at arrival time t, with
    /// m(f) the energy coefficient of ISO 9613-1 (`AirAbsorption.energyCoefficient`) and c the
    /// air's speed of sound.
    public struct AirPath: Sendable {
        public var air: Air
        public var delaySeconds: Double
        public init(air: Air, delaySeconds: Double) {
            self.air = air
            self.delaySeconds = delaySeconds
        }
    }

    public init(arrivals: [Arrival], envelope: [Double], binSeconds: Double, bandCount: Int, air: AirPath? = nil) {
        self.arrivals = arrivals
        self.envelope = envelope
        self.binSeconds = binSeconds
        self.bandCount = bandCount
        self.air = air
    }

    public static func synthesize(field: EnergyField, volume: Double, speedOfSound c: Double, seed: UInt64, speakerIndex: Int) -> ReverbTail {
        let bands = field.bandCount, cells = field.grid.cellCount, dt = field.binSeconds
        // Per bin: band energies; per frame: broadband energy per direction cell.
        var bandEnergy = [Double](repeating: 0, count: field.binCount * bands)
        for bin in 0..<field.binCount {
            for b in 0..<bands { bandEnergy[bin * bands + b] = field.energy(band: b, bin: bin) }
        }
        var cellEnergy = [Double](repeating: 0, count: field.frameCount * cells)
        for frame in 0..<field.frameCount {
            for cell in 0..<cells {
                for b in 0..<bands { cellEnergy[frame * cells + cell] += field.energy(band: b, frame: frame, cell: cell) }
            }
        }
        let smoothBands = smooth(bandEnergy, width: bands, bins: field.binCount, dt: dt)
        guard let first = (0..<field.binCount).first(where: { bin in (0..<bands).contains { bandEnergy[bin * bands + $0] > 0 } }) else {
            return ReverbTail(arrivals: [], envelope: smoothBands, binSeconds: dt, bandCount: bands)
        }
        let frameSeconds = dt * Double(field.binsPerFrame)
        let smoothCells = smooth(cellEnergy, width: cells, bins: field.frameCount, dt: frameSeconds)
        var rng = SplitMix64Generator(seed: RandomStream.derive(seed, UInt64(speakerIndex), 0x5441_494C)) // "TAIL"
        var arrivals: [Arrival] = []
        var carry = [Double](repeating: 0, count: bands)
        var t = Double(first) * dt
        var times: [Double] = []
        for bin in first..<field.binCount {
            let end = Double(bin + 1) * dt
            times.removeAll(keepingCapacity: true)
            // Poisson arrivals within the bin at the local density.
            while true {
                let density = min(maximumDensity, max(minimumDensity, 4 * .pi * c * c * c * t * t / volume))
                t += -log(max(1e-300, 1 - rng.nextDouble())) / density
                if t >= end { t = end; break }
                times.append(t)
            }
            for b in 0..<bands { carry[b] += smoothBands[bin * bands + b] }
            guard !times.isEmpty else { continue }
            let n = Double(times.count)
            // One array per sign, shared by the bin's arrivals (no allocation per arrival).
            let positive = carry.map { Float(($0 / n).squareRoot()) }, negative = positive.map { -$0 }
            carry = [Double](repeating: 0, count: bands)
            let frame = bin / field.binsPerFrame
            let weights = Array(smoothCells[(frame * cells)..<((frame + 1) * cells)])
            let total = weights.reduce(0, +)
            for time in times {
                let positiveSign = rng.next() & 1 == 0
                let cell = pick(weights, total: total, rng.nextDouble())
                let v = field.grid.direction(cell: cell, rng.nextDouble(), rng.nextDouble())
                let azimuth = degrees(atan2(v.y, v.x)), elevation = degrees(asin(max(-1, min(1, v.z))))
                arrivals.append(Arrival(delaySeconds: time, amplitudes: positiveSign ? positive : negative, azimuth: azimuth, elevation: elevation))
            }
        }
        return ReverbTail(arrivals: arrivals, envelope: smoothBands, binSeconds: dt, bandCount: bands)
    }

    /// Sub-bands per octave in which `signal` renders the tail.
    public static let subBandsPerOctave = 6

    /// The tail as an omnidirectional signal of `frames` samples.
    ///
    /// The field gives one energy envelope per octave; between octave centres the decay rate is
    /// interpolated, not the amplitude. The tail is rendered in `subBandsPerOctave` sub-bands per
    /// octave (`BandFilterBank.SubBands`): sub-band k at fraction u of the way (log frequency)
    /// from octave b's centre to octave b + 1's follows the envelope E_b^(1−u)·E_{b+1}^u, so its
    /// energy decays at the rate (1 − u)·r_b + u·r_{b+1}. Blending the octaves' *signals* instead
    /// (Σ_b W_b·x_b, amplitudes interpolated) lets the slower of two neighbours take over every
    /// frequency between their centres late in the decay (between a 1.6-s and a 0.9-s octave,
    /// 5 kHz decayed in 1.54 s instead of 1.27 s), and octave analyses read the slower
    /// neighbour's decay (BRAS CR2: T20 at 125 Hz 1.54 s before, 1.49 s now). Six sub-bands per
    /// octave keep the blend between adjacent sub-bands below 2 % of T (measured: ±1.5 %).
    ///
    /// Each sub-band filters its nearest octave's arrivals by its weight V_k; its energy in windows
    /// of `windowSeconds(band:)` (that octave's) is then scaled to the envelope's energy in the
    /// same window times ‖v_k‖² (the filter's energy: what an impulse of band gain a puts in the
    /// sub-band is a²‖v_k‖²), the gain interpolated linearly between window centres. The random
    /// sequence keeps its fine structure; only its slow (Rayleigh-like) envelope fluctuations,
    /// which are not in the field, are removed (also for band-flat rooms, whose analysis in
    /// octave bands would otherwise see them).
    public func signal(sampleRate fs: Double, frames: Int, threads: Int = defaultThreadCount) -> [Float] {
        guard !arrivals.isEmpty, frames > 0 else { return [Float](repeating: 0, count: max(0, frames)) }
        precondition(bandCount == FrequencyBands.octaves.count, "the tail is rendered in the engine's octave bands")
        let octaves = bandCount
        let table = FractionalDelayTable.shared
        let pad = max(table.halfWidth + 1, Int(0.1 * fs))
        let length = frames + 2 * pad
        var acc = BandAccumulator(bandCount: octaves, length: length, offset: pad)
        var gains = [Float](repeating: 0, count: octaves)
        for a in arrivals {
            for b in 0..<octaves { gains[b] = a.amplitudes[b] }
            gains.withUnsafeBufferPointer { acc.add(delaySamples: a.delaySeconds * fs, gains: $0.baseAddress!, table: table) }
        }
        let size = FFTSize.good(atLeast: length)
        let fft = RealFFT.shared(size: size)
        let data = acc.data
        // Each octave's arrivals to the frequency domain once (in parallel, each its own buffer).
        let spectra = Slots<[Float]>(count: octaves)
        parallelFor(octaves, threads: threads) { [fft] b in
            var input = [Float](repeating: 0, count: size)
            for i in 0..<length { input[i] = data[b * length + i] }
            spectra[b] = fft.forward(input)
        }
        let spectrum = spectra.all
        let grid = BandFilterBank.SubBands(perOctave: ReverbTail.subBandsPerOctave)
        let weights = BandFilterBank.weights(grid, size: size, sampleRate: fs)
        // Sub-bands summed into `partials` running sums (sub-band k into sum k mod partials, in
        // order of k), the sums added in order: the same additions in the same order for any
        // thread count, and a few signals in memory instead of one per sub-band.
        let partials = 4
        let sums = Slots<[Float]>(count: partials)
        parallelFor(partials, threads: threads) { [fft] p in
            var sum = [Float](repeating: 0, count: frames)
            for k in stride(from: p, to: grid.count, by: partials) {
                let octave = grid.nearestOctave(k)
                var s = spectrum[octave]
                var filterEnergy = 0.0
                for i in 0..<fft.binCount {
                    let w = weights[k][i]
                    s[2 * i] *= w
                    s[2 * i + 1] *= w
                    filterEnergy += (i == 0 || 2 * i == size ? 1 : 2) * Double(w) * Double(w)
                }
                filterEnergy /= Double(size)
                let band = fft.inverse(s)
                let gain = self.envelopeGain(band[pad..<(pad + frames)], envelope: self.subBandEnvelope(grid, k),
                                             window: ReverbTail.windowSeconds(band: octave), filterEnergy: filterEnergy, fs: fs)
                for i in 0..<frames { sum[i] += band[pad + i] * gain[i] }
            }
            sums[p] = sum
        }
        var out = [Float](repeating: 0, count: frames)
        for sum in sums.all { for i in 0..<frames { out[i] += sum[i] } }
        return out
    }

    /// Sub-band k's energy per bin: the octaves' envelopes interpolated geometrically (their
    /// decay rates linearly) in log frequency; linearly where one of the two is zero. Air
    /// absorption grows about as f² and is known at every frequency, so with `air` set it is taken
    /// out of the two envelopes before they are interpolated and put back at the sub-band's own
    /// centre frequency (between 4 and 8 kHz the interpolated rate was up to 9 % too fast).
    func subBandEnvelope(_ grid: BandFilterBank.SubBands, _ k: Int) -> [Double] {
        let (lower, u) = grid.position(k)
        let bins = envelope.count / bandCount
        var airRates = (lower: 0.0, upper: 0.0, own: 0.0) // m·c per second of travel
        if let air, u > 0 {
            let c = air.air.speedOfSound, centres = FrequencyBands.octaves.centres
            airRates = (AirAbsorption.energyCoefficient(hertz: centres[lower], air: air.air) * c,
                        AirAbsorption.energyCoefficient(hertz: centres[lower + 1], air: air.air) * c,
                        AirAbsorption.energyCoefficient(hertz: grid.centres[k], air: air.air) * c)
        }
        return (0..<bins).map { bin in
            let a = envelope[bin * bandCount + lower]
            guard u > 0 else { return a }
            let c = envelope[bin * bandCount + lower + 1]
            guard a > 0 && c > 0 else { return (1 - u) * a + u * c }
            // Seconds of travel at the bin's centre (the field applies air there too).
            let travel = max(0, (Double(bin) + 0.5) * binSeconds - (air?.delaySeconds ?? 0))
            let logA = log(a) + airRates.lower * travel, logC = log(c) + airRates.upper * travel
            return exp((1 - u) * logA + u * logC - airRates.own * travel)
        }
    }

    /// Window length for a band's envelope: 4 periods of the band's lower edge, at least 5 ms (an
    /// octave's bandwidth is about 0.7 × its centre, so a window holds ≈ 4 independent samples of
    /// the band's energy even in the lowest band).
    static func windowSeconds(band: Int) -> Double {
        max(0.005, 4 / (FrequencyBands.octaves.centres[band] / 2.0.squareRoot()))
    }

    /// Per-sample gain holding `x`'s energy in windows of `window` seconds to `envelope`'s (energy
    /// per bin) times `filterEnergy` (see `signal`).
    func envelopeGain(_ x: ArraySlice<Float>, envelope: [Double], window windowLength: Double, filterEnergy: Double, fs: Double) -> [Float] {
        let n = x.count, first = x.startIndex
        let window = max(2, Int(windowLength * fs))
        let hop = window / 2
        var centres: [Double] = [], values: [Double] = []
        var start = 0
        while start < n {
            let end = min(n, start + window)
            var actual = 0.0
            for i in (first + start)..<(first + end) { actual += Double(x[i]) * Double(x[i]) }
            // Envelope energy over the same samples (bins overlapped partly count by their share).
            var wanted = 0.0
            let t0 = Double(start) / fs, t1 = Double(end) / fs
            var bin = Int(t0 / binSeconds)
            while Double(bin) * binSeconds < t1, bin < envelope.count {
                let lo = max(t0, Double(bin) * binSeconds), hi = min(t1, Double(bin + 1) * binSeconds)
                if hi > lo { wanted += envelope[bin] * (hi - lo) / binSeconds }
                bin += 1
            }
            wanted *= filterEnergy
            let g = actual > 0 && wanted > 0 ? (wanted / actual).squareRoot() : (wanted > 0 ? 1 : 0)
            centres.append(Double(start + end) / 2)
            values.append(min(10, g))
            start += hop
        }
        // Linear between window centres, held before the first and after the last: segment by
        // segment, samples ⌈c_k⌉ … up to c_{k+1}.
        guard let last = values.last else { return [] }
        var gain = [Float](repeating: Float(last), count: n)
        gain.withUnsafeMutableBufferPointer { g in
            let head = min(n, Int(centres[0].rounded(.down)) + 1)
            for i in 0..<head { g[i] = Float(values[0]) }
            for k in 0..<(centres.count - 1) {
                let c0 = centres[k], c1 = centres[k + 1]
                let lo = max(head, Int(c0.rounded(.down)) + 1), hi = min(n, Int(c1.rounded(.down)) + 1)
                guard lo < hi else { continue }
                let slope = (values[k + 1] - values[k]) / (c1 - c0)
                for i in lo..<hi { g[i] = Float(values[k] + slope * (Double(i) - c0)) }
            }
        }
        return gain
    }

    /// Moving average over ±w(t) bins with w(t) = 1 % of the bin's time (so the window spans 2 %),
    /// applied to `width` interleaved columns.
    static func smooth(_ x: [Double], width: Int, bins: Int, dt: Double) -> [Double] {
        // Prefix sums per column make each window O(1).
        var prefix = [Double](repeating: 0, count: (bins + 1) * width)
        for bin in 0..<bins {
            for k in 0..<width { prefix[(bin + 1) * width + k] = prefix[bin * width + k] + x[bin * width + k] }
        }
        var out = [Double](repeating: 0, count: x.count)
        for bin in 0..<bins {
            let half = Int((0.01 * Double(bin)).rounded()) // 1 % of the time t = bin · dt, in bins
            let lo = max(0, bin - half), hi = min(bins - 1, bin + half)
            let count = Double(hi - lo + 1)
            for k in 0..<width { out[bin * width + k] = (prefix[(hi + 1) * width + k] - prefix[lo * width + k]) / count }
        }
        return out
    }

    /// Index i with probability weights[i]/total (the last non-zero one for u → 1).
    static func pick(_ weights: [Double], total: Double, _ u: Double) -> Int {
        guard total > 0 else { return Int(u * Double(weights.count)) % weights.count }
        var acc = 0.0
        let target = u * total
        for (i, w) in weights.enumerated() {
            acc += w
            if target < acc { return i }
        }
        return weights.lastIndex { $0 > 0 } ?? weights.count - 1
    }
}
