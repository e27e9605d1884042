import Foundation
import Synchronization

/// Combines per-band impulse trains into one broadband signal with complementary, zero-phase
/// band filters that sum to exactly one at every frequency (perfect reconstruction, flat to
/// machine precision — SPEC §2 asks for ±0.1 dB).
///
/// Band b's response is W_b(f) = H_b(f) − H_{b−1}(f), where H_x is a low-pass at the band edge
/// f_x = f_c(b)·√2 whose transition is a raised cosine over ±½ octave in log frequency: W_b is 1 at
/// the band's centre, falls to 0 at the neighbouring centres, and Σ_b W_b(f) = 1 (telescoping sum).
/// The lowest band reaches down to DC, the highest up to Nyquist. Zero phase keeps every arrival at
/// its exact time; a path whose band gains are all equal comes out as the unfiltered impulse.
public enum BandFilterBank {
    /// Weight of band `band` at `hertz`.
    public static func weight(band: Int, hertz f: Double, bands: FrequencyBands = .octaves) -> Double {
        complementaryWeight(band, count: bands.count, hertz: f, spacingOctaves: 1) { bands.centres[$0] }
    }

    /// The construction behind every weight: band `i` of `count` bands whose centres
    /// `centre(0) < centre(1) < …` lie `spacingOctaves` apart is H_i − H_{i−1}, H_e a low-pass
    /// falling as a raised cosine in log frequency from 1 at centre(e) to 0 at centre(e + 1).
    static func complementaryWeight(_ i: Int, count: Int, hertz f: Double, spacingOctaves: Double,
                                    centre: (Int) -> Double) -> Double {
        func lowpass(_ edge: Int) -> Double { // crossover between band `edge` and `edge + 1`
            if edge < 0 { return 0 }
            if edge >= count - 1 { return 1 }
            guard f > 0 else { return 1 }
            let u = log2(f / centre(edge)) / spacingOctaves
            if u <= 0 { return 1 }
            if u >= 1 { return 0 }
            return 0.5 * (1 + cos(.pi * u))
        }
        return lowpass(i) - lowpass(i - 1)
    }

    /// A finer grid for the reverberant tail (`ReverbTail.signal`): `perOctave` sub-bands per
    /// octave with centres c₀·2^(k/perOctave) from the lowest octave centre c₀ to the highest,
    /// weighted like the octaves (complementary raised cosines, now 1/perOctave octave apart;
    /// the lowest reaches down to DC, the highest up to Nyquist). Sub-band k = perOctave·b is
    /// centred on octave b.
    public struct SubBands: Sendable, Equatable {
        public let perOctave: Int
        public let count: Int
        public let centres: [Double]

        public init(perOctave: Int, bands: FrequencyBands = .octaves) {
            precondition(perOctave >= 1)
            self.perOctave = perOctave
            count = (bands.count - 1) * perOctave + 1
            centres = (0..<count).map { bands.centres[0] * pow(2, Double($0) / Double(perOctave)) }
        }

        public func weight(_ k: Int, hertz f: Double) -> Double {
            BandFilterBank.complementaryWeight(k, count: count, hertz: f, spacingOctaves: 1 / Double(perOctave)) { centres[$0] }
        }

        /// The octave whose centre is nearest to sub-band k's.
        public func nearestOctave(_ k: Int) -> Int { (k + perOctave / 2) / perOctave }

        /// Sub-band k lies between octaves `lower` and `lower + 1` at fraction `u` of the octave
        /// (log frequency): u = 0 on octave `lower`'s centre.
        public func position(_ k: Int) -> (lower: Int, u: Double) { (k / perOctave, Double(k % perOctave) / Double(perOctave)) }
    }

    /// Every band's weight at the bins of a real FFT of `size` points: table[b][k] at k·fs/size Hz.
    /// Computed once per (size, rate) and cached: the synthesis asks for the same few sizes.
    public static func weights(size: Int, sampleRate: Double) -> [[Float]] {
        table(size: size, sampleRate: sampleRate, perOctave: 0, centres: FrequencyBands.octaves.centres, spacingOctaves: 1)
    }

