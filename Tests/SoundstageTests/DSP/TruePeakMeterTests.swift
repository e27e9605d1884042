import XCTest
@testable import Soundstage

final class TruePeakMeterTests: XCTestCase {
    func meter(_ x: [Float], blocks: Int = 3) -> Double {
        let m = TruePeakMeter()
        let size = (x.count + blocks - 1) / blocks
        for start in stride(from: 0, to: x.count, by: size) { m.add(Array(x[start..<min(x.count, start + size)])) }
        return m.truePeakDBTP
    }

    /// The peak of the band-limited (periodic) continuation of `x`: its spectrum zero-padded to 16×
    /// the length, an independent reference for any oversampling meter.
    func continuousPeak(_ x: [Float]) -> Double {
        let n = x.count, up = 16
        let spectrum = RealFFT(size: n).forward(x)
        let fine = RealFFT(size: n * up)
        var padded = [Float](repeating: 0, count: 2 * fine.binCount)
        for k in 0..<(n / 2) { padded[2 * k] = spectrum[2 * k] * Float(up); padded[2 * k + 1] = spectrum[2 * k + 1] * Float(up) }
        return 20 * log10(Double(fine.inverse(padded).map { abs($0) }.max()!))
    }

    func testInterSamplePeakOfASineAtAQuarterOfTheRate() {
        // 12 kHz at 48 kHz, phase π/4: every sample is ±0.707 (−3 dB) but the waveform reaches 1.0.
        // A 10-ms raised-cosine fade-in: an abrupt start would ring (Gibbs) in any interpolator.
        let x = (0..<4800).map { i -> Float in
            let fade = i < 480 ? 0.5 * (1 - cos(.pi * Double(i) / 480)) : 1
            return Float(fade * sin(2 * .pi * 12000 * Double(i) / 48000 + .pi / 4))
        }
        XCTAssertEqual(Double(x.map { abs($0) }.max()!), 0.7071, accuracy: 1e-3)
        XCTAssertEqual(meter(x), 0, accuracy: 0.1, "true peak of a full-scale sine is 0 dBTP (BS.1770-4 Annex 2)")
    }

    func testFollowsTheContinuousPeakAndNeverReadsBelowTheSamples() {
        // Music-like signals (coloured noise; tones up to 19 kHz): never above the band-limited
        // waveform's peak by more than 0.06 dB (filter ripple, and the reference's wrap-around for
        // the noise), never more than 0.5 dB below it (4× sampling of 19 kHz content misses up to
        // 0.42 dB: cos(π·19/192); BS.1770-4 Annex 2 allows more), never below the sample peak, and
        // within 0.15 dB of libebur128's meter (BS.1770-4's 48-tap example filter).
        // Blocks of different sizes carry the filter's history across block boundaries.
        var rng = SplitMix64Generator(seed: 11)
        var noise = [Float](repeating: 0, count: 48000)
        var y = 0.0
        for i in noise.indices { y = 0.7 * y + 0.3 * rng.gaussian(); noise[i] = Float(0.3 * y) }
        // Tones up to 19 kHz with integer cycles in the buffer (periodic, like the reference).
        let tones = (0..<48000).map { i -> Float in
            let t = Double(i) / 48000
            return Float(zip([997.0, 5003, 11003, 17011, 19001], [0.3, 1.7, 2.9, 0.4, 5.1]).reduce(0.0) { $0 + 0.18 * sin(2 * .pi * $1.0 * t + $1.1) })
        }
        for x in [noise, tones] {
            let ours = meter(x, blocks: 7)
            let continuous = continuousPeak(x)
            XCTAssertLessThanOrEqual(ours, continuous + 0.06)
            XCTAssertGreaterThanOrEqual(ours, continuous - 0.5)
            let reference = LoudnessMeter.measure(AudioBuffer(sampleRate: 48000, channels: [x])).truePeakDBTP
            XCTAssertEqual(ours, reference, accuracy: 0.15)
            XCTAssertGreaterThanOrEqual(ours, 20 * log10(Double(x.map { abs($0) }.max()!)) - 1e-6)
        }
    }
}
