import Foundation

extension Plots {
    /// The low-frequency magnitude (dB re 1/(4π·1 m), i.e. the direct sound of an omni source at 1 m)
    /// of several responses, 20–300 Hz, 1/24-octave smoothed (power average over each 1/24 octave):
    /// where room modes and boundary notches show. `curves`: label and response at `sampleRate`.
    public static func bass(_ curves: [(label: String, response: [Float])], sampleRate: Int, title: String,
                            crossover: Double? = nil) -> PNGImage {
        let c = Canvas(width: width, height: height, background: background)
        let fs = Double(sampleRate)
        let reference = 1 / (4 * Double.pi)
        let levels: [[(Double, Double)]] = curves.map { curve in
            let size = FFTSize.good(atLeast: max(2, curve.response.count) * 2)
            let fft = RealFFT(size: size)
            let s = fft.forward(curve.response)
            return (0..<240).map { i -> (Double, Double) in
                let f = 20 * pow(15, Double(i) / 239)
                let lo = Int(f * pow(2, -1.0 / 48) * Double(size) / fs), hi = max(lo + 1, Int(f * pow(2, 1.0 / 48) * Double(size) / fs))
                var sum = 0.0
                for k in lo..<hi { sum += Double(s[2 * k]) * Double(s[2 * k]) + Double(s[2 * k + 1]) * Double(s[2 * k + 1]) }
                return (f, 10 * log10(max(sum / Double(hi - lo), 1e-30) / (reference * reference)))
            }
        }
        let top = levels.flatMap { $0.map(\.1) }.max() ?? 0
        let yr = (floor((top - 40) / 10) * 10)...(ceil((top + 5) / 10) * 10)
        let panel = PlotPanel(x: 110, y: 90, width: 1240, height: 780, xRange: 20...300, yRange: yr, logX: true)
        panel.drawAxes(on: c, title: title, xLabel: "frequency (Hz)", yLabel: "level (dB re the direct sound at 1 m)")
        let palette = [Color(0.55, 0.55, 0.55), leftEar, rightEar, Color(0.2, 0.6, 0.3)]
        for (i, curve) in levels.enumerated() {
            c.polyline(curve.map { (panel.px($0.0), panel.py(min(yr.upperBound, max(yr.lowerBound, $0.1)))) },
                       color: palette[i % palette.count], width: 2.5)
            c.fillRect(x: 1380, y: 110 + Double(i) * 26, width: 24, height: 4, color: palette[i % palette.count])
            c.text(curves[i].label, x: 1412, y: 117 + Double(i) * 26, size: 15)
        }
        if let fc = crossover, fc > 20, fc < 300 {
            let x = panel.px(fc)
            c.line(from: (x, panel.py(yr.lowerBound)), to: (x, panel.py(yr.upperBound)), color: Color(0.3, 0.3, 0.3, 0.8), width: 1.5)
            c.text(String(format: "crossover %.0f Hz", fc), x: x + 6, y: panel.py(yr.upperBound) + 18, size: 13, color: Color(0.3, 0.3, 0.3))
        }
        c.text("1/24-octave smoothed", x: 1380, y: 130 + Double(curves.count) * 26, size: 14, color: Color(0.35, 0.35, 0.35))
        return c.image(text: ["Title": title, "Software": "Soundstage \(SoundstageVersion.string)"])
    }
}
