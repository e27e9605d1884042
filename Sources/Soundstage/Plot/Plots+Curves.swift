import Foundation

extension Plots {
    /// Energy–time curve per ear of speaker `index`'s BRIR (dB re the direct sound's peak), the
    /// direct sound and ITDG marked, the first reflections labelled with the surfaces they hit.
    public static func echogram(_ input: PlotInput, speaker index: Int = 0) -> PNGImage {
        let c = Canvas(width: width, height: height, background: background)
        let sp = input.reflections.speakers[index]
        let fs = Double(input.sampleRate)
        let ears = input.brirs[sp.name]?.channels ?? [input.rirs[sp.name] ?? []]
        let direct = sp.reflections.first?.delaySeconds ?? 0
        let end = min(Double(ears[0].count) / fs, direct + 0.15)
        let panel = PlotPanel(x: 110, y: 90, width: 1420, height: 780, xRange: 0...(end * 1000), yRange: -60...5)
        panel.drawAxes(on: c, title: "Echogram — speaker \(sp.name) (\(input.scene.name))", xLabel: "time after the speaker emits (ms)", yLabel: "level (dB re direct sound)")
        // 1 ms smoothing (±0.5 ms window energy, as the analysis uses).
        let curves = ears.map { x in ImpulseResponseAnalyzer.windowedEnergy(x.map { Double($0) * Double($0) }, fs: fs, halfWidthSeconds: 0.0005).values }
        let peak = curves.map { $0.max() ?? 1 }.max() ?? 1
        for (i, curve) in curves.enumerated() {
            let n = min(curve.count, Int(end * fs))
            let pts = stride(from: 0, to: n, by: 2).map { k in (panel.px(Double(k) / fs * 1000), panel.py(max(-60, 10 * log10(max(curve[k], 1e-30) / peak)))) }
            c.polyline(pts, color: curves.count == 2 ? (i == 0 ? leftEar : rightEar) : leftEar, width: 1.6)
        }
        // Direct sound and ITDG.
        c.line(from: (panel.px(direct * 1000), panel.y), to: (panel.px(direct * 1000), panel.y + panel.height), color: Color(0.2, 0.55, 0.3), width: 2)
        c.text("direct", x: panel.px(direct * 1000) + 5, y: panel.y + 20, size: 15, color: Color(0.2, 0.55, 0.3))
        let reflections = sp.reflections.filter { $0.order >= 1 && $0.order <= 2 && $0.delaySeconds <= end }
        if let first = reflections.first {
            let x0 = panel.px(direct * 1000), x1 = panel.px(first.delaySeconds * 1000)
            c.line(from: (x0, panel.y + 45), to: (x1, panel.y + 45), color: Color(0.2, 0.55, 0.3), width: 2)
            c.text(String(format: "ITDG %.1f ms", (first.delaySeconds - direct) * 1000), x: x1 + 6, y: panel.y + 50, size: 15, color: Color(0.2, 0.55, 0.3))
        }
        // Label the strongest first reflections (up to 10, staggered) by the surfaces they hit.
        for (i, r) in reflections.filter({ $0.order == 1 }).prefix(10).enumerated() {
            let x = panel.px(r.delaySeconds * 1000)
            c.line(from: (x, panel.y + 80), to: (x, panel.y + panel.height), color: Color(0.5, 0.5, 0.5, 0.4))
            c.text(r.surfaces.joined(separator: "→"), x: x + 4, y: panel.y + 100 + Double(i % 5) * 22, size: 14, color: Color(0.3, 0.3, 0.3))
        }
        let legend = curves.count == 2 ? [("left ear", leftEar), ("right ear", rightEar)] : [("omni", leftEar)]
        for (i, (name, col)) in legend.enumerated() {
            c.fillRect(x: 1380, y: 110 + Double(i) * 26, width: 24, height: 4, color: col)
            c.text(name, x: 1412, y: 117 + Double(i) * 26, size: 15)
        }
        return c.image(text: text(input, title: "Echogram — \(sp.name), \(input.scene.name)"))
    }

