import XCTest
@testable import Soundstage

/// Runs the built `soundstage` executable as a user would.
final class CLITests: XCTestCase {
    func soundstage(_ arguments: [String]) throws -> CLIRun { try runSoundstage(arguments) }

    func testValidatePrintsTheSummary() throws {
        let r = try soundstage(["validate", "rooms/home-studio.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("volume"))
        XCTAssertTrue(r.stdout.contains("Sabine"))
        XCTAssertTrue(r.stdout.contains("Eyring"))
        XCTAssertTrue(r.stdout.contains("Speaker L at"))
        XCTAssertTrue(r.stdout.contains("azimuth +30.0°"))
        XCTAssertEqual(r.stderr, "")
    }

    func testValidateBadRoomExitsNonZeroWithOneLine() throws {
        let r = try soundstage(["validate", "Tests/SoundstageTests/Fixtures/bad-rooms/speaker-outside-width.json"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr, "error: Tests/SoundstageTests/Fixtures/bad-rooms/speaker-outside-width.json: speakers[1].position: the speaker at (5.30, 1.00, 1.20) lies outside the room (width 4.2 m)\n")
    }

    func testValidateEveryExampleRoom() throws {
        let rooms = TestPaths.exampleRooms.map { "rooms/" + $0.lastPathComponent }
        let r = try soundstage(["validate"] + rooms)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.components(separatedBy: "RT60 (s)").count - 1, rooms.count)
    }

    func testValidateOpensTheHRTF() throws {
        // Issue #24: a missing file, /dev/null, a folder or a text file as listener.hrtf passed validate.
        let out = TestPaths.temporaryFolder()
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let text = out.appendingPathComponent("notes.sofa")
        try "not a SOFA file".write(to: text, atomically: true, encoding: .utf8)
        for hrtf in ["/dev/null", out.path, text.path, out.appendingPathComponent("missing.sofa").path] {
            let room = out.appendingPathComponent("r.json")
            try """
            {"room": {"shoebox": {"width": 4, "length": 5, "height": 2.5}}, "surfaces": {"all": "plaster"},
             "speakers": [{"name": "S", "position": [2, 4, 1.2]}], "listener": {"position": [2, 2, 1.2], "hrtf": "\(hrtf)"}}
            """.write(to: room, atomically: true, encoding: .utf8)
            let r = try soundstage(["validate", room.path])
            XCTAssertEqual(r.status, 1, hrtf)
            XCTAssertTrue(r.stderr.hasPrefix("error: \(room.path): listener.hrtf: "), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
    }

    func testAbsurdWorkEstimateIsRefusedWithTheEstimateAndTheKey() throws {
        // Issue #24: maxOrder 1000 on a floor plan ran for minutes even at 0.2 s; 60 s at 384 kHz in a
        // shoebox grew past 16 GiB (18.7 GB measured); 10⁸ rays (the room file's cap) ran for hours. All
        // are refused at once, by validate and simulate.
        let out = TestPaths.temporaryFolder()
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let rooms = [
            ("order", #"{"room": {"floorPlan": {"points": [[0,0],[6,0],[6,3.5],[3.5,3.5],[3.5,7],[0,7]], "height": 2.7}}, "surfaces": {"all": "plaster"}, "speakers": [{"name": "S", "position": [1.2, 5.5, 1.1]}], "listener": {"position": [4.9, 1.3, 1.5]}, "simulation": {"duration": 0.2, "maxOrder": 1000, "rays": 0}}"#,
             "simulation.maxOrder: image sources to order 1000 over 8 surfaces means more than 1e308 candidate paths to test"),
            ("long", #"{"room": {"shoebox": {"width": 4, "length": 5, "height": 2.5}}, "surfaces": {"all": "plaster"}, "speakers": [{"name": "S", "position": [1.2, 4, 1.1]}], "listener": {"position": [2, 1.3, 1.5]}, "simulation": {"duration": 60, "sampleRate": 384000}}"#,
             "simulation.duration: a 60.00 s response at 384000 Hz needs about 19.9 GB of memory (budget 8 GiB)"),
            ("lattice", #"{"room": {"shoebox": {"width": 4, "length": 5, "height": 2.5}}, "surfaces": {"all": "plaster"}, "speakers": [{"name": "S", "position": [1.2, 4, 1.1]}], "listener": {"position": [2, 1.3, 1.5]}, "simulation": {"duration": 60, "sampleRate": 8000, "maxOrder": 1000, "rays": 0}}"#,
             "simulation.duration: image sources within 60.00 s of a 50 m³ shoebox means about 6.4e+10 lattice images"),
            // 10⁸ rays over 2 s in a 50 m³ room (mean free path 4V/S = 2.35 m): 2.9e10 reflections.
            ("rays", #"{"room": {"shoebox": {"width": 4, "length": 5, "height": 2.5}}, "surfaces": {"all": "plaster"}, "speakers": [{"name": "S", "position": [1.2, 4, 1.1]}], "listener": {"position": [2, 1.3, 1.5]}, "simulation": {"duration": 2, "sampleRate": 8000, "rays": 100000000}}"#,
             "simulation.rays: 100000000 rays per speaker × 1 speakers over 2.00 s means about 2.9e+10 ray reflections"),
        ]
        for (name, json, message) in rooms {
            let room = out.appendingPathComponent("\(name).json")
            try json.write(to: room, atomically: true, encoding: .utf8)
            for command in [["validate", room.path], ["simulate", room.path, "--rir-only", "-o", out.path]] {
                let r = try soundstage(command)
                XCTAssertEqual(r.status, 1, r.stderr)
                XCTAssertTrue(r.stderr.hasPrefix("error: \(room.path): \(message)"), r.stderr)
            }
        }
    }

    func testMissingFileAndHelp() throws {
        let r = try soundstage(["validate", "rooms/does-not-exist.json"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "error: rooms/does-not-exist.json: no such file\n")
        for command in ["validate", "materials"] {
            let h = try soundstage([command, "--help"])
            XCTAssertEqual(h.status, 0)
            XCTAssertTrue(h.stdout.contains("USAGE"))
        }
    }

    func testMaterialsListsTheLibraryWithSources() throws {
        let r = try soundstage(["materials"])
        XCTAssertEqual(r.status, 0)
        for name in ["concrete", "heavy-curtain", "carpet-on-pad", "panel-100mm", "sofa"] { XCTAssertTrue(r.stdout.contains(name), name) }
        XCTAssertTrue(r.stdout.contains("Vorländer"))
    }

    func testSimulateWritesRIRsAndReflectionsIdenticallyForAnyThreadCount() throws {
        let out = TestPaths.temporaryFolder()
        let one = try soundstage(["simulate", "rooms/home-studio.json", "--rays", "2000", "--duration", "0.2", "--max-order", "4", "--threads", "1", "-o", out.appendingPathComponent("a").path])
        XCTAssertEqual(one.status, 0, one.stderr)
        let two = try soundstage(["simulate", "rooms/home-studio.json", "--rays", "2000", "--duration", "0.2", "--max-order", "4", "--threads", "2", "-o", out.appendingPathComponent("b").path])
        XCTAssertEqual(two.status, 0, two.stderr)
        for file in ["rir-L.wav", "rir-R.wav", "brir-L.wav", "brir-R.wav", "reflections.json", "metrics.json"] {
            let a = try Data(contentsOf: out.appendingPathComponent("a/home-studio/\(file)"))
            let b = try Data(contentsOf: out.appendingPathComponent("b/home-studio/\(file)"))
            XCTAssertEqual(a, b, file) // bit-identical
        }
        let rir = try AudioFile.read(out.appendingPathComponent("a/home-studio/rir-L.wav").path)
        XCTAssertEqual(rir.channelCount, 1)
        XCTAssertEqual(rir.sampleRate, 48000)
        XCTAssertEqual(rir.frameCount, 9600) // round(0.2 s × 48 kHz)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("a/home-studio/reflections.json"))) as! [String: Any]
        let speakers = json["speakers"] as! [[String: Any]]
        XCTAssertEqual(speakers.map { $0["name"] as! String }, ["L", "R"])
        let first = (speakers[0]["reflections"] as! [[String: Any]])[0]
        XCTAssertEqual(first["order"] as! Int, 0)
        XCTAssertEqual(first["distanceMetres"] as! Double, 1.8, accuracy: 1e-9) // the layout's listenerDistance
        let brir = try AudioFile.read(out.appendingPathComponent("a/home-studio/brir-L.wav").path)
        XCTAssertEqual(brir.channelCount, 2) // left ear, right ear
        XCTAssertEqual(brir.frameCount, 9600)
    }

    func testSimulateBadRoomWritesNothing() throws {
        let out = TestPaths.temporaryFolder()
        let r = try soundstage(["simulate", "Tests/SoundstageTests/Fixtures/bad-rooms/unknown-material.json", "-o", out.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("surfaces.floor: unknown material \"wood-flor\""), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [])
        let sofa = try soundstage(["simulate", "rooms/home-studio.json", "--hrtf", "/nonexistent/head.sofa", "-o", out.path])
        XCTAssertEqual(sofa.status, 1)
        XCTAssertEqual(sofa.stderr, "error: rooms/home-studio.json: listener.hrtf: /nonexistent/head.sofa: no such SOFA file\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [])
        let bad = try soundstage(["simulate", "rooms/home-studio.json", "--max-order", "many", "-o", out.path])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--max-order"), bad.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [])
    }

    func testAnalyzeTableJSONAndErrors() throws {
        // A 2-channel exponential decay (T = 0.5 s, random signs: exactly exponential energy).
        var rng = SplitMix64(seed: 11)
        let k = 3 * log(10.0) / 0.5
        let ear = (0..<24000).map { i in Float((Bool.random(using: &rng) ? 1.0 : -1.0) * exp(-k * Double(i) / 48000)) }
        let folder = TestPaths.temporaryFolder()
        let path = folder.appendingPathComponent("ir.wav").path
        try AudioFile.write(AudioBuffer(sampleRate: 48000, channels: [ear, ear]), to: path)
        let table = try soundstage(["analyze", path])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("binaural"))
        XCTAssertTrue(table.stdout.contains("IACC_E"))
        let json = try soundstage(["analyze", path, "--json"])
        XCTAssertEqual(json.status, 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let broadband = (object["bands"] as! [String: Any])["broadband"] as! [String: Any]
        XCTAssertEqual((broadband["T20"] as! [String: Any])["value"] as! Double, 0.5, accuracy: 0.005)
        // 0.5 s of a 0.5 s decay falls 60 dB: T30's range (−35 dB + 10 dB margin) is there, EDT too.
        XCTAssertNotNil((broadband["EDT"] as! [String: Any])["value"])
        let iacc = ((object["binaural"] as! [String: Any])["IACC_E"] as! [String: Any])["broadband"] as! [String: Any]
        XCTAssertEqual(iacc["value"] as! Double, 1, accuracy: 1e-9)
        // Third-octave bands: one line per band, 50 Hz … 10 kHz, and keyed by their labels in JSON.
        let thirds = try soundstage(["analyze", path, "--bands", "third"])
        XCTAssertEqual(thirds.status, 0, thirds.stderr)
        let rows = thirds.stdout.split(separator: "\n").map { $0.split(separator: " ").first.map(String.init) ?? "" }
        XCTAssertEqual(Array(rows.drop { $0 != "50" }.prefix(25)), FrequencyBands.thirdOctaves.labels + ["broadband"])
        let thirdsJSON = try JSONSerialization.jsonObject(with: Data(try soundstage(["analyze", path, "--bands", "third", "--json"]).stdout.utf8)) as! [String: Any]
        let third = ((thirdsJSON["bands"] as! [String: Any])["1.25k"] as! [String: Any])["T20"] as! [String: Any]
        XCTAssertEqual(third["value"] as! Double, 0.5, accuracy: 0.025)
        XCTAssertNotEqual(try soundstage(["analyze", path, "--bands", "fifth"]).status, 0)
        let zeroPhase = try soundstage(["analyze", path, "--filtering", "zero-phase", "--json"])
        XCTAssertEqual(zeroPhase.status, 0, zeroPhase.stderr)
        XCTAssertNotEqual(try soundstage(["analyze", path, "--filtering", "linear"]).status, 0)
        // Bad input: a missing file and a non-audio file are one-line errors with status 1.
        let missing = try soundstage(["analyze", folder.appendingPathComponent("none.wav").path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.hasPrefix("error: "))
        let text = folder.appendingPathComponent("notes.wav")
        try Data("not audio".utf8).write(to: text)
        let bad = try soundstage(["analyze", text.path])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr.components(separatedBy: "\n").filter { !$0.isEmpty }.count, 1)
    }

    func testCompareTwoPlacementsAndMetricsFile() throws {
        let out = TestPaths.temporaryFolder()
        let r = try soundstage(["compare", "rooms/home-studio.json", "rooms/home-studio-wide.json", "--max-order", "3", "--duration", "0.2", "--rays", "20000", "-o", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let header = r.stdout.components(separatedBy: "\n")[0]
        for column in ["home-studio L", "home-studio R", "home-studio-wide L", "home-studio-wide R"] { XCTAssertTrue(header.contains(column), header) }
        XCTAssertTrue(r.stdout.contains("ITDG (ms)"))
        // Each room's metrics.json holds both speakers with ISO 3382 bands and the soundstage block.
        let data = try Data(contentsOf: out.appendingPathComponent("home-studio-wide/metrics.json"))
        let metrics = try JSONDecoder().decode(MetricsFile.self, from: data)
        XCTAssertEqual(metrics.speakers.map(\.speaker), ["L", "R"])
        XCTAssertEqual(Set(metrics.speakers[0].omni.bands.keys), Set(FrequencyBands.octaves.labels + ["broadband"]))
        XCTAssertNotNil(metrics.speakers[0].soundstage.imaging.value)
        XCTAssertNil(metrics.speakers[0].binauralMissing)
        XCTAssertNotNil(metrics.speakers[0].binaural?.ITD.value)        // from the BRIR
        XCTAssertGreaterThan(metrics.speakers[0].binaural!.ITD.value!, 200) // L at +30°: the left ear leads
        XCTAssertNotNil(metrics.speakers[0].soundstage.width.value)
        let one = try soundstage(["compare", "rooms/home-studio.json"])
        XCTAssertNotEqual(one.status, 0)
        // compare.csv / compare.json: the mirrored pair of each room at equal distances and opposite
        // azimuths; the wide placement's speakers stand farther from the seat (2.4 m against 1.8 m).
        let csv = try String(contentsOf: out.appendingPathComponent("compare.csv"), encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(csv.count, 5)
        let column = { (name: String) in csv[0].firstIndex(of: name)! }
        let value = { (row: Int, name: String) in Double(csv[row][column(name)])! }
        XCTAssertEqual(value(1, "distance_m"), value(2, "distance_m"), accuracy: 1e-9)
        XCTAssertEqual(value(1, "azimuth_deg"), -value(2, "azimuth_deg"), accuracy: 1e-9)
        XCTAssertEqual(value(1, "distance_m"), 1.8, accuracy: 0.01)
        XCTAssertEqual(value(3, "distance_m"), 2.4, accuracy: 0.01)
        XCTAssertTrue((20...300).contains(value(1, "bassDipHz_Hz")))
        struct File: Decodable { struct Definition: Decodable { var key: String; var better: String }; var metrics: [Definition] }
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: out.appendingPathComponent("compare.json")))
        XCTAssertEqual(file.metrics.first { $0.key == "bassDeviation" }?.better, "lower")
        XCTAssertEqual(file.metrics.first { $0.key == "C80_1k" }?.better, "higher")
        // compare.png: each setup's colour drawn in the bass panel (left) and the reflections panel (right).
        let png = try PNGImage.read(out.appendingPathComponent("compare.png").path)
        func drawn(_ color: (Int, Int, Int), in xs: Range<Int>) -> Bool {
            stride(from: 112, to: 668, by: 2).contains { y in xs.contains { x in
                let p = png.pixel(x: x, y: y)
                return abs(Int(p.r) - color.0) < 12 && abs(Int(p.g) - color.1) < 12 && abs(Int(p.b) - color.2) < 12
            } }
        }
        for color in [(31, 89, 191), (217, 64, 38)] {
            XCTAssertTrue(drawn(color, in: 101..<720), "bass curve of colour \(color)")
            XCTAssertTrue(drawn(color, in: 881..<1500), "reflections of colour \(color)")
        }
    }

    func testCompareMarksDifferencesWithinTheCountingNoise() throws {
        // The same room under another name and seed differs only by the ray tracer's counting noise:
        // its values carry ±σ and at least one is marked ≈ (not significant); a hall's T30 (≈ 2 s
        // against ≈ 0.2 s) is never marked.
        let out = TestPaths.temporaryFolder()
        var room = try String(contentsOfFile: "rooms/home-studio.json", encoding: .utf8)
        room = room.replacingOccurrences(of: #""name": "home-studio""#, with: #""name": "studio-twin""#)
            .replacingOccurrences(of: #""seed": 1"#, with: #""seed": 2"#)
        let twin = out.appendingPathComponent("twin.json")
        try room.write(to: twin, atomically: true, encoding: .utf8)
        let flags = ["--duration", "0.3", "--rays", "4000", "--max-order", "3", "--no-wave", "--no-plots", "-o", out.path]
        let r = try soundstage(["compare", "rooms/home-studio.json", twin.path, "rooms/hall.json"] + flags)
        XCTAssertEqual(r.status, 0, r.stderr)
        // Six setups: one row each (the compact table), the cells split by their padding.
        let lines = r.stdout.components(separatedBy: "\n")
        let header = lines[0].components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        XCTAssertEqual(header.first, "T30 1k", lines[0])
        let c80Column = try XCTUnwrap(header.firstIndex(of: "C80 ↑"), lines[0])
        let row = { (setup: String) -> [String] in
            let line = lines.first { $0.hasPrefix(setup + " ") }!
            return String(line.dropFirst(setup.count)).components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let setups = ["home-studio L", "home-studio R", "studio-twin L", "studio-twin R", "hall L", "hall R"]
        let t30 = setups.map { row($0)[0] }, c80 = setups.map { row($0)[c80Column] }
        XCTAssertTrue(t30.allSatisfy { $0.contains("±") }, "\(t30)")
        XCTAssertTrue((t30[2...3] + c80[2...3]).contains { $0.contains(Parameter.alikeMark) }, r.stdout)
        XCTAssertFalse((t30[0...1] + c80[0...1]).contains { $0.contains(Parameter.alikeMark) }) // the reference rows
        XCTAssertTrue(r.stdout.contains(Parameter.alikeNote))
        XCTAssertTrue(r.stdout.contains(Parameter.uncertaintyNote))
        XCTAssertFalse((t30[4...5] + c80[4...5]).contains { $0.contains(Parameter.alikeMark) }, "\(t30) \(c80)")
        let tableLines = [lines[0]] + setups.map { setup in lines.first { $0.hasPrefix(setup + " ") }! }
        XCTAssertLessThanOrEqual(tableLines.map(\.count).max()!, 132, "six setups fit a terminal: \(tableLines)")
        // Every metric with its spread in compare.csv, one row per setup.
        let csv = try String(contentsOf: out.appendingPathComponent("compare.csv"), encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(csv.count, 7)
        let t30Spread = try XCTUnwrap(csv[0].firstIndex(of: "T30_1k_spread"))
        XCTAssertTrue(csv.dropFirst().allSatisfy { Double($0[t30Spread]) != nil }, "\(csv)")
    }

    func testSimulateRIROnlyWritesNoBRIRsOrMetrics() throws {
        let out = TestPaths.temporaryFolder()
        let r = try soundstage(["simulate", "rooms/hall.json", "--rir-only", "--duration", "0.2", "--rays", "5000", "--no-wave", "-o", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("hall").path).sorted()
        XCTAssertEqual(files, ["outputs.json", "reflections.json", "rir-L.wav", "rir-R.wav"])
    }

    func testSimulateDrawsPlotsAndPlotRedrawsThem() throws {
        let out = TestPaths.temporaryFolder()
        let sim = try soundstage(["simulate", "rooms/attic-studio.json", "--max-order", "3", "--duration", "0.2", "-o", out.path])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let folder = out.appendingPathComponent("attic-studio")
        let plots = ["reflection-map.png", "echogram.png", "decay.png", "response.png", "arrivals.png", "echogram-R.png", "response-R.png"]
        for p in plots { XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(p).path), p) }
        // Every speaker has its echogram and response: the second speaker's name their title.
        XCTAssertEqual(try PNGImage.readHeader(folder.appendingPathComponent("response-R.png").path).text["Title"], "Response — R, attic-studio")
        XCTAssertEqual(try PNGImage.readHeader(folder.appendingPathComponent("echogram.png").path).text["Title"], "Echogram — L, attic-studio")
        for p in plots { try FileManager.default.removeItem(at: folder.appendingPathComponent(p)) }
        let redraw = try soundstage(["plot", "rooms/attic-studio.json", "-o", out.path])
        XCTAssertEqual(redraw.status, 0, redraw.stderr)
        for p in plots {
            let header = try PNGImage.readHeader(folder.appendingPathComponent(p).path)
            XCTAssertEqual(header.width, 1600)
            XCTAssertEqual(header.text["Comment"]?.hasPrefix("soundstage plot"), true)
        }
        // No outputs yet: a clear error.
        let none = try soundstage(["plot", "rooms/hall.json", "-o", out.path])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.contains("run `soundstage simulate"), none.stderr)
    }

    func testSimulateAtALowSampleRateDrawsEveryPlot() throws {
        // The room format allows 8 kHz sampling: the 4 and 8 kHz octaves do not exist then. Simulate
        // must still finish (the response plot once indexed past Nyquist and crashed) and report
        // those bands as missing.
        let out = TestPaths.temporaryFolder()
        let room = out.appendingPathComponent("low.json")
        try Data(#"""
        {"name": "low", "room": {"shoebox": {"width": 4, "length": 5, "height": 2.6}}, "surfaces": {"all": "painted-brick"},
         "speakers": [{"name": "L", "position": [1.5, 4, 1.2]}, {"name": "R", "position": [2.5, 4, 1.2]}],
         "listener": {"position": [2, 2, 1.2]}, "simulation": {"sampleRate": 8000, "duration": 0.3, "rays": 2000}}
        """#.utf8).write(to: room)
        let sim = try soundstage(["simulate", room.path, "-o", out.path])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let folder = out.appendingPathComponent("low")
        for p in ["reflection-map.png", "echogram.png", "decay.png", "response.png", "arrivals.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(p).path), p)
        }
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("metrics.json"))) as! [String: Any]
        let speaker = (metrics["speakers"] as! [[String: Any]])[0]
        let bands = (speaker["omni"] as! [String: Any])["bands"] as! [String: Any]
        XCTAssertNotNil(((bands["1k"] as! [String: Any])["T30"] as! [String: Any])["value"])
        XCTAssertNotNil(((bands["8k"] as! [String: Any])["T30"] as! [String: Any])["missing"])
    }

    func testRenderCommandReuseAndSafety() throws {
        let out = TestPaths.temporaryFolder()
        let music = out.appendingPathComponent("demo.wav").path
        XCTAssertEqual(try soundstage(["demo-signal", music]).status, 0)
        let first = try soundstage(["render", "rooms/home-studio.json", "--input", music, "--rays", "20000", "-o", out.path])
        XCTAssertEqual(first.status, 0, first.stderr)
        let rendered = try AudioFile.read(out.appendingPathComponent("home-studio/render-demo.wav").path)
        XCTAssertEqual(rendered.channelCount, 2)
        let second = try soundstage(["render", "rooms/home-studio.json", "--input", music, "--rays", "20000", "-o", out.path])
        XCTAssertTrue(second.stderr.contains("reusing the BRIRs"), second.stderr) // nothing changed: no new simulation
        // The output may not be the input, and a bad EQ file stops before anything is written.
        let same = try soundstage(["render", "rooms/home-studio.json", "--input", music, "--output", music, "-o", out.path])
        XCTAssertEqual(same.status, 1)
        XCTAssertTrue(same.stderr.contains("would overwrite the input"))
        let eq = out.appendingPathComponent("eq.txt")
        try Data("Filter 1: ON ZZ Fc 100 Hz Gain 1 dB\n".utf8).write(to: eq)
        let badEQ = try soundstage(["render", "rooms/home-studio.json", "--input", music, "--eq", eq.path, "--output", out.appendingPathComponent("x.wav").path])
        XCTAssertEqual(badEQ.status, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("x.wav").path))
    }

    func testExportHeSuViMatchesTheBRIRs() throws {
        let out = TestPaths.temporaryFolder()
        let r = try soundstage(["export", "rooms/attic-studio.json", "--format", "hesuvi", "-o", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let hesuvi = try AudioFile.read(out.appendingPathComponent("attic-studio/hesuvi.wav").path)
        XCTAssertEqual(hesuvi.channelCount, 14)
        let left = try AudioFile.read(out.appendingPathComponent("attic-studio/brir-L.wav").path)
        let right = try AudioFile.read(out.appendingPathComponent("attic-studio/brir-R.wav").path)
        XCTAssertEqual(hesuvi.channels[0], left.channels[0])  // FL→L
        XCTAssertEqual(hesuvi.channels[1], left.channels[1])  // FL→R
        XCTAssertEqual(hesuvi.channels[7], right.channels[1]) // FR→R
        XCTAssertEqual(hesuvi.channels[8], right.channels[0]) // FR→L
        XCTAssertTrue(hesuvi.channels[6].allSatisfy { $0 == 0 }) // no centre speaker in this room: silent
        XCTAssertTrue(r.stdout.contains("--phantom-centre"), r.stdout)
        // HeSuVi's 44.1 kHz file goes where HeSuVi keeps that rate (hrir/44/), with a phantom centre.
        let r44 = try soundstage(["export", "rooms/attic-studio.json", "--format", "hesuvi", "--sample-rate", "44100", "--phantom-centre",
                                  "--duration", "0.3", "--no-wave", "-o", out.path])
        XCTAssertEqual(r44.status, 0, r44.stderr)
        let h44 = try AudioFile.read(out.appendingPathComponent("attic-studio/44/hesuvi.wav").path)
        XCTAssertEqual(h44.sampleRate, 44100)
        XCTAssertEqual(h44.channelCount, 14)
        let peak = { (x: [Float]) in x.map { abs($0) }.max() ?? 0 }
        XCTAssertGreaterThan(peak(h44.channels[6]), 0.3 * peak(h44.channels[0]), "the phantom centre is not silent")
        let bad = try soundstage(["export", "rooms/attic-studio.json", "--format", "hesuvi", "--bass-crossover", "5", "-o", out.path])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--bass-crossover"), bad.stderr)
    }
}

extension CLITests {
    /// A small stereo room with an optimize block (short wave runs).
    func optimizeRoom(in folder: URL) throws -> String {
        let path = folder.appendingPathComponent("small.json").path
        try """
        {"name": "small", "room": {"shoebox": {"width": 4, "length": 5, "height": 2.5}}, "surfaces": {"all": {"absorption": 0.25}},
         "speakers": {"layout": "stereo", "spacing": 1.8, "frontWallDistance": 0.5, "listenerDistance": 1.9, "height": 1.1},
         "listener": {"earHeight": 1.1}, "simulation": {"duration": 0.4, "rays": 1000},
         "optimize": {"speakers": {"spacing": [1.6, 2.0], "frontWallDistance": [0.3, 0.7]}, "listener": {"frontWallDistance": [2.0, 2.6]},
                      "step": 0.2, "seats": 2, "area": 0.3}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testOptimizeWritesItsFilesRanksTheCurrentPlacementFirstAndIsTheSameForAnyThreadCount() throws {
        let out = TestPaths.temporaryFolder()
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let room = try optimizeRoom(in: out)
        var candidates: [Data] = []
        for threads in ["1", "2"] {
            let r = try soundstage(["optimize", room, "--no-check", "--threads", threads, "-o", out.appendingPathComponent(threads).path])
            XCTAssertEqual(r.status, 0, r.stderr)
            let lines = r.stdout.split(separator: "\n")
            XCTAssertTrue(lines[0].hasPrefix("rank"), r.stdout)
            XCTAssertTrue(lines[1].hasPrefix("current"), r.stdout)
            XCTAssertTrue(lines[2].hasPrefix("1 "), r.stdout)
            let folder = out.appendingPathComponent("\(threads)/small/optimize")
            for file in ["candidates.json", "best.json", "placement-map.png", "seat-map.png"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path), file)
            }
            candidates.append(try Data(contentsOf: folder.appendingPathComponent("candidates.json")))
            // best.json is a room file; its listener sits where the best row says.
            let best = try RoomFile.load(path: folder.appendingPathComponent("best.json").path)
            let file = try JSONSerialization.jsonObject(with: candidates.last!) as! [String: Any]
            let list = file["candidates"] as! [[String: Any]]
            XCTAssertEqual(list[0]["stage"] as? String, "current")
            let ranked = list.filter { ($0["stage"] as? String) != "grid" }.compactMap { $0["cost"] as? Double }
            let top = list.first { ($0["stage"] as? String) != "grid" && ($0["cost"] as? Double) == ranked.min() }!
            let seat = top["seat"] as! [Double]
            XCTAssertLessThan(best.listener.position.distance(to: Vec3(seat[0], seat[1], seat[2])), 2e-3)
            // Every fully scored candidate carries every term of the goal.
            for c in list where (c["stage"] as? String) == "refined" {
                XCTAssertEqual(Set((c["terms"] as! [String: Double]).keys), Set(Objective.Term.allCases.map(\.rawValue)))
            }
        }
        XCTAssertEqual(candidates[0], candidates[1], "candidates.json differs between 1 and 2 threads")
    }

    func testOptimizeRefusesBadRangesAndListedSpeakersWithTheKey() throws {
        let out = TestPaths.temporaryFolder()
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let room = try optimizeRoom(in: out)
        let flag = try soundstage(["optimize", room, "--spacing", "3:2", "-o", out.path])
        XCTAssertEqual(flag.status, 2, "bad usage")
        XCTAssertTrue(flag.stderr.contains("--spacing") && flag.stderr.contains("empty range"), flag.stderr)
        let narrow = try soundstage(["optimize", room, "--stereo-angle", "150:170", "-o", out.path])
        XCTAssertEqual(narrow.status, 1)
        XCTAssertTrue(narrow.stderr.contains("optimize.constraints.stereoAngle"), narrow.stderr)
        let listed = try soundstage(["optimize", "rooms/bras-cr2.json", "-o", out.path])
        XCTAssertEqual(listed.status, 1)
        XCTAssertTrue(listed.stderr.contains("speakers.layout"), listed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("small/optimize").path), "a refused run writes nothing")
    }
}
