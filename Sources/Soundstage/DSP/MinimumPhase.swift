import Foundation

/// Minimum-phase FIR design from a magnitude response (homomorphic construction via the folded real
/// cepstrum, Oppenheim & Schafer, *Discrete-Time Signal Processing*, §5.6): of every causal filter
/// with that magnitude, the one whose energy arrives earliest — what an equalizer in front of music or
/// a BRIR should be, since it moves nothing later in time.
public enum MinimumPhase {
    /// `length` taps with magnitude `magnitude(f)` (linear, f in Hz, > 0 everywhere) at `sampleRate`.
    /// The cepstrum is computed on 4 × `length` points (its time-aliasing then falls beyond the kept
    /// taps) and the filter ends with a half-Hann fade over its last quarter.
    public static func filter(length: Int, sampleRate fs: Double, magnitude: (Double) -> Double) -> [Float] {
        let m = 4 * length
        let fft = RealFFT(size: m)
        var logSpectrum = [Float](repeating: 0, count: 2 * fft.binCount)
        for k in 0..<fft.binCount { logSpectrum[2 * k] = Float(log(magnitude(Double(k) * fs / Double(m)))) }
        let cepstrum = fft.inverse(logSpectrum)
        var folded = [Float](repeating: 0, count: m)
        folded[0] = cepstrum[0]
        for i in 1..<(m / 2) { folded[i] = 2 * cepstrum[i] }
        folded[m / 2] = cepstrum[m / 2]
        let s = fft.forward(folded)
        var spectrum = [Float](repeating: 0, count: 2 * fft.binCount)
        for k in 0..<fft.binCount {
            let mag = exp(Double(s[2 * k])), phase = Double(s[2 * k + 1])
            spectrum[2 * k] = Float(mag * cos(phase))
            spectrum[2 * k + 1] = Float(mag * sin(phase))
        }
        var h = Array(fft.inverse(spectrum).prefix(length))
        let fade = length / 4
        for i in 0..<fade { h[length - fade + i] *= Float(0.5 * (1 + cos(.pi * Double(i) / Double(fade)))) }
        return h
    }
}

/// Linear convolution of `x` and `h` by FFT: the first `count` samples (default: all of it,
/// x.count + h.count − 1).
public func convolve(_ x: [Float], _ h: [Float], count: Int? = nil) -> [Float] {
    let full = max(0, x.count + h.count - 1)
    let n = min(count ?? full, full)
    guard n > 0 else { return [Float](repeating: 0, count: count ?? 0) }
    let size = FFTSize.good(atLeast: x.count + h.count)
    let fft = RealFFT(size: size)
    let a = fft.forward(x), b = fft.forward(h)
    var c = [Float](repeating: 0, count: a.count)
    for k in 0..<fft.binCount {
        c[2 * k] = a[2 * k] * b[2 * k] - a[2 * k + 1] * b[2 * k + 1]
        c[2 * k + 1] = a[2 * k] * b[2 * k + 1] + a[2 * k + 1] * b[2 * k]
    }
    return Array(fft.inverse(c).prefix(n)) + [Float](repeating: 0, count: max(0, (count ?? n) - n))
}

/// Linear convolution by FFT, truncated to the length of `x`.
func convolveTruncated(_ x: [Float], _ h: [Float]) -> [Float] { convolve(x, h, count: x.count) }
