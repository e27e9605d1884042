import XCTest
@testable import Soundstage

final class LoudnessTests: XCTestCase {
    func testEBUTech3341Case1And2() {
        // EBU Tech 3341 test cases 1 and 2: stereo 1 kHz sine at −23 / −33 dBFS in both channels,
        // 20 s → −23.0 / −33.0 LUFS ± 0.1.
        for level in [-23.0, -33.0] {
            let x = sine(hertz: 1000, sampleRate: 48000, count: 48000 * 20, amplitude: pow(10, level / 20))
            let m = LoudnessMeter.measure(AudioBuffer(sampleRate: 48000, channels: [x, x]))
            XCTAssertEqual(m.integratedLUFS, level, accuracy: 0.1)
            XCTAssertEqual(m.truePeakDBTP, level, accuracy: 0.2) // a sine's true peak is its amplitude
        }
    }

    /// The streaming meter the renderer uses, fed in uneven blocks.
    func streamed(_ channels: [[Float]], sampleRate: Int) -> Double {
        let meters = channels.map { _ in LoudnessChannel(sampleRate: sampleRate) }
        var start = 0, size = 1000
        while start < channels[0].count {
            let end = min(channels[0].count, start + size)
            for (m, x) in zip(meters, channels) { m.add(Array(x[start..<end])) }
            start = end
            size = size * 7 % 30011 + 1 // 7000, 19001, … : segment boundaries fall anywhere in a block
        }
        return LoudnessMeter.integrated(meters)
    }

    func testKWeightingCoefficientsAt48kHzAreBS1770sTable() {
        // ITU-R BS.1770-4, Tables 1 and 2 (48 kHz).
        let (shelf, highPass) = KWeighting.filters(sampleRate: 48000)
        let expected: [(Double, Double)] = [
            (shelf.b0, 1.53512485958697), (shelf.b1, -2.69169618940638), (shelf.b2, 1.19839281085285),
            (shelf.a1, -1.69065929318241), (shelf.a2, 0.73248077421585),
            (highPass.b0, 1), (highPass.b1, -2), (highPass.b2, 1), (highPass.a1, -1.99004745483398), (highPass.a2, 0.99007225036621),
        ]
        for (value, table) in expected { XCTAssertEqual(value, table, accuracy: 1e-8) }
    }

    func testStreamingMeterReadsEBUTech3341Cases() {
        // Cases 1 and 2 (a steady stereo sine) and case 4: −72, −36, −23, −36, −72 dBFS for 10, 10, 60,
        // 10, 10 s, which reads −23.0 only when both gates work (without the relative gate the
        // −36 dB parts pull it down to −24.2; without the absolute gate too, to −25.1).
        for level in [-23.0, -33.0] {
            let x = sine(hertz: 1000, sampleRate: 48000, count: 48000 * 20, amplitude: pow(10, level / 20))
            XCTAssertEqual(streamed([x, x], sampleRate: 48000), level, accuracy: 0.1)
        }
        var x: [Float] = []
        for (level, seconds) in [(-72.0, 10), (-36, 10), (-23, 60), (-36, 10), (-72, 10)] {
            x += sine(hertz: 1000, sampleRate: 48000, count: 48000 * seconds, amplitude: pow(10, level / 20))
        }
        XCTAssertEqual(streamed([x, x], sampleRate: 48000), -23, accuracy: 0.1)
    }

    func testStreamingMeterAgreesWithLibebur128() {
        // Noise whose level steps and swells (gating matters), different in each channel, at two
        // rates: within 0.01 LU of libebur128 on the same samples.
        var rng = SplitMix64Generator(seed: 3)
        for rate in [44100, 48000] {
            let channels: [[Float]] = (0..<2).map { c in
                var y = 0.0
                return (0..<(rate * 25)).map { i in
                    let t = Double(i) / Double(rate)
                    let envelope = t < 4 ? 0.001 : (t < 15 ? 0.2 * (1 + 0.8 * sin(0.7 * t + Double(c))) : 0.02)
                    y = 0.6 * y + 0.4 * rng.gaussian() // some low-pass colour
                    return Float(envelope * y)
                }
            }
            let reference = LoudnessMeter.measure(AudioBuffer(sampleRate: rate, channels: channels)).integratedLUFS
            XCTAssertEqual(streamed(channels, sampleRate: rate), reference, accuracy: 0.01, "\(rate) Hz")
        }
        XCTAssertEqual(streamed([[Float](repeating: 0, count: 48000)], sampleRate: 48000), -.infinity)
    }
}
