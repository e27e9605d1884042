import Foundation

/// Diffuse-field equalization of an HRTF set (the standard for headphone and IEM playback: Møller
/// 1992, "Fundamentals of binaural technology"; Larcher, Jot & Vandernoot 1998): every HRIR is divided
/// by the set's direction-averaged magnitude D(f) = √((P_L + P_R)/2), smoothed over ⅓ octave and
/// limited to ±20 dB of correction. It removes what all directions share — the measurement chain
/// (the MIT KEMAR set is 34 dB down below 40 Hz from its loudspeaker) and the ear-canal resonance
/// (+8 dB near 2–3 kHz) that IEMs, sitting in the canal, would otherwise add a second time — and
/// keeps what differs between directions (ITD, ILD, spectral cues).
struct DiffuseFieldEqualizer: Sendable {
    /// Correction gain |E(f)| at each bin of `binHertz` spacing.
    let gains: [Double]
    let binHertz: Double
    public static let maximumCorrectionDB = 20.0

    public init(field: DiffuseFieldStatistics) {
        binHertz = field.binHertz
        let count = field.powerLeftSpectrum.count
        let limit = pow(10, DiffuseFieldEqualizer.maximumCorrectionDB / 20)
        gains = (0..<count).map { k in
            let f = Double(k) * field.binHertz
            // ⅓-octave smoothing of the diffuse-field power (at least ±1 bin).
            let lo = max(0, min(k - 1, Int((f * pow(2, -1.0 / 6) / field.binHertz).rounded(.down))))
            let hi = min(count - 1, max(k + 1, Int((f * pow(2, 1.0 / 6) / field.binHertz).rounded(.up))))
            var sum = 0.0
            for j in lo...hi { sum += (field.powerLeftSpectrum[j] + field.powerRightSpectrum[j]) / 2 }
            let d = (sum / Double(hi - lo + 1)).squareRoot()
            return min(limit, max(1 / limit, d > 0 ? 1 / d : limit))
        }
    }

    /// Correction gain at `hertz` (linear interpolation between bins).
    public func gain(hertz f: Double) -> Double {
        let x = f / binHertz
        let i = min(gains.count - 2, max(0, Int(x)))
        let t = min(1, max(0, x - Double(i)))
        return gains[i] * (1 - t) + gains[i + 1] * t
    }

    /// A minimum-phase FIR with |E(f)| (`MinimumPhase.filter`): causal, so arrivals keep their
    /// times; `length` taps.
    public func minimumPhaseFilter(sampleRate fs: Double, length: Int = 4096) -> [Float] {
        MinimumPhase.filter(length: length, sampleRate: fs) { gain(hertz: $0) }
    }
}
