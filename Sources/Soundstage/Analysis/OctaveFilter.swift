import Foundation

/// Octave- and fractional-octave-band filters for analysis: 6th-order Butterworth band-passes (a
/// 3rd-order low-pass prototype through the band-pass transform and the bilinear transform with
/// pre-warped edges), band edges at f_c·2^(±1/(2N)) for 1/N-octave bands — the design IEC 61260-1
/// class 1 octave and third-octave filters are usually built on (ANSI S1.11 Annex; the same design
/// pyfar/pyrato use).
public struct OctaveFilter: Sendable {
    public let centre: Double
    let sections: [Biquad]

    /// The highest frequency a band edge may reach at `fs` (just below Nyquist); bands centred above
    /// it are not analysed.
    public static func limit(sampleRate fs: Double) -> Double { 0.49 * fs }

    /// `bandsPerOctave`: 1 for an octave filter, 3 for a third-octave filter.
    public init(centreHertz fc: Double, sampleRate fs: Double, bandsPerOctave: Int = 1, order n: Int = 3) {
        centre = fc
        let ratio = pow(2, 0.5 / Double(max(1, bandsPerOctave)))
        let lo = fc / ratio, hi = min(fc * ratio, OctaveFilter.limit(sampleRate: fs))
        // Pre-warp the edges; the analog band-pass is centred at ω0 = √(ωl ωh) with width B.
        let wl = 2 * fs * tan(.pi * lo / fs), wh = 2 * fs * tan(.pi * hi / fs)
        let w0 = (wl * wh).squareRoot(), bw = wh - wl
        var poles: [Complex] = []
        for k in 0..<n {
            let p = Complex(polar: 1, angle: .pi * Double(2 * k + n + 1) / Double(2 * n)) // left half-plane prototype pole
            // s² − p·B·s + ω0² = 0 → two band-pass poles per prototype pole.
            let pb = p * bw
            let root = (pb * pb - Complex(4 * w0 * w0, 0)).squareRoot()
            poles.append((pb + root) * 0.5)
            poles.append((pb - root) * 0.5)
        }
        // Bilinear: z = (2fs + s)/(2fs − s). Keep one pole of each conjugate pair (imag > 0).
        let zPoles = poles.map { (Complex(2 * fs, 0) + $0) / (Complex(2 * fs, 0) - $0) }.filter { $0.im > 0 }
        // Each section: zeros at z = 1 and z = −1 (the band-pass zeros at s = 0 and s = ∞).
        var sections = zPoles.map { z -> Biquad in
            Biquad(b0: 1, b1: 0, b2: -1, a1: -2 * z.re, a2: z.re * z.re + z.im * z.im)
        }
        // Normalize the gain to 1 at the centre frequency.
        let w = 2 * Double.pi * fc / fs
        let e1 = Complex(polar: 1, angle: -w), e2 = Complex(polar: 1, angle: -2 * w)
        var gain = 1.0
        for s in sections {
            let num = Complex(s.b0, 0) + e1 * s.b1 + e2 * s.b2
            let den = Complex(1, 0) + e1 * s.a1 + e2 * s.a2
            gain *= (num / den).magnitude
        }
        let g = pow(gain, -1 / Double(sections.count))
        sections = sections.map { Biquad(b0: $0.b0 * g, b1: $0.b1 * g, b2: $0.b2 * g, a1: $0.a1, a2: $0.a2) }
        self.sections = sections
    }

    /// Magnitude response at `hertz`.
    public func magnitude(hertz f: Double, sampleRate fs: Double) -> Double {
        let w = 2 * Double.pi * f / fs
        let e1 = Complex(polar: 1, angle: -w), e2 = Complex(polar: 1, angle: -2 * w)
        return sections.reduce(1.0) { acc, s in
            acc * ((Complex(s.b0, 0) + e1 * s.b1 + e2 * s.b2) / (Complex(1, 0) + e1 * s.a1 + e2 * s.a2)).magnitude
        }
    }

    /// The band-filtered signal (causal, forward).
    public func apply(_ x: [Float]) -> [Float] {
        var y = x
        for s in sections { s.process(&y) }
        return y
    }
}

/// A minimal complex number for filter design.
struct Complex {
    var re: Double, im: Double
    init(_ re: Double, _ im: Double) { self.re = re; self.im = im }
    init(polar r: Double, angle: Double) { re = r * cos(angle); im = r * sin(angle) }
    var magnitude: Double { hypot(re, im) }
    static func + (a: Complex, b: Complex) -> Complex { Complex(a.re + b.re, a.im + b.im) }
    static func - (a: Complex, b: Complex) -> Complex { Complex(a.re - b.re, a.im - b.im) }
    static func * (a: Complex, b: Complex) -> Complex { Complex(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re) }
    static func * (a: Complex, s: Double) -> Complex { Complex(a.re * s, a.im * s) }
    static func / (a: Complex, b: Complex) -> Complex {
        let d = b.re * b.re + b.im * b.im
        return Complex((a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d)
    }
    /// Principal square root.
    func squareRoot() -> Complex {
        let r = magnitude
        let x = ((r + re) / 2).squareRoot(), y = ((r - re) / 2).squareRoot()
        return Complex(x, im < 0 ? -y : y)
    }
}
