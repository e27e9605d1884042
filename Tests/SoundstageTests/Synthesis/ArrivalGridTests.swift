import XCTest
@testable import Soundstage

/// The finer arrival grid against the ideal fractional delay.
final class ArrivalGridTests: XCTestCase {
    /// An impulse placed at τ = offset + d samples (d fractional) and brought to the sample rate by
    /// the filter bank has the spectrum of the ideal delay, e^{−2πikτ/n}, to 2.5·10⁻⁴ up to
    /// 0.9 × Nyquist (the 10-tap least-squares interpolator on a 2× grid: 7.2·10⁻⁵, Laakso et al. 1996
    /// §3.2, plus at most 1.7·10⁻⁴ for rounding the delay to 1/16384 sample) — and, in every band
    /// alike, so the bands sum back to it. n = 2048 is a transform size of its
    /// own (`FFTSize.good`), so the output is the transform's period exactly.
    func testAnImpulseOnTheGridHasTheSpectrumOfTheIdealDelay() {
        let n = 2048, offset = 100
        XCTAssertEqual(FFTSize.good(atLeast: n), n)
        let fft = RealFFT(size: n)
        for bands in [1, 8] {
            for d in [700.0, 700.25, 700.5, 913.8137, 1203.0625] {
                var grid = ArrivalGrid(length: n, offset: offset)
                grid.add(delaySamples: d, gains: SIMD8<Float>(repeating: 0.5))
                let y = BandFilterBank.combine(BandAccumulator(bandCount: bands, length: n, offset: offset, empty: true), grid: grid,
                                               sampleRate: 48000)
                XCTAssertEqual(y.count, n)
                let spectrum = fft.forward(y)
                var worst = 0.0
                for k in 0..<Int(0.9 * Double(n / 2)) {
                    let phase = -2 * Double.pi * Double(k) * (d + Double(offset)) / Double(n)
                    let re = Double(spectrum[2 * k]) - 0.5 * cos(phase), im = Double(spectrum[2 * k + 1]) - 0.5 * sin(phase)
                    worst = max(worst, (re * re + im * im).squareRoot() / 0.5)
                }
                XCTAssertLessThan(worst, 2.5e-4, "delay \(d), \(bands) band(s)")
                // The peak sits at the delay (the nearest sample to it).
                let peak = y.indices.max { abs(y[$0]) < abs(y[$1]) }!
                XCTAssertEqual(Double(peak), (d + Double(offset)).rounded(), accuracy: 0.5 + 1e-9)
            }
        }
    }

    /// A grid's parts (work slots holding stretches of the axis) add up to the grid holding all
    /// arrivals, point by point; arrivals whose taps fall outside a part lose only those taps.
    func testPartsAddUpToTheWhole() {
        let n = 4096, offset = 64
        var whole = ArrivalGrid(length: n, offset: offset)
        let split = ArrivalGrid.oversampling * 1125, full = ArrivalGrid.oversampling * n
        var parts = [ArrivalGrid(length: n, offset: offset, range: 0..<split), ArrivalGrid(length: n, offset: offset, range: split..<full)]
        var seed: UInt64 = 7
        for i in 0..<500 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let d = Double(seed >> 11) / Double(1 << 53) * 4000 - 40
            let g = SIMD8<Float>(Float(i % 7) + 1, 1, 2, 3, 4, 5, 6, 7)
            whole.add(delaySamples: d, gains: g)
            // Each arrival goes to the part that holds its first tap; the part's edge drops the rest.
            let (P, phases) = (Double(ArrivalGrid.oversampling), Double(ArrivalGrid.phases))
            let first = Int(((d + Double(offset)) * P * phases + 0.5).rounded(.down) / phases) - ArrivalGrid.leadingTaps
            let part = first < split ? 0 : 1
            parts[part].add(delaySamples: d, gains: g)
            if part == 0 && first + ArrivalGrid.taps > split { parts[1].add(delaySamples: d, gains: g) } // its other taps
        }
        var sum = ArrivalGrid(length: n, offset: offset)
        for p in parts { sum.add(p) }
        for i in 0..<whole.range.count {
            for b in 0..<8 { XCTAssertEqual(sum.data[i][b], whole.data[i][b], accuracy: 1e-5 * max(1, abs(whole.data[i][b]))) }
        }
    }
}