    /// Every sub-band's weight at the bins of a real FFT of `size` points (cached like `weights`).
    public static func weights(_ grid: SubBands, size: Int, sampleRate: Double) -> [[Float]] {
        table(size: size, sampleRate: sampleRate, perOctave: grid.perOctave, centres: grid.centres, spacingOctaves: 1 / Double(grid.perOctave))
    }

    /// `complementaryWeight` of every band at every bin, built edge by edge: per bin one log₂ and
    /// the one crossover whose raised cosine the bin lies on (the others are 0 or 1).
    private static func table(size: Int, sampleRate: Double, perOctave: Int, centres: [Double], spacingOctaves: Double) -> [[Float]] {
        let key = WeightKey(size: size, sampleRate: sampleRate, perOctave: perOctave)
        if let cached = weightCache.value(for: key) { return cached }
        let bins = size / 2 + 1, count = centres.count
        let logCentres = centres.map { log2($0) }
        var flat = [Float](repeating: 0, count: count * bins) // band-major
        flat.withUnsafeMutableBufferPointer { t in
            for k in 0..<bins {
                let f = Double(k) * sampleRate / Double(size)
                let logF = f > 0 ? log2(f) : -Double.infinity
                var below = 0.0 // H of the previous edge (edge −1: 0)
                for b in 0..<count {
                    let h: Double
                    if b >= count - 1 || f <= 0 {
                        h = 1
                    } else {
                        let u = (logF - logCentres[b]) / spacingOctaves
                        h = u <= 0 ? 1 : u >= 1 ? 0 : 0.5 * (1 + cos(.pi * u))
                    }
                    t[b * bins + k] = Float(h - below)
                    below = h
                }
            }
        }
        let table = (0..<count).map { Array(flat[($0 * bins)..<(($0 + 1) * bins)]) }
        weightCache.store(table, for: key)
        return table
    }

    /// perOctave 0: the octave bands themselves.
    struct WeightKey: Hashable { let size: Int; let sampleRate: Double; let perOctave: Int }
    static let weightCache = LockedCache<WeightKey, [[Float]]>(limit: 16)

    /// Sums `accumulator`'s bands, and `grid`'s (arrivals on the finer grid, same padded time axis),
    /// through the filter bank; returns `accumulator.length` samples. The grid's bands enter with
    /// their spectrum below Nyquist (`ArrivalGrid`). With a single band and no grid the buffer is
    /// returned as it is (the weights of one band sum to one).
    public static func combine(_ accumulator: BandAccumulator, grid: ArrivalGrid? = nil, sampleRate: Double) -> [Float] {
        let n = accumulator.length
        if accumulator.bandCount == 1 && grid == nil { return Array(accumulator.data[0..<n]) }
        let size = FFTSize.good(atLeast: n)
        let fft = RealFFT.shared(size: size)
        var sum = [Float](repeating: 0, count: 2 * fft.binCount)
        let input = RealFFT.allocate(size), spectrum = RealFFT.allocate(2 * fft.binCount)
        defer { RealFFT.free(input); RealFFT.free(spectrum) }
        let table = weights(size: size, sampleRate: sampleRate)
        let bands = accumulator.bandCount
        func weight(_ b: Int, _ k: Int) -> Float { bands == 1 ? 1 : table[b][k] }
        for b in 0..<bands where accumulator.holdsArrivals {
            accumulator.data.withUnsafeBufferPointer { input.update(from: $0.baseAddress! + b * n, count: n) }
            fft.forward(input, spectrum)
            for k in 0..<fft.binCount {
                let w = weight(b, k)
                sum[2 * k] += w * spectrum[2 * k]
                sum[2 * k + 1] += w * spectrum[2 * k + 1]
            }
        }
        if let grid {
            precondition(grid.fullCount == ArrivalGrid.oversampling * n && grid.offset == accumulator.offset)
            // The grid's spectrum at the same frequencies k·fs/size: bins 0 … size/2 of a transform
            // `oversampling` times as long (an impulse on a grid point P·j has the spectrum of one at sample j).
            let fine = RealFFT.shared(size: ArrivalGrid.oversampling * size)
            // Every band's input in one pass over the grid (its lanes are the bands), zero outside its range.
            let fineInputs = RealFFT.allocate(bands * fine.size), fineSpectrum = RealFFT.allocate(2 * fine.binCount)
            defer { RealFFT.free(fineInputs); RealFFT.free(fineSpectrum) }
            grid.data.withUnsafeBufferPointer { d in
                let lower = grid.range.lowerBound
                for i in 0..<grid.range.count {
                    let v = d[i]
                    for b in 0..<bands { fineInputs[b * fine.size + lower + i] = v[b] }
                }
            }
            for b in 0..<bands {
                fine.forward(fineInputs + b * fine.size, fineSpectrum)
                for k in 0..<fft.binCount {
                    let w = weight(b, k)
                    sum[2 * k] += w * fineSpectrum[2 * k]
                    sum[2 * k + 1] += w * fineSpectrum[2 * k + 1]
                }
            }
        }
        return Array(fft.inverse(sum).prefix(n))
    }
}

