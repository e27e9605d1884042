import Foundation

/// The loudness a set of BRIRs adds to what plays through them, so that two setups can be compared
/// at equal loudness (A/B listening: the louder of two otherwise equal options is preferred, Toole,
/// *Sound Reproduction*, 2008, §3.4).
///
/// The programme is the standard stationary one: independent pink noise in every input channel,
/// band-limited to 20 Hz – 20 kHz. For a stationary input the expected BS.1770-4 integrated loudness
/// needs no signal: each ear's mean square after the K-weighting is ∫ |H(f)|² |K(f)|² S(f) df
/// (Papoulis, *Probability, Random Variables and Stochastic Processes*, §9-3: the output spectrum
/// of a linear system), the channels add as powers, and L = −0.691 + 10·log10(Σ_ears z)
/// (ITU-R BS.1770-4, eq. 2; the gates do not act on stationary noise). The integral is evaluated on
/// the BRIRs' FFT bins.
public enum LoudnessMatch {
    /// The pink noise's band.
    public static let band = 20.0...20000.0

    /// Integrated loudness (LUFS) of independent band-limited pink noise with RMS 1 (0 dBFS) in
    /// every channel of `filters`, played through them: `filters[input][ear]` the response from
    /// input channel `input` to output `ear` (all at `sampleRate`). An input played straight into
    /// one ear is the one-tap filter [1].
    public static func pinkNoiseLoudness(filters: [[[Float]]], sampleRate: Double) -> Double {
        let k = KWeighting.filters(sampleRate: sampleRate)
        let nyquist = sampleRate / 2
        let lowest = band.lowerBound, highest = min(band.upperBound, nyquist * 0.999)
        // Two-sided pink spectral density c/f on [lowest, highest], scaled to unit variance.
        let c = 1 / (2 * log(highest / lowest))
        var ears = [Double](repeating: 0, count: filters.map(\.count).max() ?? 0)
        for input in filters {
            for (ear, h) in input.enumerated() {
                // At least 4096 bins' worth of samples (zero-padded): the sum is a Riemann sum of the integral.
                let padded = h.count >= 8192 ? h : h + [Float](repeating: 0, count: 8192 - h.count)
                let spectrum = ResponseCurve.powerSpectrum(padded, sampleRate: sampleRate)
                var z = 0.0
                for (bin, power) in spectrum.power.enumerated() {
                    let f = Double(bin) * spectrum.binHertz
                    guard f >= lowest, f <= highest else { continue }
                    let weight = k.shelf.magnitude(hertz: f, sampleRate: sampleRate) * k.highPass.magnitude(hertz: f, sampleRate: sampleRate)
                    z += power * weight * weight * c / f
                }
                // One-sided sum over positive frequencies (×2) with df = binHertz.
                ears[ear] += 2 * z * spectrum.binHertz
            }
        }
        let total = ears.reduce(0, +)
        return total > 0 ? -0.691 + 10 * log10(total) : -.infinity
    }

    /// The gain (dB) that makes stereo music as loud through `brirs` (per speaker, 2-channel,
    /// routed to the input channel `speakers[i].channel` of a stereo programme) as it is played
    /// straight to the ears: the room's loudness gain undone, so A and B play equally loud.
    public static func gainDB(speakers: [Speaker], brirs: [AudioBuffer]) -> Double {
        guard let rate = brirs.first?.sampleRate else { return 0 }
        let filters = ChannelRouting.filters(inputChannels: 2, speakers: speakers, brirs: brirs)
        let direct: [[[Float]]] = [[[1], [0]], [[0], [1]]]
        let through = pinkNoiseLoudness(filters: filters, sampleRate: Double(rate))
        guard through.isFinite else { return 0 }
        return pinkNoiseLoudness(filters: direct, sampleRate: Double(rate)) - through
    }
}
