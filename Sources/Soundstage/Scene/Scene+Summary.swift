import Foundation

extension Scene {
    /// Horizontal toe-in of `speaker` in degrees: from facing the back wall (−y), positive when
    /// turned toward the listener's centre line x = listener.x (for a centred listener this is
    /// SPEC §1's room centre line; off-centre it is the angle users tune).
    public func toeInDegrees(of speaker: Speaker) -> Double {
        let centreX = listener.position.x
        let yaw = speaker.orientation.yawPitch(reference: Vec3(0, -1, 0)).yaw
        return speaker.position.x <= centreX ? yaw : -yaw
    }

    /// The nearest distinct room surfaces to `point`, nearest first (name, metres).
    public func nearestSurfaces(to point: Vec3, count: Int = 3) -> [(name: String, distance: Double)] {
        var best: [String: Double] = [:]
        for s in surfaces {
            let d = s.polygon.distance(to: point)
            best[s.name] = min(best[s.name] ?? .infinity, d)
        }
        return best.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.prefix(count).map { ($0.key, $0.value) }
    }

    /// The human-readable summary `soundstage validate` prints (SPEC §3).
    public func summary() -> String {
        var out: [String] = []
        let shapeText: String
        switch shape {
        case .shoebox(let w, let l, let h): shapeText = String(format: "shoebox %.2f × %.2f × %.2f m", w, l, h)
        case .floorPlan(let p, let h): shapeText = String(format: "floor plan of %d walls, %.2f m high", p.count, h)
        case .mesh(let file): shapeText = "mesh \(file) (\(boundary.faces.count) polygons)"
        }
        out.append(String(format: "%@: %@, volume %.1f m³, surface area %.1f m² (%d surfaces, %d objects).",
                          name, shapeText, volume, surfaceArea, Set(surfaces.map(\.name)).count, objects.count))
        let patches = surfaces.filter { $0.patchOf != nil }
        if !patches.isEmpty {
            let k1 = FrequencyBands.octaves.index(ofHertz: 1000)
            out.append("Patches: " + patches.map { p in
                String(format: "%@ on %@ %.2f m² %@ (α %.2f at 1 kHz)", p.name, p.patchOf!, p.polygon.area, p.material.name, p.material.absorption.values[k1])
            }.joined(separator: "; ") + ".")
        }
        out.append(String(format: "Air %.1f °C, %.0f %% RH, speed of sound %.1f m/s. Simulation at %d Hz.",
                          air.temperatureCelsius, air.relativeHumidity, air.speedOfSound, simulation.sampleRate))
        let rt = statisticalRT60()
        let bands = FrequencyBands.octaves
        out.append("RT60 (s)  " + bands.labels.map { $0.leftPadded(6) }.joined())
        out.append("  Sabine  " + rt.sabine.values.map { String(format: "%6.2f", $0) }.joined())
        out.append("  Eyring  " + rt.eyring.values.map { String(format: "%6.2f", $0) }.joined())
        out.append("  Fitzroy " + rt.fitzroy.values.map { String(format: "%6.2f", $0) }.joined())
        // Where Fitzroy's estimate exceeds Eyring's by a fifth, the absorption sits on some surfaces
        // only and the field is not diffuse: say what to expect of the simulated decay.
        if let b = bands.indices.max(by: { rt.fitzroy[$0] / rt.eyring[$0] < rt.fitzroy[$1] / rt.eyring[$1] }),
           rt.fitzroy[b] > 1.2 * rt.eyring[b] {
            out.append(String(format: "  The absorption is uneven between the room's axes (Fitzroy %.2f s against Eyring %.2f s at %@ Hz): sound "
                              + "travelling between the harder surfaces decays more slowly than Eyring's diffuse-field estimate, and the "
                              + "simulated T30 will lie nearer Fitzroy's (Fitzroy 1959; Kuttruff, Room Acoustics, ch. 5).",
                              rt.fitzroy[b], rt.eyring[b], bands.labels[b]))
        }
        out.append(waveSummary())
        let l = listener
        let hrtfText: String = { if case .file(let f) = l.hrtf { return f }; return "default (MIT KEMAR)" }()
        out.append(String(format: "Listener at %@, yaw %.1f°, pitch %.1f°, HRTF %@; nearest: %@.",
                          l.position.formatted, l.yawDegrees, l.pitchDegrees, hrtfText, nearestText(l.position)))
        for s in speakers {
            let d = l.direction(of: s.position)
            out.append(String(format: "Speaker %@ at %@: %.2f m from the listener, azimuth %+.1f°, elevation %+.1f°, toe-in %.1f°, %@; nearest: %@.",
                              s.name, s.position.formatted, d.distance, d.azimuth, d.elevation, toeInDegrees(of: s),
                              s.directivity.name, nearestText(s.position)))
        }
        // Each directivity's −6 dB beamwidths (once per distinct one), and a measured speaker's sensitivity.
        var described: [String] = []
        for s in speakers where !described.contains(s.directivity.name) {
            described.append(s.directivity.name)
            guard !s.directivity.isOmni else { continue }
            let widths = s.directivity.beamwidths(speedOfSound: air.speedOfSound)
            func row(_ w: [Double]) -> String { w.map { $0 >= 360 ? "omni" : String(format: "%.0f°", $0) }.joined(separator: " ") }
            let owners = speakers.filter { $0.directivity.name == s.directivity.name }.map(\.name).joined(separator: ", ")
            let sensitivity = s.directivity.measurement.map { String(format: "; sensitivity %.1f dB", $0.sensitivityDB) } ?? ""
            out.append("Directivity \(s.directivity.name) (\(owners))\(sensitivity); −6 dB beamwidth per octave \(FrequencyBands.octaves.labels.joined(separator: " ")): "
                       + (widths.horizontal == widths.vertical ? row(widths.horizontal) + " (every plane)."
                                                               : "horizontal \(row(widths.horizontal)); vertical \(row(widths.vertical))."))
        }
        if speakers.count == 2 {
            let a = l.direction(of: speakers[0].position).azimuth, b = l.direction(of: speakers[1].position).azimuth
            out.append(String(format: "Stereo angle %.1f°, speaker spacing %.2f m.", abs(a - b), speakers[0].position.distance(to: speakers[1].position)))
        }
        return out.joined(separator: "\n")
    }

