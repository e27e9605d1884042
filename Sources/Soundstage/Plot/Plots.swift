import Foundation

/// What the plots are drawn from: the scene, the paths of reflections.json and the responses.
/// `simulate` builds it in memory; `soundstage plot` reads it back from the output folder.
public struct PlotInput {
    public var scene: Scene
    public var reflections: ReflectionsFile
    public var rirs: [String: [Float]]
    public var brirs: [String: AudioBuffer]
    public var sampleRate: Int
    /// The command line, recorded in the PNGs' text chunks.
    public var command: String
    /// The wave part's crossover (Hz), marked on the response; nil when the wave part was off.
    public var waveCrossover: Double?

    public init(scene: Scene, reflections: ReflectionsFile, rirs: [String: [Float]], brirs: [String: AudioBuffer], sampleRate: Int, command: String,
                waveCrossover: Double? = nil) {
        (self.scene, self.reflections, self.rirs, self.brirs, self.sampleRate, self.command) = (scene, reflections, rirs, brirs, sampleRate, command)
        self.waveCrossover = waveCrossover
    }

    /// The speaker the single-speaker plots show (the first).
    var mainSpeaker: ReflectionsFile.SpeakerPaths { reflections.speakers[0] }

    /// Image-source position of a listed reflection: the listener plus its path length along the
    /// direction it arrives from (toward its last reflection point, or the speaker for the direct sound).
    func imagePosition(_ r: ReflectionsFile.Reflection, speaker: ReflectionsFile.SpeakerPaths) -> Vec3 {
        let l = scene.listener.position
        let last = r.points.last.map { Vec3($0[0], $0[1], $0[2]) } ?? Vec3(speaker.position[0], speaker.position[1], speaker.position[2])
        return l + (last - l).normalized * r.distanceMetres
    }
}

/// The five plots of SPEC §5 (1600 × 1000 px, light background, DejaVu Sans).
public enum Plots {
    public static let width = 1600, height = 1000
    static let background = Color(0.98, 0.98, 0.97)
    static let leftEar = Color(0.12, 0.35, 0.75), rightEar = Color(0.85, 0.25, 0.15)

    /// The plots' file names (SPEC §5): the five of every room. `echogram.png` and `response.png`
    /// show the first speaker; each further speaker has its own (`speakerFileNames`).
    public static let fileNames = ["arrivals.png", "decay.png", "echogram.png", "reflection-map.png", "response.png"]

    /// `echogram-<name>.png` and `response-<name>.png` of every speaker after the first.
    public static func speakerFileNames(_ speakers: [String]) -> [String] {
        speakers.dropFirst().flatMap { ["echogram-\($0).png", "response-\($0).png"] }
    }

    /// Every plot by file name: the five, each further speaker's echogram and response, and
    /// `waveBoundariesFile` when the wave part ran.
    public static func all(_ input: PlotInput) -> [String: PNGImage] {
        var plots = [
            "reflection-map.png": reflectionMap(input).image,
            "echogram.png": echogram(input),
            "decay.png": decay(input),
            "response.png": response(input),
            "arrivals.png": arrivals(input),
        ]
        for (k, sp) in input.reflections.speakers.enumerated().dropFirst() {
            plots["echogram-\(sp.name).png"] = echogram(input, speaker: k)
            plots["response-\(sp.name).png"] = response(input, speaker: k)
        }
        if let crossover = input.waveCrossover {
            plots[waveBoundariesFile] = waveBoundaries(scene: input.scene, crossover: crossover, command: input.command)
        }
        return plots
    }

    static func text(_ input: PlotInput, title: String) -> [String: String] {
        ["Title": title, "Software": "Soundstage \(SoundstageVersion.string)", "Source": input.scene.name, "Comment": input.command]
    }

    // MARK: Reflection map

