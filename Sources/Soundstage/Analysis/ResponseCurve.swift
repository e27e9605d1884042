import Foundation

/// A magnitude response on a logarithmic frequency axis, fractional-octave smoothed by averaging
/// the power of the FFT bins within ±½ of the fraction around each frequency (the smoothing of
/// REW's and most measurement software's curves; Hatziantoniou & Mourjopoulos 2000 discuss the
/// alternatives). Levels are 10·log10 of mean |H|², so a unit impulse reads 0 dB at every frequency.
public struct ResponseCurve: Sendable, Codable, Equatable {
    public let hertz: [Double]
    public let levelsDB: [Double]

    /// |H(k)|² of `x` zero-padded to a fast FFT size, and the bin spacing in Hz.
    public static func powerSpectrum(_ x: [Float], sampleRate: Double) -> (power: [Double], binHertz: Double) {
        let size = FFTSize.good(atLeast: max(2, x.count))
        let fft = RealFFT.shared(size: size)
        let s = fft.forward(x)
        let power = (0..<fft.binCount).map { (k: Int) -> Double in
            let re = Double(s[2 * k]), im = Double(s[2 * k + 1])
            return re * re + im * im
        }
        return (power, sampleRate / Double(size))
    }

    /// `points` frequencies spaced logarithmically from `lowest` to `highest` (capped below
    /// Nyquist), each the mean power of the bins within 1/`fraction` octave around it.
    public static func smoothed(power: [Double], binHertz: Double, sampleRate: Double, fraction: Double = 3,
                                points: Int = 200, lowest: Double = 20, highest: Double = 20000) -> ResponseCurve {
        var hz: [Double] = [], db: [Double] = []
        let half = 1 / (2 * fraction)
        for i in 0..<points {
            let f = lowest * pow(highest / lowest, Double(i) / Double(max(1, points - 1)))
            guard f < sampleRate / 2 else { break }
            let lo = max(0, Int(f * pow(2, -half) / binHertz)), hi = max(lo + 1, Int(f * pow(2, half) / binHertz))
            let range = lo..<max(lo, min(power.count, hi))
            let mean = range.isEmpty ? 1e-30 : range.reduce(0.0) { $0 + power[$1] } / Double(range.count)
            hz.append(f)
            db.append(10 * log10(max(mean, 1e-30)))
        }
        return ResponseCurve(hertz: hz, levelsDB: db)
    }

    /// The smoothed response of an impulse response `x`.
    public static func of(_ x: [Float], sampleRate: Double, fraction: Double = 3, points: Int = 200,
                          lowest: Double = 20, highest: Double = 20000) -> ResponseCurve {
        let p = powerSpectrum(x, sampleRate: sampleRate)
        return smoothed(power: p.power, binHertz: p.binHertz, sampleRate: sampleRate, fraction: fraction, points: points, lowest: lowest, highest: highest)
    }
}