    /// Schroeder decay of the first speaker's omni RIR per octave band, with the T30 regression lines.
    public static func decay(_ input: PlotInput) -> PNGImage {
        let c = Canvas(width: width, height: height, background: background)
        let sp = input.mainSpeaker
        let fs = Double(input.sampleRate)
        let rir = input.rirs[sp.name] ?? []
        let e0 = rir.map { Double($0) * Double($0) }
        let onset = e0.firstIndex { $0 >= (e0.max() ?? 0) * 0.01 } ?? 0
        let bands = FrequencyBands.octaves
        // Bands centred above what the sample rate carries are not drawn (`OctaveFilter.limit`).
        let curves = bands.indices.map { b -> DecayCurve? in
            guard bands.centres[b] < OctaveFilter.limit(sampleRate: fs) else { return nil }
            let y = OctaveFilter(centreHertz: bands.centres[b], sampleRate: fs).apply(rir)
            return DecayCurve(energy: Array(y[onset...].map { Double($0) * Double($0) }), sampleRate: fs)
        }
        // Time axis: to where the slowest band has fallen 70 dB (or the response ends).
        let ends = curves.compactMap { $0 }.map { c in Double(c.levels.firstIndex { $0 <= -70 } ?? c.levels.count) / fs }
        let seconds = max(0.01, min(Double(max(1, rir.count - onset)) / fs, 1.1 * (ends.max() ?? 1)))
        let panel = PlotPanel(x: 110, y: 90, width: 1120, height: 780, xRange: 0...seconds, yRange: -70...0)
        panel.drawAxes(on: c, title: "Schroeder decay per octave band — speaker \(sp.name) (\(input.scene.name))", xLabel: "time after the onset (s)", yLabel: "level (dB)")
        for (b, band) in curves.enumerated() {
            let col = Viridis.color(Double(b) / Double(bands.count - 1))
            guard let curve = band else {
                c.fillRect(x: 1260, y: 110 + Double(b) * 28, width: 24, height: 4, color: col)
                c.text("\(bands.labels[b]) Hz: above the bandwidth", x: 1292, y: 117 + Double(b) * 28, size: 15)
                continue
            }
            let step = max(1, curve.levels.count / 1500)
            let pts = stride(from: 0, to: curve.levels.count, by: step).filter { curve.levels[$0] > -70 && Double($0) / fs <= seconds }
                .map { (panel.px(Double($0) / fs), panel.py(curve.levels[$0])) }
            c.polyline(pts, color: col, width: 2)
            var label = "\(bands.labels[b]) Hz"
            if let line = curve.regression(upper: -5, lower: -35) {
                // The regression line from −5 dB to −65 dB (inside the panel).
                let t0 = max(0, (-5 - line.intercept) / line.slope), t1 = min(seconds, (-65 - line.intercept) / line.slope)
                c.line(from: (panel.px(t0), panel.py(line.intercept + line.slope * t0)), to: (panel.px(t1), panel.py(line.intercept + line.slope * t1)),
                       color: Color(col.r, col.g, col.b, 0.55), width: 1)
                label += String(format: ": T30 %.2f s", -60 / line.slope)
            } else {
                label += ": T30 —"
            }
            // A response that ends before the band has decayed 60 dB: say how far it got.
            if let end = curve.endLevelDB, end > -60 { label += String(format: " (ends at %.0f dB)", end) }
            c.fillRect(x: 1260, y: 110 + Double(b) * 28, width: 24, height: 4, color: col)
            c.text(label, x: 1292, y: 117 + Double(b) * 28, size: 15)
        }
        c.text("thin lines: T30 regression", x: 1260, y: 117 + 9 * 28, size: 14, color: Color(0.35, 0.35, 0.35))
        c.text("(fit from −5 to −35 dB)", x: 1260, y: 117 + 10 * 28, size: 14, color: Color(0.35, 0.35, 0.35))
        return c.image(text: text(input, title: "Decay — \(input.scene.name)"))
    }

