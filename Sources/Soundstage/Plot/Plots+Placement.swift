import Foundation

extension Plots {
    /// A placement map (`PlacementMap`) over the room's floor plan to scale: each allowed point a cell
    /// coloured by the objective (Viridis; dark = lower cost = better), walls and objects drawn, the
    /// current (hollow) and best (filled) positions of what the map moves marked, the listener and
    /// speakers of the best placement shown. `markers`: (label, position, filled).
    public static func placementMap(_ map: PlacementMap, scene: Scene, markers: [(label: String, position: Vec3, filled: Bool)],
                                    title: String) -> PNGImage {
        let c = Canvas(width: width, height: height, background: background)
        let lo = scene.boundary.minCorner, hi = scene.boundary.maxCorner
        let margin = 0.04 * max(hi.x - lo.x, hi.y - lo.y)
        let panel = equalAspect(x: 110, y: 80, width: 1160, height: 840, xr: (lo.x - margin)...(hi.x + margin), yr: (lo.y - margin)...(hi.y + margin))
        panel.drawAxes(on: c, title: title, xLabel: "x (m)", yLabel: "y (m), the front wall at the top", grid: false)
        let values = map.cost.flatMap { $0.compactMap { $0 } }
        let range = (values.min() ?? 0)...max((values.max() ?? 1), (values.min() ?? 0) + 1e-6)
        let dx = map.xs.count > 1 ? map.xs[1] - map.xs[0] : 0.15, dy = map.ys.count > 1 ? map.ys[1] - map.ys[0] : 0.15
        for (r, y) in map.ys.enumerated() {
            for (k, x) in map.xs.enumerated() {
                guard let v = map.cost[r][k] else { continue }
                let t = (v - range.lowerBound) / (range.upperBound - range.lowerBound)
                let x0 = panel.px(x - dx / 2), x1 = panel.px(x + dx / 2), y0 = panel.py(y + dy / 2), y1 = panel.py(y - dy / 2)
                c.fillRect(x: x0, y: y0, width: x1 - x0 + 0.5, height: y1 - y0 + 0.5, color: Viridis.color(t))
            }
        }
        for s in scene.surfaces {
            let v = s.polygon.vertices + [s.polygon.vertices[0]]
            c.polyline(v.map { (panel.px($0.x), panel.py($0.y)) }, color: s.objectName == nil ? Color(0.2, 0.2, 0.2) : Color(0.55, 0.4, 0.25),
                       width: s.objectName == nil ? 3 : 2)
        }
        for o in scene.objects {
            c.text(o.name, x: panel.px((o.minCorner.x + o.maxCorner.x) / 2), y: panel.py((o.minCorner.y + o.maxCorner.y) / 2) + 5, size: 13,
                   color: Color(0.45, 0.3, 0.15), centred: true)
        }
        for m in markers {
            let x = panel.px(m.position.x), y = panel.py(m.position.y)
            if m.filled {
                c.fillCircle(x: x, y: y, radius: 9, color: Color(0.95, 0.3, 0.2))
            } else {
                // A ring readable on any cell and on the page: black outside, white inside.
                for (r, color) in [(10.5, Color.black), (8.0, Color.white)] {
                    c.polyline((0...24).map { i in let a = Double(i) / 24 * 2 * .pi; return (x + r * cos(a), y + r * sin(a)) }, color: color, width: 2.5)
                }
            }
            let w = c.textWidth(m.label, size: 15)
            c.fillRect(x: x + 10, y: y - 25, width: w + 7, height: 21, color: Color(1, 1, 1, 0.8))
            c.text(m.label, x: x + 13, y: y - 9, size: 15, bold: true)
        }
        Viridis.drawBar(on: c, x: 1330, y: 130, height: 540, range: range, label: "cost (lower is better)")
        var y = 720.0
        let legend = ["moves the \(map.subject)", "filled: best, hollow: current", "terms:"] + map.terms.map { "  " + $0.rawValue }
            + ["(the listening-area term is left out)"]
        for line in legend {
            c.text(line, x: 1300, y: y, size: 14, color: Color(0.3, 0.3, 0.3))
            y += 21
        }
        return c.image(text: ["Title": title, "Software": "Soundstage \(SoundstageVersion.string)"])
    }
}