extension BandFilterBank {
    /// Splits `signal` into its octave-band parts with the same zero-phase weights (they sum back
    /// to `signal` exactly). Zero-padded by `padding` samples on both sides against circular wrap.
    public static func split(_ signal: [Float], sampleRate: Double, padding: Int) -> [[Float]] {
        let n = signal.count
        let size = FFTSize.good(atLeast: n + 2 * padding)
        let fft = RealFFT.shared(size: size)
        var input = [Float](repeating: 0, count: size)
        for i in 0..<n { input[padding + i] = signal[i] }
        let spectrum = fft.forward(input)
        let table = weights(size: size, sampleRate: sampleRate)
        return FrequencyBands.octaves.indices.map { b in
            var s = spectrum
            for k in 0..<fft.binCount {
                let w = table[b][k]
                s[2 * k] *= w
                s[2 * k + 1] *= w
            }
            return Array(fft.inverse(s)[padding..<(padding + n)])
        }
    }
}

/// FFT sizes FFTW handles quickly: products of 2, 3 and 5 with a factor 16 at least (from 64
/// points on) — FFTW's real transforms of sizes with few factors of 2 (11 250 = 2·3²·5⁴) run markedly
/// slower than slightly larger ones with more (11 520 = 2⁸·3²·5).
public enum FFTSize {
    public static func good(atLeast n: Int) -> Int {
        var best = Int.max
        var p2 = 1
        while p2 < 2 * n + 2 {
            var p3 = p2
            while p3 < 2 * n + 2 {
                var p5 = p3
                while p5 < 2 * n + 2 {
                    if p5 >= n && p5 % (n >= 64 ? 16 : 2) == 0 { best = min(best, p5) }
                    p5 *= 5
                }
                p3 *= 3
            }
            p2 *= 2
        }
        return best
    }
}

/// A second-order section (RBJ Audio EQ Cookbook), direct form II transposed, in Double.
public struct Biquad: Sendable {
    public var b0, b1, b2, a1, a2: Double

    /// Butterworth high-pass (Q = 1/√2) at `cutoff` Hz.
    public static func highpass(cutoff: Double, sampleRate: Double, q: Double = 0.5.squareRoot()) -> Biquad {
        let w0 = 2 * .pi * cutoff / sampleRate, alpha = sin(w0) / (2 * q), c = cos(w0), a0 = 1 + alpha
        return Biquad(b0: (1 + c) / 2 / a0, b1: -(1 + c) / a0, b2: (1 + c) / 2 / a0, a1: -2 * c / a0, a2: (1 - alpha) / a0)
    }

    /// Butterworth low-pass (Q = 1/√2) at `cutoff` Hz (Bristow-Johnson's Audio EQ Cookbook).
    public static func lowpass(cutoff: Double, sampleRate: Double, q: Double = 0.5.squareRoot()) -> Biquad {
        let w0 = 2 * .pi * cutoff / sampleRate, alpha = sin(w0) / (2 * q), c = cos(w0), a0 = 1 + alpha
        return Biquad(b0: (1 - c) / 2 / a0, b1: (1 - c) / a0, b2: (1 - c) / 2 / a0, a1: -2 * c / a0, a2: (1 - alpha) / a0)
    }

    /// Filters `x` in place (causal; the state starts at rest).
    public func process(_ x: inout [Float]) {
        var chain = BiquadChain([self])
        chain.process(&x)
    }
}
