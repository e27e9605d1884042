import XCTest
@testable import Soundstage

final class PlotsTests: XCTestCase {
    /// A plain shoebox, simulated in memory, as `simulate` feeds the plots.
    func input(patches: String = "[]") throws -> PlotInput {
        let s = try RoomFile.parse("""
        {"name": "plots", "room": {"shoebox": {"width": 5, "length": 6, "height": 2.8}}, "surfaces": {"all": "plaster", "floor": "carpet-on-pad"}, "patches": \(patches),
         "speakers": {"layout": "stereo", "spacing": 2.0, "frontWallDistance": 0.8, "height": 1.2},
         "simulation": {"duration": 0.3}}
        """)
        let plan = s.resolve(threads: 2)
        let hrtf = try HRTFSet(sampleRate: 48000)
        let field = hrtf.diffuseField()
        var results: [ImageSourceRun] = [], brirs: [String: AudioBuffer] = [:]
        for i in s.speakers.indices {
            let r = imageSources(s, plan: plan, speaker: i)
            results.append(r)
            brirs[s.speakers[i].name] = BinauralSynthesizer.render(scene: s, speakerIndex: i, plan: plan, paths: r.paths, omni: r.rir, hrtf: hrtf, field: field)
        }
        return PlotInput(scene: s, reflections: ReflectionsFile(scene: s, plan: plan, results: results.map(\.result)),
                         rirs: Dictionary(uniqueKeysWithValues: zip(s.speakers.map(\.name), results.map(\.rir))),
                         brirs: brirs, sampleRate: 48000, command: "soundstage simulate plots.json")
    }

    func testReflectionPointLandsWhereTheGeometrySays() throws {
        let input = try input()
        let (image, layout) = Plots.reflectionMap(input)
        // The first-order bounce of L off the left wall (x = 0) is drawn as an orange dot at its
        // reflection point; map it to pixels with the panel's world ranges (uniform scale, y up).
        let path = input.reflections.speakers[0].reflections.first { $0.order == 1 && $0.surfaces == ["left"] }!
        let p = path.points[0]
        XCTAssertEqual(p[0], 0, accuracy: 1e-9) // on the wall
        let top = layout.top
        let scaleX = top.width / (top.xRange.upperBound - top.xRange.lowerBound)
        let scaleY = top.height / (top.yRange.upperBound - top.yRange.lowerBound)
        XCTAssertEqual(scaleX, scaleY, accuracy: 1e-9) // floor plan drawn to scale
        let px = Int((top.x + (p[0] - top.xRange.lowerBound) * scaleX).rounded())
        let py = Int((top.y + top.height - (p[1] - top.yRange.lowerBound) * scaleY).rounded())
        // Within 2 px of that point the map holds the orange of first-order reflection points.
        var found = false
        for dy in -2...2 { for dx in -2...2 {
            let c = image.pixel(x: px + dx, y: py + dy)
            if c.r > 200 && c.g > 100 && c.g < 170 && c.b < 60 { found = true }
        } }
        XCTAssertTrue(found, "no reflection-point dot at (\(px), \(py))")
    }

