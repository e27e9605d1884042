import Foundation

/// The join of the wave part and the geometric part (SPEC §6): a zero-phase complementary
/// crossover, H(f) for the wave part and 1 − H(f) for the geometric one, so the two weights sum to
/// exactly one at every frequency. H is 1 below fc/√2, 0 above fc·√2, and a raised cosine in log
/// frequency between (an octave-wide transition centred on fc, where H = ½). Both parts keep their
/// phase (zero-phase weights), so where the two models agree — the direct sound, a level room —
/// their sum is that common response.
public enum WaveCrossover {
    /// H(f): the wave part's weight at `hertz` for a crossover at `crossover`.
    public static func waveWeight(hertz f: Double, crossover fc: Double) -> Double {
        guard f > 0 else { return 1 }
        let x = log2(f / fc) // −½ … ½ across the transition
        if x <= -0.5 { return 1 }
        if x >= 0.5 { return 0 }
        return 0.5 * (1 - sin(.pi * x))
    }

    /// H·wave + (1 − H)·geometric, both `count` samples (the shorter is zero-extended).
    public static func merge(geometric: [Float], wave: [Float], crossover: Double, sampleRate fs: Double) -> [Float] {
        let count = max(geometric.count, wave.count)
        // Padding on both sides for the zero-phase weights' acausal ringing (a few periods of fc).
        let pad = Int((8 / crossover * fs).rounded(.up))
        let size = FFTSize.good(atLeast: count + 2 * pad)
        let fft = RealFFT.shared(size: size)
        func spectrum(_ x: [Float]) -> [Float] {
            var padded = [Float](repeating: 0, count: size)
            for i in x.indices { padded[pad + i] = x[i] }
            return fft.forward(padded)
        }
        let g = spectrum(geometric), w = spectrum(wave)
        var sum = [Float](repeating: 0, count: g.count)
        for k in 0..<fft.binCount {
            let h = Float(waveWeight(hertz: Double(k) * fs / Double(size), crossover: crossover))
            sum[2 * k] = h * w[2 * k] + (1 - h) * g[2 * k]
            sum[2 * k + 1] = h * w[2 * k + 1] + (1 - h) * g[2 * k + 1]
        }
        return Array(fft.inverse(sum)[pad..<(pad + count)])
    }
}
