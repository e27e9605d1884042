import Foundation
import XCTest
@testable import Soundstage

/// Speakers from measured polar data: the files read, the pattern on both planes and between them,
/// the rays' emitted power, the on-axis response, and bad files.
final class MeasuredDirectivityTests: XCTestCase {
    /// 1/24-octave frequencies 20 Hz – 20 kHz.
    static let hertz = (0...239).map { 20 * pow(2, Double($0) / 24) }

    /// A rigid baffled piston's pressure re on-axis, 2 J₁(x)/x with x = ka sin θ in front
    /// (Kinsler et al., eq. 7.4.17), computed here from the Bessel function.
    static func piston(radius a: Double, hertz f: Double, degrees θ: Double) -> Double {
        let x = 2 * .pi * f / 343 * a * sin(radians(min(θ, 90)))
        return abs(x) < 1e-9 ? 1 : abs(2 * j1(x) / x)
    }

    /// A Klippel-style export ("On Axis", "10°", … over column pairs, tab-separated, thousands
    /// separators) of `level(f, angle)` in dB.
    static func klippel(angles: [Double], _ level: (Double, Double) -> Double) -> String {
        var text = "\"SPL Horizontal\"\n"
        text += angles.map { "\"\($0 == 0 ? "On Axis" : "\(Int($0))°")\"\t" }.joined(separator: "\t") + "\n"
        text += angles.map { _ in "\"Frequency [Hz]\"\t\"[dB]\"" }.joined(separator: "\t") + "\n"
        for f in hertz {
            let frequency = f >= 1000 ? String(format: "%d,%06.2f", Int(f) / 1000, f - Double(Int(f) / 1000 * 1000)) : String(format: "%.2f", f)
            text += angles.map { "\(frequency)\t" + String(format: "%.3f", level(f, $0)) }.joined(separator: "\t") + "\n"
        }
        return text
    }

    func room(directivity: String, files: [String: String], speaker: [Double] = [200, 202, 200], listener: [Double] = [200, 200, 200],
              simulation: String = #""rays": 0, "maxOrder": 0, "duration": 0.1"#) throws -> Scene {
        try RoomFile.parse("""
        {"room": {"shoebox": {"width": 400, "length": 400, "height": 400}}, "surfaces": {"all": {"absorption": 0.5}},
         "speakers": [{"name": "S", "position": \(speaker), "aim": [200, 190, 200], "directivity": \(directivity)}],
         "listener": {"position": \(listener)}, "simulation": {"airAbsorption": false, "highpass": 0, \(simulation)}}
        """, files: files)
    }

