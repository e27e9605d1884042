import Foundation

extension Plots {
    /// The file name of the wave part's boundary plot, written with the others when the wave part ran.
    public static let waveBoundariesFile = "wave-boundaries.png"

    /// What each material's wall absorbs in the wave part (`BoundaryModel`, random incidence, 20 Hz to
    /// twice the crossover) against the material's octave values (dots): where the two part, the
    /// wave part's walls are not the ones the room file describes.
    public static func waveBoundaries(_ models: [(name: String, model: BoundaryModel)], crossover: Double, title: String) -> PNGImage {
        let c = Canvas(width: width, height: height, background: background)
        let top = 2 * crossover
        let panel = PlotPanel(x: 110, y: 90, width: 1240, height: 780, xRange: 20...top, yRange: 0...1, logX: true)
        panel.drawAxes(on: c, title: title, xLabel: "frequency (Hz)", yLabel: "random-incidence absorption α")
        let palette = [leftEar, rightEar, Color(0.2, 0.6, 0.3), Color(0.55, 0.35, 0.7), Color(0.85, 0.6, 0.1), Color(0.3, 0.65, 0.75), Color(0.5, 0.5, 0.5)]
        for (i, entry) in models.enumerated() {
            let colour = palette[i % palette.count]
            let curve = (0...200).map { n -> (Double, Double) in
                let f = 20 * pow(top / 20, Double(n) / 200)
                return (panel.px(f), panel.py(min(1, entry.model.absorption(at: f))))
            }
            c.polyline(curve, color: colour, width: 2.5)
            for (f, a) in zip(entry.model.bandCentres, entry.model.bandAbsorption) where f <= top {
                c.fillCircle(x: panel.px(f), y: panel.py(a), radius: 6, color: colour)
            }
            c.fillRect(x: 1380, y: 110 + Double(i) * 26, width: 24, height: 4, color: colour)
            c.text(entry.name, x: 1412, y: 117 + Double(i) * 26, size: 15)
        }
        let x = panel.px(crossover)
        c.line(from: (x, panel.py(0)), to: (x, panel.py(1)), color: Color(0.3, 0.3, 0.3, 0.8), width: 1.5)
        c.text(String(format: "crossover %.0f Hz", crossover), x: x + 6, y: panel.py(1) + 18, size: 13, color: Color(0.3, 0.3, 0.3))
        let legend = 130 + Double(models.count) * 26
        c.text("line: the wall in the wave part", x: 1380, y: legend, size: 14, color: Color(0.35, 0.35, 0.35))
        c.text("dots: the material's octave α", x: 1380, y: legend + 20, size: 14, color: Color(0.35, 0.35, 0.35))
        return c.image(text: ["Title": title, "Software": "Soundstage \(SoundstageVersion.string)"])
    }

    /// The wave-boundary plot of `scene`'s materials at `crossover`.
    public static func waveBoundaries(scene: Scene, crossover: Double, command: String) -> PNGImage {
        var image = waveBoundaries(scene.surfaceMaterials.map { ($0.name, BoundaryModel.fit($0, crossover: crossover)) }, crossover: crossover,
                                   title: "\(scene.name): the walls in the wave part")
        image.text["Source"] = scene.name
        image.text["Comment"] = command
        return image
    }
}
