import XCTest
@testable import Soundstage

final class ResamplerAndLoudnessTests: XCTestCase {
    /// Frequency of a sine from its zero crossings (linear interpolation between samples).
    func measuredFrequency(_ x: [Float], sampleRate: Double) -> Double {
        var crossings: [Double] = []
        for i in 1..<x.count where x[i - 1] < 0 && x[i] >= 0 {
            crossings.append(Double(i - 1) + Double(-x[i - 1] / (x[i] - x[i - 1])))
        }
        return Double(crossings.count - 1) / ((crossings.last! - crossings.first!) / sampleRate)
    }

    func testResampling44kTo48kKeepsASinesFrequency() throws {
        let x = sine(hertz: 1000, sampleRate: 44100, count: 44100, amplitude: 0.5)
        let y = try Resampler.resample(x, from: 44100, to: 48000)
        XCTAssertEqual(y.count, 48000)
        // Skip the filter's edges; a 1 kHz sine must read 1 kHz to better than 0.01 Hz.
        XCTAssertEqual(measuredFrequency(Array(y[2000..<46000]), sampleRate: 48000), 1000, accuracy: 0.01)
        let peak = y[2000..<46000].map { abs($0) }.max()!
        XCTAssertEqual(peak, 0.5, accuracy: 0.005) // passband gain 1
    }

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
}
