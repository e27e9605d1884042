import Foundation

extension Plots {
    /// The low-frequency magnitude (dB re 1/(4π·1 m), i.e. the direct sound of an omni source at 1 m)
    /// of several responses, 20–300 Hz, 1/24-octave smoothed (power average over each 1/24 octave):
    /// where room modes and boundary notches show. `curves`: label and response at `sampleRate`.
    public static func bass(_ curves: [(label: String, response: [Float])], sampleRate: Int, title: String,
                            crossover: Double? = nil) -> PNGImage {
        let c = Canvas(width: width, height: height, background: background)
        let levels = bassLevels(curves.map(\.response), sampleRate: sampleRate)
        let palette = [Color(0.55, 0.55, 0.55), leftEar, rightEar, Color(0.2, 0.6, 0.3)]
        let panel = PlotPanel(x: 110, y: 90, width: 1240, height: 780, xRange: 20...300, yRange: bassRange(levels), logX: true)
        drawBass(levels, labels: curves.map(\.label), colors: curves.indices.map { palette[$0 % palette.count] }, on: c, panel: panel,
                 title: title, legend: (1380, 110))
        if let fc = crossover, fc > 20, fc < 300 {
            let x = panel.px(fc), yr = panel.yRange
            c.line(from: (x, panel.py(yr.lowerBound)), to: (x, panel.py(yr.upperBound)), color: Color(0.3, 0.3, 0.3, 0.8), width: 1.5)
            c.text(String(format: "crossover %.0f Hz", fc), x: x + 6, y: panel.py(yr.upperBound) + 18, size: 13, color: Color(0.3, 0.3, 0.3))
        }
        return c.image(text: ["Title": title, "Software": "Soundstage \(SoundstageVersion.string)"])
    }

    /// Each response's level 20–300 Hz (dB re 1/(4π·1 m)) at 240 log-spaced frequencies, the power
    /// averaged over 1/24 octave around each.
    static func bassLevels(_ responses: [[Float]], sampleRate: Int) -> [[(Double, Double)]] {
        let fs = Double(sampleRate)
        let reference = 1 / (4 * Double.pi)
        return responses.map { response in
            let size = FFTSize.good(atLeast: max(2, response.count) * 2)
            let fft = RealFFT(size: size)
            let s = fft.forward(response)
            return (0..<240).map { i -> (Double, Double) in
                let f = 20 * pow(15, Double(i) / 239)
                let lo = Int(f * pow(2, -1.0 / 48) * Double(size) / fs), hi = max(lo + 1, Int(f * pow(2, 1.0 / 48) * Double(size) / fs))
                var sum = 0.0
                for k in lo..<hi { sum += Double(s[2 * k]) * Double(s[2 * k]) + Double(s[2 * k + 1]) * Double(s[2 * k + 1]) }
                return (f, 10 * log10(max(sum / Double(hi - lo), 1e-30) / (reference * reference)))
            }
        }
    }

    /// 45 dB of level, from 40 dB under the highest point to 5 dB over it, in whole tens.
    static func bassRange(_ levels: [[(Double, Double)]]) -> ClosedRange<Double> {
        let top = levels.flatMap { $0.map(\.1) }.max() ?? 0
        return (floor((top - 40) / 10) * 10)...(ceil((top + 5) / 10) * 10)
    }

    /// The curves of `bassLevels` in `panel`, with their legend from `legend` down.
    static func drawBass(_ levels: [[(Double, Double)]], labels: [String], colors: [Color], on c: Canvas, panel: PlotPanel,
                         title: String, legend: (x: Double, y: Double)) {
        let yr = panel.yRange
        panel.drawAxes(on: c, title: title, xLabel: "frequency (Hz)", yLabel: "level (dB re the direct sound at 1 m)")
        for (i, curve) in levels.enumerated() {
            c.polyline(curve.map { (panel.px($0.0), panel.py(min(yr.upperBound, max(yr.lowerBound, $0.1)))) }, color: colors[i], width: 2.5)
            c.fillRect(x: legend.x, y: legend.y + Double(i) * 26, width: 24, height: 4, color: colors[i])
            c.text(labels[i], x: legend.x + 32, y: legend.y + 7 + Double(i) * 26, size: 15)
        }
        c.text("1/24-octave smoothed", x: legend.x, y: legend.y + 20 + Double(labels.count) * 26, size: 14, color: Color(0.35, 0.35, 0.35))
    }

