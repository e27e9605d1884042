import XCTest
@testable import Soundstage

/// `LoudnessMatch` computes the loudness of pink noise through filters from their spectra alone;
/// the reference here is the measurement: pink noise actually filtered and measured by libebur128
/// (`LoudnessMeter.measure`, an independent BS.1770-4 implementation with its own K-weighting and gates).
final class LoudnessMatchTests: XCTestCase {
    static let rate = 48_000
    static let length = 1 << 20 // 21.8 s: 54 gating blocks

    /// Periodic band-limited pink noise of RMS 1: magnitude ∝ f^(−1/2) on 20 Hz – 20 kHz, random phases.
    /// Periodic, so filtering it is an exact circular convolution done in the frequency domain.
    static func pinkSpectrum(seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        let fft = RealFFT(size: length)
        var spectrum = [Float](repeating: 0, count: 2 * fft.binCount)
        let binHertz = Double(rate) / Double(length)
        for bin in 1..<fft.binCount {
            let f = Double(bin) * binHertz
            guard LoudnessMatch.band.contains(f) else { continue }
            let phase = Double.random(in: 0..<(2 * .pi), using: &rng)
            spectrum[2 * bin] = Float(cos(phase) / f.squareRoot())
            spectrum[2 * bin + 1] = Float(sin(phase) / f.squareRoot())
        }
        let x = fft.inverse(spectrum)
        let rms = (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(length)).squareRoot()
        return spectrum.map { $0 / Float(rms) }
    }

    /// Σ over inputs of (input noise ⊛ filters[input][ear]), per ear.
    static func play(_ noises: [[Float]], through filters: [[[Float]]]) -> AudioBuffer {
        let fft = RealFFT(size: length)
        var ears = [[Float]](repeating: [Float](repeating: 0, count: 2 * fft.binCount), count: 2)
        for (input, x) in noises.enumerated() {
            for ear in 0..<2 {
                let h = fft.forward(filters[input][ear])
                for bin in 0..<fft.binCount {
                    let (a, b, c, d) = (x[2 * bin], x[2 * bin + 1], h[2 * bin], h[2 * bin + 1])
                    ears[ear][2 * bin] += a * c - b * d
                    ears[ear][2 * bin + 1] += a * d + b * c
                }
            }
        }
        return AudioBuffer(sampleRate: rate, channels: ears.map { fft.inverse($0) })
    }

    /// A BRIR-like filter: a delayed direct sound and an exponentially decaying noise tail.
    static func roomFilter(delay: Int, level: Float, decaySeconds: Double, tail: Double = 0.05, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        var h = [Float](repeating: 0, count: rate / 2)
        h[delay] = level
        for i in (delay + 200)..<h.count {
            let t = Double(i - delay) / Double(rate)
            h[i] += Float(tail * exp(-6.9 * t / decaySeconds) * Double.random(in: -1...1, using: &rng))
        }
        return h
    }

    func testThePredictedLoudnessIsWhatLibebur128MeasuresOfFilteredPinkNoise() {
        let noises = [Self.pinkSpectrum(seed: 1), Self.pinkSpectrum(seed: 2)]
        let impulse: [Float] = [1], silence: [Float] = [0]
        let cases: [(String, [[[Float]]])] = [
            ("straight to the ears", [[impulse, silence], [silence, impulse]]),
            ("one input to both ears at −6 dB", [[[0.5], [0.5]], [silence, silence]]),
            ("a room", [[Self.roomFilter(delay: 150, level: 0.4, decaySeconds: 0.4, seed: 3), Self.roomFilter(delay: 170, level: 0.25, decaySeconds: 0.4, seed: 4)],
                        [Self.roomFilter(delay: 170, level: 0.25, decaySeconds: 0.4, seed: 5), Self.roomFilter(delay: 150, level: 0.4, decaySeconds: 0.4, seed: 6)]]),
        ]
        var predicted: [Double] = []
        for (name, filters) in cases {
            let measured = LoudnessMeter.measure(Self.play(noises, through: filters)).integratedLUFS
            let p = LoudnessMatch.pinkNoiseLoudness(filters: filters, sampleRate: Double(Self.rate))
            XCTAssertEqual(p, measured, accuracy: 0.15, name)
            predicted.append(p)
        }
        // Ears add as powers: two unit channels, one per ear, carry 2 units; one channel at half
        // amplitude in both ears 2 × 0.25 — a quarter, 6.02 dB less.
        XCTAssertEqual(predicted[0] - predicted[1], 20 * log10(2.0), accuracy: 0.01)
    }

    func testTheGainMakesMusicThroughTheBRIRsAsLoudAsStraightToTheEars() {
        let speakers = [0, 1].map { ch in
            Speaker(name: ch == 0 ? "L" : "R", position: Vec3(Double(ch), 1, 1), orientation: Orientation(facing: Vec3(0, -1, 0)),
                    directivity: .omni, channel: ch, gainDB: 0, delaySeconds: 0)
        }
        let brirs = [
            AudioBuffer(sampleRate: Self.rate, channels: [Self.roomFilter(delay: 150, level: 0.08, decaySeconds: 0.6, tail: 0.005, seed: 7),
                                                          Self.roomFilter(delay: 180, level: 0.05, decaySeconds: 0.6, tail: 0.005, seed: 8)]),
            AudioBuffer(sampleRate: Self.rate, channels: [Self.roomFilter(delay: 180, level: 0.05, decaySeconds: 0.6, tail: 0.005, seed: 9),
                                                          Self.roomFilter(delay: 150, level: 0.08, decaySeconds: 0.6, tail: 0.005, seed: 10)]),
        ]
        let gain = LoudnessMatch.gainDB(speakers: speakers, brirs: brirs)
        XCTAssertGreaterThan(gain, 6, "a room quieter than the direct feed needs gain")
        let noises = [Self.pinkSpectrum(seed: 11), Self.pinkSpectrum(seed: 12)]
        let straight = LoudnessMeter.measure(Self.play(noises, through: [[[1], [0]], [[0], [1]]])).integratedLUFS
        let scale = Float(pow(10, gain / 20))
        let filters = brirs.map { b in b.channels.map { $0.map { $0 * scale } } }
        let matched = LoudnessMeter.measure(Self.play(noises, through: filters)).integratedLUFS
        XCTAssertEqual(matched, straight, accuracy: 0.15)
    }
}