    /// Where each panel's world coordinates land in pixels (uniform scale, centred).
    public struct MapLayout {
        public var top: PlotPanel   // x across, y along the room (floor plan)
        public var side: PlotPanel  // y along the room, z up (seen from the right-hand side)
    }

    static func equalAspect(x: Double, y: Double, width: Double, height: Double, xr: ClosedRange<Double>, yr: ClosedRange<Double>) -> PlotPanel {
        let scale = min(width / (xr.upperBound - xr.lowerBound), height / (yr.upperBound - yr.lowerBound))
        let cx = (xr.lowerBound + xr.upperBound) / 2, cy = (yr.lowerBound + yr.upperBound) / 2
        let hx = width / scale / 2, hy = height / scale / 2
        return PlotPanel(x: x, y: y, width: width, height: height, xRange: (cx - hx)...(cx + hx), yRange: (cy - hy)...(cy + hy))
    }

    public static func reflectionMap(_ input: PlotInput) -> (image: PNGImage, layout: MapLayout) {
        let c = Canvas(width: width, height: height, background: background)
        let scene = input.scene
        let lo = scene.boundary.minCorner, hi = scene.boundary.maxCorner
        // Show the room and the first- and second-order images around it (at most 3 room sizes away).
        var xs = [lo.x, hi.x], ys = [lo.y, hi.y], zs = [lo.z, hi.z]
        let span = max(hi.x - lo.x, hi.y - lo.y, hi.z - lo.z)
        var images: [(Vec3, Double, Double)] = [] // position, level dB, delay ms after direct
        for sp in input.reflections.speakers {
            let direct = sp.reflections.first?.delaySeconds ?? 0
            for r in sp.reflections {
                let p = input.imagePosition(r, speaker: sp)
                images.append((p, r.levelDB[FrequencyBands.octaves.index(ofHertz: 1000)], (r.delaySeconds - direct) * 1000))
                // The frame: the room and the nearest images (a quarter room-size around it), so the
                // plan fills its panel; farther image sources are left out of the frame.
                if r.order == 1, p.x > lo.x - 0.25 * span, p.x < hi.x + 0.25 * span, p.y > lo.y - 0.25 * span, p.y < hi.y + 0.25 * span,
                   p.z > lo.z - 0.25 * span, p.z < hi.z + 0.25 * span {
                    xs.append(p.x); ys.append(p.y); zs.append(p.z)
                }
            }
        }
        let margin = 0.05 * span
        let xr = (xs.min()! - margin)...(xs.max()! + margin), yr = (ys.min()! - margin)...(ys.max()! + margin)
        let zr = (zs.min()! - margin)...(zs.max()! + margin)
        let top = equalAspect(x: 90, y: 80, width: 800, height: 800, xr: xr, yr: yr)
        let side = equalAspect(x: 990, y: 80, width: 430, height: 430, xr: yr, yr: zr)
        top.drawAxes(on: c, title: "Floor plan (top view)", xLabel: "x (m)", yLabel: "y (m)", grid: false)
        side.drawAxes(on: c, title: "Elevation (seen from the right)", xLabel: "y (m)", yLabel: "z (m)", grid: false)
        let wall = Color(0.2, 0.2, 0.2)
        // Room boundary: every face's edges projected (walls project to lines, floor/ceiling to
        // outlines), then the objects' faces, then the patches over their surfaces.
        let patchColor = Color(0.15, 0.45, 0.85)
        let outlines = scene.boundary.faces.map { (polygon: $0.polygon, color: wall, width: 2.5) }
            + scene.surfaces.filter { $0.objectName != nil }.map { (polygon: $0.polygon, color: Color(0.55, 0.4, 0.25), width: 1.5) }
            + scene.surfaces.filter { $0.patchOf != nil }.map { (polygon: $0.polygon, color: patchColor, width: abs($0.polygon.normal.z) < 0.5 ? 6.0 : 2.0) }
        for o in outlines {
            let v = o.polygon.vertices + [o.polygon.vertices[0]]
            c.polyline(v.map { (top.px($0.x), top.py($0.y)) }, color: o.color, width: o.width)
            c.polyline(v.map { (side.px($0.y), side.py($0.z)) }, color: o.color, width: o.width)
        }
        // Each wall's material and its absorption at 1 kHz inside the plan along the wall; a patch
        // on a wall (a window, a door) labelled further in, in its colour.
        let k1 = FrequencyBands.octaves.index(ofHertz: 1000)
        let walls = scene.boundary.faces.compactMap { face in
            scene.surfaces.first { $0.objectName == nil && $0.patchOf == nil && $0.name == face.name }.map { (polygon: face.polygon, name: $0.material.name, material: $0.material, inset: 16.0, color: Color(0.35, 0.25, 0.15)) }
        } + scene.surfaces.filter { $0.patchOf != nil }.map { (polygon: $0.polygon, name: "\($0.name): \($0.material.name)", material: $0.material, inset: 34.0, color: patchColor) }
        for p in scene.surfaces where p.patchOf != nil && abs(p.polygon.normal.z) >= 0.5 {
            // A floor or ceiling patch: its name and material inside its outline, near the low edge.
            let v = p.polygon.vertices, xs = v.map(\.x), ys = v.map(\.y)
            let label = String(format: "%@: %@ α %.2f", p.name, p.material.name, p.material.absorption.values[k1])
            c.text(label, x: top.px((xs.min()! + xs.max()!) / 2), y: top.py(ys.min()! + 0.12 * (ys.max()! - ys.min()!)), size: 12, color: patchColor, centred: true)
        }
        for w in walls where abs(w.polygon.normal.z) < 0.5 {
            let v = w.polygon.vertices
            let mid = v.reduce(Vec3(0, 0, 0), +) / Double(v.count), n = w.polygon.normal
            let a = v.map { top.px($0.x) }, b = v.map { top.py($0.y) }
            let length = hypot(a.max()! - a.min()!, b.max()! - b.min()!)
            guard length > 60 else { continue }
            var angle = atan2(-n.x, -n.y) // along the wall, on screen (y down)
            if angle > .pi / 2 { angle -= .pi } else if angle < -.pi / 2 { angle += .pi }
            let label = String(format: "%@ α %.2f", w.name, w.material.absorption.values[k1])
            c.text(label, x: top.px(mid.x) + w.inset * n.x, y: top.py(mid.y) - w.inset * n.y, size: 12, color: w.color, centred: true, angle: angle)
        }
        // Image sources: size by level (1 kHz, dB re direct at 1 m), colour by delay.
        let maxDelay = max(1, images.map(\.2).max() ?? 1)
        for (p, level, delay) in images.sorted(by: { $0.2 > $1.2 }) {
            let r = 3 + 9 * max(0, min(1, (level + 40) / 40))
            let col = Viridis.color(delay / maxDelay, alpha: 0.85)
            if top.contains((top.px(p.x), top.py(p.y))) { c.fillCircle(x: top.px(p.x), y: top.py(p.y), radius: r, color: col) }
            if side.contains((side.px(p.y), side.py(p.z))) { c.fillCircle(x: side.px(p.y), y: side.py(p.z), radius: r * 0.7, color: col) }
        }
        // First- and second-order paths through their reflection points.
        let listener = scene.listener.position
        for sp in input.reflections.speakers {
            let s = Vec3(sp.position[0], sp.position[1], sp.position[2])
            for r in sp.reflections where r.order >= 1 && r.order <= 2 {
                let pts = [s] + r.points.map { Vec3($0[0], $0[1], $0[2]) } + [listener]
                let col = r.order == 1 ? Color(0.95, 0.55, 0.1, 0.8) : Color(0.55, 0.3, 0.75, 0.35)
                c.polyline(pts.map { (top.px($0.x), top.py($0.y)) }, color: col, width: r.order == 1 ? 1.6 : 1)
                for q in r.points where r.order == 1 { c.fillCircle(x: top.px(q[0]), y: top.py(q[1]), radius: 4, color: Color(0.95, 0.55, 0.1)) }
            }
        }
        // Speakers with their aim, the listener's head and facing.
        for sp in scene.speakers {
            let p = sp.position, f = sp.orientation.forward
            c.line(from: (top.px(p.x), top.py(p.y)), to: (top.px(p.x + 0.6 * f.x), top.py(p.y + 0.6 * f.y)), color: .black, width: 2.5)
            c.fillRect(x: top.px(p.x) - 9, y: top.py(p.y) - 9, width: 18, height: 18, color: Color(0.1, 0.1, 0.1))
            c.text(sp.name, x: top.px(p.x) + 12, y: top.py(p.y) - 10, size: 16, bold: true)
            c.fillRect(x: side.px(p.y) - 6, y: side.py(p.z) - 6, width: 12, height: 12, color: Color(0.1, 0.1, 0.1))
        }
        let head = listener, nose = scene.listener.orientation.forward
        c.fillCircle(x: top.px(head.x), y: top.py(head.y), radius: 11, color: Color(0.2, 0.55, 0.3))
        c.line(from: (top.px(head.x), top.py(head.y)), to: (top.px(head.x + 0.45 * nose.x), top.py(head.y + 0.45 * nose.y)), color: Color(0.2, 0.55, 0.3), width: 3)
        c.fillCircle(x: side.px(head.y), y: side.py(head.z), radius: 8, color: Color(0.2, 0.55, 0.3))
        Viridis.drawBar(on: c, x: 1470, y: 110, height: 360, range: 0...maxDelay, label: "delay (ms)")
        // Legend and the placement numbers people tune.
        var notes = ["■ speaker (line: aim)   ● listener (line: facing)", "orange: 1st-order paths and reflection points",
                     "purple: 2nd-order paths;  dots: image sources", "(size = level at 1 kHz, colour = delay after direct)"]
        let d = scene.speakers.map { scene.listener.direction(of: $0.position) }
        if scene.speakers.count >= 2 {
            notes.append(String(format: "speaker spacing %.2f m, stereo angle %.1f°", scene.speakers[0].position.distance(to: scene.speakers[1].position), abs(d[0].azimuth - d[1].azimuth)))
        }
        for (sp, dir) in zip(scene.speakers, d) {
            let near = scene.nearestSurfaces(to: sp.position, count: 2).map { String(format: "%@ %.2f m", $0.name, $0.distance) }.joined(separator: ", ")
            notes.append(String(format: "%@: %.2f m to the listener, toe-in %.0f°; %@", sp.name, dir.distance, scene.toeInDegrees(of: sp), near))
        }
        let flat = scene.surfaces.filter { $0.objectName == nil && abs($0.polygon.normal.z) >= 0.5 } // with floor and ceiling patches
        let horizontal = Dictionary(flat.map { ($0.name, $0.material) }, uniquingKeysWith: { a, _ in a })
        let entries = horizontal.keys.sorted().map { String(format: "%@: %@ α %.2f", $0, horizontal[$0]!.name, horizontal[$0]!.absorption.values[k1]) }
        for start in stride(from: 0, to: entries.count, by: 2) { // two to a line, so a line fits the panel
            notes.append(entries[start..<min(entries.count, start + 2)].joined(separator: ";  ") + (start + 2 >= entries.count ? " (α at 1 kHz)" : ""))
        }
        let spacing = min(26, 380 / Double(max(1, notes.count)))
        for (i, line) in notes.enumerated() { c.text(line, x: 990, y: 590 + Double(i) * spacing, size: spacing < 22 ? 13 : 15) }
        c.text("Reflection map — \(scene.name)", x: 800, y: 40, size: 24, bold: true, centred: true)
        return (c.image(text: text(input, title: "Reflection map — \(scene.name)")), MapLayout(top: top, side: side))
    }
}