    /// Magnitude response per ear of speaker `index`'s BRIR, raw and ⅓-octave smoothed, in dB re
    /// the direct sound of an omni source at 1 m (1/(4π·1 m); an ear's HRTF adds its own gain).
    public static func response(_ input: PlotInput, speaker index: Int = 0) -> PNGImage {
        let c = Canvas(width: width, height: height, background: background)
        let sp = input.reflections.speakers[index]
        let reference = 1 / (16 * Double.pi * Double.pi) // (1/(4π))²
        let fs = Double(input.sampleRate)
        let ears = input.brirs[sp.name]?.channels ?? [input.rirs[sp.name] ?? []]
        let transforms = ears.map { e -> (power: [Double], binHertz: Double) in
            let t = ResponseCurve.powerSpectrum(e, sampleRate: fs)
            return (t.power.map { $0 / reference }, t.binHertz)
        }
        let spectra = transforms.map(\.power)
        let binHertz = transforms[0].binHertz
        let hz = { (k: Int) in Double(k) * binHertz }
        // Up to 20 kHz or the file's Nyquist frequency, whichever is lower (a room may be simulated at 8 kHz).
        let smoothed = transforms.map { t in
            let curve = ResponseCurve.smoothed(power: t.power, binHertz: t.binHertz, sampleRate: fs, fraction: 3)
            return Array(zip(curve.hertz, curve.levelsDB))
        }
        let top = smoothed.flatMap { (curve: [(Double, Double)]) -> [Double] in curve.map { $0.1 } }.max() ?? 0
        let yr = (floor((top - 50) / 10) * 10)...(ceil((top + 5) / 10) * 10)
        let panel = PlotPanel(x: 110, y: 90, width: 1240, height: 780, xRange: 20...20000, yRange: yr, logX: true)
        panel.drawAxes(on: c, title: "Magnitude response — speaker \(sp.name) (\(input.scene.name))", xLabel: "frequency (Hz)", yLabel: "level (dB re the direct sound at 1 m)")
        for (i, p) in spectra.enumerated() {
            let col = spectra.count == 2 ? (i == 0 ? leftEar : rightEar) : leftEar
            var pts: [(Double, Double)] = []
            var k = max(1, Int(20 / binHertz))
            while k < p.count && hz(k) <= 20000 {
                pts.append((panel.px(hz(k)), panel.py(min(yr.upperBound, max(yr.lowerBound, 10 * log10(max(p[k], 1e-30)))))))
                k += max(1, k / 400)
            }
            c.polyline(pts, color: Color(col.r, col.g, col.b, 0.25), width: 1)
            c.polyline(smoothed[i].map { (panel.px($0.0), panel.py(min(yr.upperBound, max(yr.lowerBound, $0.1)))) }, color: col, width: 2.5)
        }
        let legend = spectra.count == 2 ? ["left ear", "right ear"] : ["omni"]
        for (i, name) in legend.enumerated() {
            let col = i == 0 ? leftEar : rightEar
            c.fillRect(x: 1380, y: 110 + Double(i) * 26, width: 24, height: 4, color: col)
            c.text(name, x: 1412, y: 117 + Double(i) * 26, size: 15)
        }
        if let fc = input.waveCrossover, fc > 20, fc < min(20000, fs / 2) {
            // Below the crossover the response comes from the wave solver, above it from the geometric model.
            let x = panel.px(fc)
            c.line(from: (x, panel.py(yr.lowerBound)), to: (x, panel.py(yr.upperBound)), color: Color(0.3, 0.3, 0.3, 0.8), width: 1.5)
            c.text(String(format: "◀ wave | geometric ▶  %.0f Hz", fc), x: x + 6, y: panel.py(yr.upperBound) + 18, size: 13, color: Color(0.3, 0.3, 0.3))
        }
        c.text("bold: ⅓-octave smoothed", x: 1380, y: 180, size: 14, color: Color(0.35, 0.35, 0.35))
        c.text("pale: raw", x: 1380, y: 204, size: 14, color: Color(0.35, 0.35, 0.35))
        return c.image(text: text(input, title: "Response — \(sp.name), \(input.scene.name)"))
    }