    /// A piston's polar data written the way measurement software exports it and read back gives
    /// the piston model (`{"piston": …}`) within 0.5 dB wherever the model is above −20 dB, and its
    /// −6 dB beamwidth within 3° of 2·asin(2.215/ka) (2J₁(x)/x = ½ at x = 2.215).
    func testAPistonsPolarExportReadsBackAsThePistonModel() throws {
        let a = 0.05
        let angles = (0...18).map { Double($0 * 10) } + (1...17).map { -Double($0 * 10) }
        let text = Self.klippel(angles: angles) { f, θ in 88 + 20 * log10(max(Self.piston(radius: a, hertz: f, degrees: abs(θ)), 1e-6)) }
        let s = try room(directivity: #"{"measured": "piston.txt"}"#, files: ["piston.txt": text])
        let measured = try XCTUnwrap(s.speakers[0].directivity.measurement)
        XCTAssertEqual(measured.sensitivityDB, 88, accuracy: 0.05)
        let model = Directivity.piston(radius: a)
        var compared = 0
        for band in 0..<8 {
            for deg in stride(from: 0.0, through: 90, by: 10) {
                let expected = 20 * log10(model.gain(band: band, angle: radians(deg), speedOfSound: 343))
                guard expected > -20 else { continue }
                XCTAssertEqual(measured.levelDB(band: band, offAxis: radians(deg), cos2: 1, up: true), expected, accuracy: 0.5, "band \(band), \(deg)°")
                compared += 1
            }
            let ka = 2 * Double.pi * FrequencyBands.octaves.centres[band] / 343 * a
            if ka > 2.215 {
                XCTAssertEqual(measured.beamwidths.horizontal[band], 2 * degrees(asin(2.215 / ka)), accuracy: 3, "band \(band)")
                XCTAssertEqual(model.beamwidths(speedOfSound: 343).horizontal[band], 2 * degrees(asin(2.2151 / ka)), accuracy: 0.5, "model, band \(band)")
            }
        }
        XCTAssertGreaterThan(compared, 60)
        // No vertical file: the same pattern in every plane.
        XCTAssertEqual(measured.levelDB(band: 7, offAxis: radians(30), cos2: 0, up: true), measured.levelDB(band: 7, offAxis: radians(30), cos2: 1, up: true))
    }

    /// The same piston as an AES69 FreeFieldDirectivityTF file (complex pressure on a sphere of
    /// receivers, 10° apart in azimuth and elevation) gives the same pattern.
    func testAFreeFieldDirectivityTFFileReadsBackAsThePistonModel() throws {
        let a = 0.05
        var directions: [(az: Double, el: Double)] = [(0, 90), (0, -90)]
        for el in stride(from: -80.0, through: 80, by: 10) { for az in stride(from: 0.0, to: 360, by: 10) { directions.append((az, el)) } }
        let frequencies = Self.hertz.filter { $0 < 16000 }
        let path = TestPaths.temporaryFolder().appendingPathComponent("piston.sofa").path
        let file = try NetCDFFile(path: path, mode: .create)
        for (k, v) in [("Conventions", "SOFA"), ("SOFAConventions", "FreeFieldDirectivityTF"), ("SOFAConventionsVersion", "1.1"), ("DataType", "TF")] {
            try file.setText(k, v)
        }
        for (name, n) in [("I", 1), ("C", 3), ("M", 1), ("R", directions.count), ("N", frequencies.count)] { try file.defineDimension(name, length: n) }
        try file.writeDoubles("N", dimensions: ["N"], frequencies)
        try file.writeDoubles("ReceiverPosition", dimensions: ["R", "C"], directions.flatMap { [$0.az, $0.el, 2] })
        var real: [Double] = [], imag: [Double] = []
        for d in directions {
            let x = cos(radians(d.el)) * cos(radians(d.az)) // the axis is +x (SourceView's default)
            let θ = degrees(acos(max(-1, min(1, x))))
            for f in frequencies {
                let p = θ <= 90 ? Self.piston(radius: a, hertz: f, degrees: θ) : 0.01
                let phase = 2 * Double.pi * f * 0.001
                real.append(p * cos(phase)); imag.append(p * sin(phase))
            }
        }
        try file.writeDoubles("Data.Real", dimensions: ["M", "R", "N"], real)
        try file.writeDoubles("Data.Imag", dimensions: ["M", "R", "N"], imag)
        try file.setText("Type", "spherical", variable: "ReceiverPosition")
        try file.close()
        let s = try room(directivity: #"{"measured": "\#(path)"}"#, files: [:])
        let measured = try XCTUnwrap(s.speakers[0].directivity.measurement)
        let model = Directivity.piston(radius: a)
        for band in 0..<8 {
            for deg in stride(from: 0.0, through: 80, by: 10) {
                let expected = 20 * log10(model.gain(band: band, angle: radians(deg), speedOfSound: 343))
                guard expected > -20 else { continue }
                for cos2 in [1.0, 0.0] {
                    XCTAssertEqual(measured.levelDB(band: band, offAxis: radians(deg), cos2: cos2, up: true), expected, accuracy: 0.5, "band \(band), \(deg)°, cos²φ \(cos2)")
                }
            }
        }
    }

    /// Horizontal 0 dB everywhere, vertical −10 dB from 10° off the axis: in free field the direct
    /// sound of a speaker aimed level along −y reaches a point 40° off its axis sideways at the level
    /// of an omni, 40° above it 10 dB lower, and 40° off at a 45° roll 5 dB lower (L_h cos²φ + L_v sin²φ).
    func testTheRollAboutTheAxisBlendsTheTwoPlanes() throws {
        let flat = Self.klippel(angles: [0, 10, 90, 180]) { _, _ in 80 }
        var vertical = "Hz,-180,-10,0,10,180\n"
        for f in Self.hertz { vertical += String(format: "%.2f,70,70,80,70,70\n", f) }
        let files = ["h.txt": flat, "v.txt": vertical]
        let directivity = #"{"measured": {"horizontal": "h.txt", "vertical": "v.txt"}}"#
        let r = 3.0, off = radians(40.0)
        // The speaker at (200, 205, 200) aims at (200, 190, 200): its axis is −y, its left +x... its
        // horizontal plane is z = 200.
        for (roll, expectedDB) in [(0.0, 0.0), (90.0, -10.0), (45.0, -5.0), (-90.0, -10.0)] {
            let φ = radians(roll)
            let point = [200 + r * sin(off) * cos(φ), 205 - r * cos(off), 200 + r * sin(off) * sin(φ)]
            let s = try room(directivity: directivity, files: files, speaker: [200, 205, 200], listener: point)
            let path = imageSources(s, plan: s.resolve(threads: 1)).paths[0]
            for band in [0, 4, 7] {
                let level = 20 * log10(Double(path.arrival.amplitudes[band]) * 4 * .pi * r)
                XCTAssertEqual(level, expectedDB, accuracy: 0.05, "roll \(roll)°, band \(band)")
            }
        }
    }

    /// The ray tracer emits a measured speaker's power: the rays' energies sum, per band, to the mean
    /// of D² over the sphere, computed here by quadrature of L_h cos²φ + L_v sin²φ from the tables.
    func testRaysCarryTheMeasuredPatternsPower() throws {
        let horizontal = Self.klippel(angles: [0, 90, 180]) { f, θ in 80 - abs(θ) / 9 * (f > 1000 ? 1 : 0.2) }
        var vertical = "Hz,-180,-90,0,90,180\n"
        for f in Self.hertz { vertical += String(format: "%.2f,%.2f,%.2f,80,%.2f,%.2f\n", f, 80 - 30.0, 80 - 12.0, 80 - 6.0, 80 - 30.0) }
        let s = try room(directivity: #"{"measured": {"horizontal": "h.txt", "vertical": "v.txt"}}"#, files: ["h.txt": horizontal, "v.txt": vertical])
        let m = try XCTUnwrap(s.speakers[0].directivity.measurement)
        let rays = 40000
        let emitter = RayTracer.Emitter(scene: s, speaker: s.speakers[0], bands: 8, rays: rays, turn: 0.3)
        var total = BandEnergy(repeating: 0)
        for i in 0..<rays { total += emitter.ray(i).1 }
        for band in [0, 5, 7] {
            // ∫ D² dΩ / 4π over θ ∈ [0, π], φ ∈ [0, 2π): midpoint rule in cos θ and φ.
            var sum = 0.0
            let nθ = 720, nφ = 72
            for i in 0..<nθ {
                let c = -1 + (Double(i) + 0.5) * 2 / Double(nθ), θ = acos(c)
                let k = θ / radians(MeasuredDirectivity.angleStep), k0 = min(Int(k), m.horizontalDB.count - 2), t = k - Double(k0)
                func at(_ table: [[Double]]) -> Double { table[k0][band] * (1 - t) + table[k0 + 1][band] * t }
                for j in 0..<nφ {
                    let φ = (Double(j) + 0.5) / Double(nφ) * 2 * .pi
                    let db = at(m.horizontalDB) * cos(φ) * cos(φ) + at(sin(φ) > 0 ? m.upDB : m.downDB) * sin(φ) * sin(φ)
                    sum += pow(10, db / 10)
                }
            }
            let expected = sum / Double(nθ * nφ)
            XCTAssertEqual(Double(total[band]), expected, accuracy: 0.01 * expected, "band \(band)")
        }
    }

    /// The on-axis response enters as a filter on the speaker: a sealed box's roll-off (2nd-order
    /// high-pass at 50 Hz, Q 0.71) in the file appears in the free-field direct sound's spectrum.
    func testTheOnAxisBassRollOffShapesTheDirectSound() throws {
        func highpassDB(_ f: Double) -> Double {
            let x = f / 50
            return -10 * log10(pow(1 - x * x, 2) / pow(x, 4) + 1 / (0.71 * 0.71 * x * x))
        }
        let text = Self.klippel(angles: [0, 90, 180]) { f, θ in 85 + highpassDB(f) - (θ == 0 ? 0 : 3) }
        let r = 2.0
        let s = try room(directivity: #"{"measured": "box.txt"}"#, files: ["box.txt": text], speaker: [200, 202, 200], simulation: #""rays": 0, "maxOrder": 0, "duration": 0.5"#)
        let simulator = try Simulator(scene: s, binaural: false)
        let rir = try simulator.run().speakers[0].rir.audio.channels[0]
        let fs = 48000.0, n = 1 << 15
        let fft = RealFFT(size: n)
        var x = [Float](repeating: 0, count: n)
        for i in 0..<min(n, rir.count) { x[i] = rir[i] }
        let spectrum = fft.forward(x)
        for f in [25.0, 50, 100, 200, 1000] {
            let k = Int((f * Double(n) / fs).rounded())
            let magnitude = (Double(spectrum[2 * k] * spectrum[2 * k] + spectrum[2 * k + 1] * spectrum[2 * k + 1])).squareRoot() * 4 * .pi * r
            XCTAssertEqual(20 * log10(magnitude), highpassDB(Double(k) * fs / Double(n)), accuracy: 0.5, "\(f) Hz")
        }
    }

    func testBadMeasurementsAreRefusedNamingTheKey() throws {
        let good = Self.klippel(angles: [0, 90]) { _, _ in 80 }
        let cases: [(String, [String: String], String)] = [
            (#"{"measured": "missing.txt"}"#, [:], "cannot read \"missing.txt\""),
            (#"{"measured": "x.txt"}"#, ["x.txt": "just some text\nwithout numbers\n"], "no header line"),
            (#"{"measured": "x.txt"}"#, ["x.txt": "Hz 0 10 20\n100 80 79\n200 80 79 78\n"], "row 1 of levels has 3 values"),
            (#"{"measured": "x.txt"}"#, ["x.txt": "Hz 10 20\n100 80 79\n200 80 79\n"], "no on-axis (0°) curve"),
            (#"{"measured": "x.txt"}"#, ["x.txt": "Hz 0 200\n100 80 79\n200 80 79\n"], "beyond ±180°"),
            (#"{"measured": "x.txt"}"#, ["x.txt": "Hz 0 10\n100 80 79\n"], "fewer than two rows"),
            (#"{"measured": {"horizontal": "h.txt", "side": "v.txt"}}"#, ["h.txt": good], "side"),
            (#"{"measured": 3}"#, [:], "expected a file name"),
            (#"{"measured": "/nonexistent/speaker.sofa"}"#, [:], "speaker.sofa"),
        ]
        for (directivity, files, reason) in cases {
            XCTAssertThrowsError(try room(directivity: directivity, files: files), directivity) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("speakers[0].directivity.measured"), text)
                XCTAssertTrue(text.contains(reason), "\(text) lacks \(reason)")
            }
        }
    }

    /// The example room's measured monitors: `validate` prints their −6 dB beamwidths; at 8 kHz only
    /// the tweeter plays (a = 25 mm, ka = 3.66): 2·asin(2.215/ka) = 74°.
    func testValidateShowsTheMeasuredBeamwidths() throws {
        let run = try runSoundstage(["validate", "rooms/desk-studio-measured.json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let line = try XCTUnwrap(run.stdout.components(separatedBy: "\n").first { $0.contains("−6 dB beamwidth") })
        XCTAssertTrue(line.contains("measured (two-way-horizontal.txt + two-way-vertical.txt) (L, R); sensitivity 85.9 dB"), line)
        let horizontal = line.components(separatedBy: "horizontal ")[1].components(separatedBy: ";")[0].split(separator: " ")
        XCTAssertEqual(try XCTUnwrap(Double(horizontal[7].dropLast())), 74, accuracy: 4, line)
    }
}