    /// `compare.png`: per setup, the seat's bass (the sum of the setup's speakers' responses — every
    /// speaker playing the same bass, as most music's is) 20–300 Hz, and the early-reflection
    /// pattern of one speaker (`EarlyPattern`: reflections within 20 ms, dB re its direct sound),
    /// one colour per setup in both panels.
    public static func comparison(bass: [(label: String, response: [Float])], sampleRate: Int,
                                  early: [(label: String, pattern: EarlyPattern?)], earlySpeaker: String, title: String) -> PNGImage {
        let c = Canvas(width: width, height: height, background: background)
        let colors = bass.indices.map { setupColor($0, of: bass.count) }
        c.text(title, x: Double(width) / 2, y: 40, size: 22, bold: true, centred: true)
        let levels = bassLevels(bass.map(\.response), sampleRate: sampleRate)
        let left = PlotPanel(x: 100, y: 110, width: 620, height: 560, xRange: 20...300, yRange: bassRange(levels), logX: true)
        drawBass(levels, labels: bass.map(\.label), colors: colors, on: c, panel: left,
                 title: "bass at the seat (all speakers, same signal)", legend: (100, 754))
        let right = PlotPanel(x: 880, y: 110, width: 620, height: 560, xRange: 0...20, yRange: -30...0)
        right.drawAxes(on: c, title: "early reflections of speaker \(earlySpeaker) (500 Hz – 4 kHz)", xLabel: "delay after the direct sound (ms)",
                       yLabel: "level (dB re the direct sound)")
        let marks = early.count
        for (i, e) in early.enumerated() {
            guard let pattern = e.pattern else { continue }
            // Setups side by side within 0.15 ms so coinciding reflections stay visible.
            let shift = marks > 1 ? (Double(i) / Double(marks - 1) - 0.5) * 0.15 : 0
            for r in pattern.reflections where r.delay <= 20 && r.levelDB >= -30 {
                let x = right.px(min(20, max(0, r.delay + shift))), level = min(0, r.levelDB)
                c.line(from: (x, right.py(-30)), to: (x, right.py(level)), color: Color(colors[i].r, colors[i].g, colors[i].b, 0.7), width: 2)
                c.fillCircle(x: x, y: right.py(level), radius: 4.5, color: colors[i])
            }
        }
        c.line(from: (right.px(0), right.py(-10)), to: (right.px(20), right.py(-10)), color: Color(0.3, 0.3, 0.3, 0.8), width: 1.5)
        c.text("−10 dB: reflections above shift images (Olive & Toole 1989)", x: right.px(0.3), y: right.py(-10) - 8, size: 13,
               color: Color(0.3, 0.3, 0.3))
        for (i, e) in early.enumerated() {
            let y = 760 + Double(i) * 26
            c.fillRect(x: 880, y: y - 6, width: 24, height: 4, color: colors[i])
            c.fillCircle(x: 892, y: y - 4, radius: 4.5, color: colors[i])
            c.text(e.label + (e.pattern == nil ? " (direct sound blocked)" : ""), x: 912, y: y, size: 15)
        }
        return c.image(text: ["Title": title, "Software": "Soundstage \(SoundstageVersion.string)"])
    }

    /// Distinct colours for up to about ten setups (the colour map's stops), the first the darkest.
    static func setupColor(_ i: Int, of n: Int) -> Color {
        let fixed = [leftEar, rightEar, Color(0.2, 0.6, 0.3), Color(0.55, 0.35, 0.7), Color(0.9, 0.6, 0.1),
                     Color(0.1, 0.65, 0.7), Color(0.45, 0.45, 0.45), Color(0.8, 0.3, 0.6)]
        return i < fixed.count ? fixed[i] : Viridis.color(Double(i - fixed.count) / Double(max(1, n - fixed.count)))
    }
}