    func testReflectionMapDrawsAWindowWhereItIs() throws {
        // A window on the right wall (x = 5) from y = 1 to 3: in the floor plan its stretch of the
        // wall is drawn in the patch blue, the wall beyond it (y = 4.5) in the wall's dark grey.
        let input = try input(patches: #"[{"name": "window", "surface": "right", "rect": [[1, 0.8], [3, 2.0]], "material": "window-glass"}]"#)
        let (image, layout) = Plots.reflectionMap(input)
        let top = layout.top
        let scale = top.width / (top.xRange.upperBound - top.xRange.lowerBound)
        func pixel(_ x: Double, _ y: Double) -> (Int, Int) {
            (Int((top.x + (x - top.xRange.lowerBound) * scale).rounded()), Int((top.y + top.height - (y - top.yRange.lowerBound) * scale).rounded()))
        }
        func isBlue(_ p: (Int, Int)) -> Bool {
            let c = image.pixel(x: p.0, y: p.1)
            return c.b > 180 && c.r < 90 && c.g > 80 && c.g < 150
        }
        for y in [1.2, 2.0, 2.8] { XCTAssertTrue(isBlue(pixel(5, y)), "window at y = \(y)") }
        for y in [0.5, 4.5, 5.5] {
            let p = pixel(5, y), c = image.pixel(x: p.0, y: p.1)
            XCTAssertFalse(isBlue(p), "plaster at y = \(y)")
            XCTAssertLessThan(Int(c.r) + Int(c.g) + Int(c.b), 300, "the wall line at y = \(y)")
        }
    }

    func testEveryPlotDecodesWithSizeContentAndText() throws {
        let folder = TestPaths.temporaryFolder()
        let images = Plots.all(try input())
        let speakers = try input().reflections.speakers.map(\.name)
        XCTAssertEqual(Set(images.keys), Set(Plots.fileNames + Plots.speakerFileNames(speakers)))
        XCTAssertEqual(Plots.speakerFileNames(["L", "R", "C"]), ["echogram-R.png", "response-R.png", "echogram-C.png", "response-C.png"])
        for (name, image) in images {
            let path = folder.appendingPathComponent(name).path
            try image.write(to: path)
            let back = try PNGImage.read(path)
            XCTAssertEqual(back.width, 1600, name)
            XCTAssertEqual(back.height, 1000, name)
            XCTAssertEqual(back.text["Software"], "Soundstage \(SoundstageVersion.string)", name)
            XCTAssertEqual(back.text["Source"], "plots", name)
            XCTAssertEqual(back.text["Comment"], "soundstage simulate plots.json", name)
            XCTAssertNotNil(back.text["Title"], name)
            // Each panel holds drawing: coloured (non-grey) pixels inside its plotting area.
            let panels: [(Int, Int, Int, Int)] = name == "reflection-map.png" ? [(90, 80, 890, 880), (990, 80, 1420, 510)] : [(110, 90, 1290, 870)]
            for (x0, y0, x1, y1) in panels {
                var coloured = 0
                for y in stride(from: y0 + 2, to: y1 - 2, by: 3) { for x in stride(from: x0 + 2, to: x1 - 2, by: 3) {
                    let c = back.pixel(x: x, y: y)
                    if max(c.r, c.g, c.b) - min(c.r, c.g, c.b) > 40 { coloured += 1 }
                } }
                XCTAssertGreaterThan(coloured, 50, "\(name) panel at \(x0),\(y0)")
            }
        }
    }

    func testNiceTicks() {
        for (lo, hi) in [(0.0, 1.0), (-60.0, 5.0), (0.0, 379.0), (-3.7, 12.2), (1e-3, 7e-3)] {
            let t = NiceTicks.ticks(lo, hi)
            XCTAssertLessThanOrEqual(t.first!, lo)
            XCTAssertGreaterThanOrEqual(t.last!, hi)
            let step = t[1] - t[0]
            let mantissa = step / pow(10, floor(log10(step)))
            XCTAssertTrue([1, 2, 5, 10].contains { abs(mantissa - $0) < 1e-9 }, "step \(step)")
            for (a, b) in zip(t, t.dropFirst()) { XCTAssertEqual(b - a, step, accuracy: step * 1e-9) }
        }
        XCTAssertEqual(NiceTicks.logTicks(20, 20000).first, 20)
        XCTAssertEqual(NiceTicks.logTicks(20, 20000).last, 20000)
    }

    /// Whether a pixel within `radius` of (x, y) has `colour` (to 0.1 per channel).
    func has(_ image: PNGImage, _ colour: Color, x: Int, y: Int, radius: Int = 3) -> Bool {
        (-radius...radius).contains { dy in (-radius...radius).contains { dx in
            let c = image.pixel(x: x + dx, y: y + dy)
            return abs(Double(c.r) / 255 - colour.r) < 0.1 && abs(Double(c.g) / 255 - colour.g) < 0.1 && abs(Double(c.b) / 255 - colour.b) < 0.1
        } }
    }

    func testResponseOfADiracIsFlatAtItsLevelReTheDirectSoundAtOneMetre() throws {
        // A unit impulse in both ears has |H| = 1, which is 20·log10(4π) = +22.0 dB re the direct
        // sound of an omni source at 1 m (amplitude 1/(4π)) at every frequency. Panel: x 110…1350 for
        // 20 Hz – 20 kHz (log), y 90…870 for −30…30 dB (the top, 22 dB, rounded as the plot does).
        var input = try input()
        var dirac = [Float](repeating: 0, count: 4800)
        dirac[0] = 1
        input.brirs[input.mainSpeaker.name] = AudioBuffer(sampleRate: 48000, channels: [dirac, dirac])
        let image = Plots.response(input)
        let level = 20 * log10(4 * Double.pi)
        let y = { (db: Double) in Int((90 + 780 * (30 - db) / 60).rounded()) }
        for f in [50.0, 200, 1000, 5000, 15000] {
            let x = Int((110 + 1240 * log(f / 20) / log(1000.0)).rounded())
            XCTAssertTrue(has(image, Plots.rightEar, x: x, y: y(level)), "no curve at +22 dB, \(f) Hz")
            XCTAssertFalse(has(image, Plots.rightEar, x: x, y: y(level - 20)), "a curve 20 dB lower, \(f) Hz")
        }
    }

    func testEchogramPeaksAtTheDirectSoundsDelay() throws {
        // Both ears hold one impulse at the direct sound's delay r/c (from reflections.json) and one
        // 12 dB down 10 ms later: the curves reach 0 dB at r/c and −12 dB at r/c + 10 ms. Panel: x 110…1530
        // for 0 … (r/c + 150 ms), y 90…870 for −60…5 dB.
        var input = try input()
        let direct = try XCTUnwrap(input.mainSpeaker.reflections.first).delaySeconds
        var x = [Float](repeating: 0, count: 48000)
        let n0 = Int((direct * 48000).rounded())
        x[n0] = 1; x[n0 + 480] = 0.25
        input.brirs[input.mainSpeaker.name] = AudioBuffer(sampleRate: 48000, channels: [x, x])
        let image = Plots.echogram(input)
        let end = direct + 0.15
        func px(_ t: Double) -> Int { Int((110 + 1420 * t / end).rounded()) }
        func py(_ dB: Double) -> Int { Int((90 + 780 * (5 - dB) / 65).rounded()) }
        // The ±0.5-ms energy window makes each impulse a plateau 1 ms (≈ 9 px) wide.
        XCTAssertTrue(has(image, Plots.rightEar, x: px(Double(n0) / 48000), y: py(0), radius: 6))
        XCTAssertTrue(has(image, Plots.rightEar, x: px(Double(n0 + 480) / 48000), y: py(-12), radius: 6))
        // Nothing reaches 0 dB away from the direct sound.
        for t in stride(from: 0.0, to: end, by: 0.005) where abs(t - direct) > 0.002 {
            XCTAssertFalse(has(image, Plots.rightEar, x: px(t), y: py(0), radius: 1), "0 dB at \(t) s")
        }
    }

    func testDecayFollowsTheSchroederIntegralOfAKnownDecay() throws {
        // White noise whose energy falls 60 dB in 1.2 s, cut at 0.5 s: in every band the Schroeder
        // curve is 10 log10((e(t) − e(T))/(1 − e(T))), e(t) = 10^(−6t/1.2), T = 0.5 s — −10.1 dB at
        // 0.2 s. The time axis then ends at the response's end (0.5 s). Panel: x 110…1230 for
        // 0…0.5 s, y 90…870 for −70…0 dB; the bands are drawn in viridis colours, the top one last.
        var input = try input()
        var rng = SplitMix64Generator(seed: 3)
        let x = (0..<24000).map { i in Float((rng.nextDouble() * 2 - 1) * pow(10, -3 * Double(i) / 48000 / 1.2)) }
        input.rirs[input.mainSpeaker.name] = x
        let image = Plots.decay(input)
        func e(_ t: Double) -> Double { pow(10, -6 * t / 1.2) }
        let level = 10 * log10((e(0.2) - e(0.5)) / (1 - e(0.5)))
        let top = Viridis.color(1)
        let column = Int((110 + 1120 * 0.2 / 0.5).rounded())
        // ±1 dB is ±11 px.
        XCTAssertTrue(has(image, top, x: column, y: Int((90 + 780 * -level / 70).rounded()), radius: 11), "8k band not at \(level) dB at 0.2 s")
        XCTAssertFalse(has(image, top, x: column, y: Int((90 + 780 * -(level + 5) / 70).rounded()), radius: 3), "8k band 5 dB too high")
        XCTAssertFalse(has(image, top, x: column, y: Int((90 + 780 * -(level - 5) / 70).rounded()), radius: 3), "8k band 5 dB too low")
    }

    func testBassPlotDrawsAFlatResponseAtItsLevel() throws {
        // The direct sound of an omni source at 1 m alone (one sample of 1/(4π)) is flat at 0 dB re
        // the direct sound at 1 m; at 2 m (1/(8π)) −6.02 dB. The curves' pixels sit on those levels.
        var near = [Float](repeating: 0, count: 4800), far = near
        near[100] = Float(1 / (4 * Double.pi)); far[100] = Float(1 / (8 * Double.pi))
        let image = Plots.bass([("1 m", near), ("2 m", far)], sampleRate: 48000, title: "test")
        // The panel of Plots.bass: x 110…1350 (20–300 Hz, log), y 90…870; y range from the top level
        // (0 dB): floor((0 − 40)/10)·10 = −40 … ceil(5/10)·10 = 10 dB.
        func row(dB: Double) -> Int { Int((90 + 780 * (10 - dB) / 50).rounded()) }
        let x = Int((110 + 1240 * log(100.0 / 20.0) / log(300.0 / 20.0)).rounded())
        for (dB, colour) in [(0.0, (0.55, 0.55, 0.55)), (-20 * log10(2.0), (0.12, 0.35, 0.75))] {
            let y = row(dB: dB)
            let hit = (-3...3).contains { dy in
                let c = image.pixel(x: x, y: y + dy)
                return abs(Double(c.r) / 255 - colour.0) < 0.08 && abs(Double(c.g) / 255 - colour.1) < 0.08 && abs(Double(c.b) / 255 - colour.2) < 0.08
            }
            XCTAssertTrue(hit, "no curve at \(dB) dB (row \(y))")
        }
    }

    func testTheWaveBoundaryPlotDrawsEachWallThroughItsMaterialsValues() {
        // Two materials whose octave α rise and fall; the plot's axes are 20–400 Hz (log) by α 0–1 over
        // the panel at (110, 90) 1240 × 780. Each material's dots sit at its octave values and its line
        // passes within a few pixels of them (the fit is within 0.02 = 16 px; asked: 20 px).
        let rising = Material(name: "rising", absorption: BandValues([0.05, 0.2, 0.6, 0.8, 0.8, 0.8, 0.8, 0.8]), scattering: BandValues(uniform: 0))
        let falling = Material(name: "falling", absorption: BandValues([0.5, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]), scattering: BandValues(uniform: 0))
        let models = [rising, falling].map { ($0.name, BoundaryModel.fit($0, crossover: 200)) }
        let image = Plots.waveBoundaries(models, crossover: 200, title: "t")
        let colours = [Plots.leftEar, Plots.rightEar]
        func px(_ f: Double) -> Int { Int((110 + log(f / 20) / log(400 / 20.0) * 1240).rounded()) }
        func py(_ a: Double) -> Int { Int((90 + 780 * (1 - a)).rounded()) }
        func isColour(_ x: Int, _ y: Int, _ c: Color) -> Bool {
            let p = image.pixel(x: x, y: y)
            return abs(Double(p.r) - c.r * 255) < 30 && abs(Double(p.g) - c.g * 255) < 30 && abs(Double(p.b) - c.b * 255) < 30
        }
        for ((_, model), colour) in zip(models, colours) {
            for (f, a) in zip(model.bandCentres, model.bandAbsorption) {
                XCTAssertTrue(isColour(px(f), py(a), colour), "no dot at \(f) Hz, α \(a)")
                // The line crosses a column a little off the dot within 20 px of the value.
                let x = px(f) + 10
                let hits = (py(a) - 20...py(a) + 20).filter { isColour(x, $0, colour) }
                XCTAssertFalse(hits.isEmpty, "the line is not near α \(a) at \(f) Hz")
            }
        }
        // Far from the rising material's curve at 250 Hz (α 0.6) there is none of its colour.
        XCTAssertFalse((py(0.2)...py(0.1)).contains { isColour(px(250) + 10, $0, colours[0]) })
    }
}