    /// Directions of arrival of the early reflections (first 80 ms) of every speaker:
    /// azimuth × elevation in the head frame, size = level, colour = delay after the direct sound,
    /// one marker shape per speaker (`markerShapes`).
    public static func arrivals(_ input: PlotInput) -> PNGImage {
        let c = Canvas(width: width, height: height, background: background)
        var panel = PlotPanel(x: 110, y: 90, width: 1180, height: 780, xRange: -180...180, yRange: -90...90, flipX: true)
        panel.xStep = 30
        panel.yStep = 30
        panel.drawAxes(on: c, title: "Early reflections by direction of arrival (\(input.scene.name))", xLabel: "azimuth (°, + = left; the listener looks at 0)", yLabel: "elevation (°)")
        var dots: [(az: Double, el: Double, level: Double, delay: Double, order: Int, speaker: Int)] = []
        for (k, sp) in input.reflections.speakers.enumerated() {
            let direct = sp.reflections.first?.delaySeconds ?? 0
            for r in sp.reflections where r.delaySeconds - direct <= 0.08 {
                dots.append((r.azimuthDegrees, r.elevationDegrees, r.levelDB[FrequencyBands.octaves.index(ofHertz: 1000)], (r.delaySeconds - direct) * 1000, r.order, k))
            }
        }
        for d in dots.sorted(by: { $0.delay > $1.delay }) {
            let radius = 4 + 14 * max(0, min(1, (d.level + 40) / 40))
            drawMarker(d.speaker, on: c, x: panel.px(d.az), y: panel.py(d.el), radius: radius, color: Viridis.color(d.delay / 80, alpha: 0.8))
            if d.order == 0 { c.polyline([(panel.px(d.az) - radius - 3, panel.py(d.el)), (panel.px(d.az) + radius + 3, panel.py(d.el))], color: .black, width: 2) }
        }
        Viridis.drawBar(on: c, x: 1400, y: 120, height: 400, range: 0...80, label: "delay (ms)")
        c.text("after the direct sound", x: 1340, y: 550, size: 14)
        c.text("size = level at 1 kHz", x: 1340, y: 576, size: 14)
        c.text("crossed: direct sound", x: 1340, y: 600, size: 14)
        for (k, sp) in input.reflections.speakers.enumerated() {
            let y = 640 + Double(k) * 28
            drawMarker(k, on: c, x: 1352, y: y - 5, radius: 8, color: Color(0.3, 0.3, 0.3))
            c.text("speaker " + sp.name, x: 1370, y: y, size: 15)
        }
        return c.image(text: text(input, title: "Arrivals — \(input.scene.name)"))
    }

    /// Marker shapes told apart without colour, for up to eight speakers (then repeating): circle,
    /// square, triangle, diamond, inverted triangle, pentagon, hexagon, star.
    static let markerShapes = ["circle", "square", "triangle", "diamond", "inverted triangle", "pentagon", "hexagon", "star"]

    /// Marker `index` (`markerShapes`) of about `radius` centred at (x, y).
    static func drawMarker(_ index: Int, on c: Canvas, x: Double, y: Double, radius r: Double, color: Color) {
        func regular(_ n: Int, _ rotation: Double, _ radii: [Double] = [1]) -> [(Double, Double)] {
            let m = n * radii.count
            return (0..<m).map { i in
                let a = rotation + 2 * Double.pi * Double(i) / Double(m), q = r * radii[i % radii.count]
                return (x + q * sin(a), y - q * cos(a))
            }
        }
        switch index % markerShapes.count {
        case 0: c.fillCircle(x: x, y: y, radius: r, color: color)
        case 1: c.fillRect(x: x - 0.85 * r, y: y - 0.85 * r, width: 1.7 * r, height: 1.7 * r, color: color)
        case 2: c.fillPolygon(regular(3, 0).map { ($0.0, $0.1 + 0.2 * r) }, color: color)
        case 3: c.fillPolygon(regular(4, 0), color: color)
        case 4: c.fillPolygon(regular(3, .pi).map { ($0.0, $0.1 - 0.2 * r) }, color: color)
        case 5: c.fillPolygon(regular(5, 0), color: color)
        case 6: c.fillPolygon(regular(6, .pi / 6), color: color)
        default: c.fillPolygon(regular(5, 0, [1.1, 0.45]), color: color)
        }
    }
}