    private func nearestText(_ p: Vec3) -> String {
        nearestSurfaces(to: p).map { String(format: "%@ %.2f m", $0.name, $0.distance) }.joined(separator: ", ")
    }
}

extension Directivity {
    public var name: String {
        switch self {
        case .omni: return "omni"
        case .cardioid: return "cardioid"
        case .monitor: return "monitor"
        case .piston(let r): return String(format: "piston r = %.3f m", r)
        case .table: return "table"
        case .measured(let m): return "measured (\(m.name))"
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}

extension Scene {
    /// One line on the wave part: its crossover and grid (cells, spacing, time step) with the
    /// estimated memory and time (SPEC §6), or that it is off and why.
    public func waveSummary() -> String {
        let duration: Double
        if case .value(let d) = simulation.durationSeconds { duration = d } else { duration = autoDurationSeconds() }
        guard let plan = wavePlan(durationSeconds: duration) else { return "Wave part: off (simulation.wave is false): geometric at every frequency." }
        let line = String(format: "Wave part below %.0f Hz (%@): %d cells of %.1f cm (%.0f points per wavelength at %.0f Hz), %d steps of %.3f ms, about %.1f MiB and %.1f s for %d speaker(s).",
                          plan.crossover, { if case .on(.value, _) = simulation.wave { return "from the room file" }; return "auto: Schroeder frequency, 150–300 Hz" }(),
                          plan.cells, plan.spacing * 100, plan.pointsPerWavelength, plan.bandEdge, plan.steps, plan.timeStep * 1000,
                          Double(plan.memoryBytes) / 1048576, plan.estimatedSeconds, speakers.count)
        guard plan.enabled else { return "Wave part: OFF. " + plan.note }
        // Each material's boundary in the wave part: its octave absorption where the wave part works and
        // what the fitted admittance (`BoundaryModel`) absorbs there, and at normal incidence — locally
        // reacting walls absorb less head-on than on average.
        let rows = surfaceMaterials.map { m -> String in
            let model = BoundaryModel.fit(m, crossover: plan.crossover)
            let values = zip(model.bandCentres, model.bandAbsorption).map { f, a in
                String(format: "%@ Hz %.2f→%.2f", FrequencyBands.octaves.labels[FrequencyBands.octaves.centres.firstIndex(of: f) ?? 0], a, model.absorption(at: f))
            }
            let b = model.admittance(at: model.bandCentres[0])
            let normal = 4 * b.re / ((1 + b.re) * (1 + b.re) + b.im * b.im)
            return "\(m.name) " + values.joined(separator: ", ") + String(format: " (normal incidence %.2f at 63 Hz)", normal)
        }
        return line + "\n  Wave boundaries (material α → the wall's diffuse α): " + rows.joined(separator: "; ") + "."
    }
}
