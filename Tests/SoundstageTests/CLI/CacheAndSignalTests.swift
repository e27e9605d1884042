import XCTest
@testable import Soundstage

/// The BRIR cache (`OutputFolder`) and interrupted runs, as a user meets them: every order of
/// simulate / compare / render / export with differing rooms, options and sample rates, and real
/// signals in the middle of a run.
final class CacheAndSignalTests: XCTestCase {
    /// Small settings so each simulation takes a moment in a debug build.
    let fast = ["--duration", "0.15", "--rays", "300", "--max-order", "2", "--no-wave"]

    /// A copy of rooms/home-studio.json with the same name and `change` applied to its JSON.
    func variant(in folder: URL, file: String = "variant.json", _ change: (inout [String: Any]) -> Void) throws -> String {
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: TestPaths.rooms.appendingPathComponent("home-studio.json"))) as! [String: Any]
        change(&json)
        let url = folder.appendingPathComponent(file)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        return url.path
    }

    /// A short stereo noise burst at `rate`.
    func music(in folder: URL, rate: Int, seconds: Double = 0.3, name: String) throws -> String {
        var rng = SplitMix64(seed: UInt64(rate))
        let n = Int(seconds * Double(rate))
        let channels = (0..<2).map { _ in (0..<n).map { _ in Float.random(in: -0.3...0.3, using: &rng) } }
        let path = folder.appendingPathComponent(name).path
        try AudioFile.write(AudioBuffer(sampleRate: rate, channels: channels), to: path, format: .wavPCM16)
        return path
    }

    /// Renders in a folder of its own: the reference for what a render of `room` must produce.
    func cleanRender(_ room: String, _ input: String, extra: [String] = []) throws -> Data {
        let out = TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let target = out.appendingPathComponent("render.wav").path
        let r = try runSoundstage(["render", room, "--input", input, "--output", target, "-o", out.path, "--gain", "-3"] + fast + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
        return try Data(contentsOf: URL(fileURLWithPath: target))
    }

    func render(_ room: String, _ input: String, in out: URL, extra: [String] = []) throws -> (CLIRun, Data) {
        let target = out.appendingPathComponent("render.wav").path
        let r = try runSoundstage(["render", room, "--input", input, "--output", target, "-o", out.path, "--gain", "-3"] + fast + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
        return (r, try Data(contentsOf: URL(fileURLWithPath: target)))
    }

    func testTheBuildIdentityIsTheLinkersBuildIDAsReadelfReadsIt() throws {
        // The result key names the build by the GNU build ID read from the process's own memory;
        // binutils' readelf reads the same note from the file.
        let readelf = Process()
        readelf.executableURL = URL(fileURLWithPath: "/usr/bin/readelf")
        readelf.arguments = ["-n", "/proc/\(getpid())/exe"]
        let pipe = Pipe()
        readelf.standardOutput = pipe
        try readelf.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        readelf.waitUntilExit()
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.contains("Build ID:") }, "readelf found no build ID:\n\(text)")
        let fromFile = String(line.split(separator: ":").last!).trimmingCharacters(in: .whitespaces)
        XCTAssertGreaterThanOrEqual(fromFile.count, 16)
        XCTAssertEqual(ResultKey.gnuBuildID(), fromFile)
        XCTAssertEqual(ResultKey.buildDigest, "gnu-build-id \(fromFile)")
    }

    func testRenderAlwaysUsesTheBRIRsOfTheRoomAndOptionsItWasGiven() throws {
        let work = TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        let original = "rooms/home-studio.json"
        // Same "name", different placement: the case that made the old single-key cache lie.
        let moved = try variant(in: work) { json in
            var speakers = json["speakers"] as! [String: Any]
            speakers["spacing"] = 1.4
            json["speakers"] = speakers
        }
        let music48 = try music(in: work, rate: 48000, name: "m48.wav"), music44 = try music(in: work, rate: 44100, name: "m44.wav")
        let reference48 = try cleanRender(original, music48)
        let reference44 = try cleanRender(original, music44)
        let referenceSeed = try cleanRender(original, music48, extra: ["--seed", "2"])
        let referenceMoved = try cleanRender(moved, music48)
        XCTAssertNotEqual(reference48, referenceMoved, "the two rooms must sound different for this test to mean anything")
        XCTAssertNotEqual(reference48, referenceSeed)

        let out = work.appendingPathComponent("out")
        /// Renders in the shared folder and checks that the result is the reference, and whether the
        /// BRIRs came from the cache.
        func expectRender(_ room: String, _ input: String, extra: [String] = [], reused: Bool?, equals reference: Data,
                          file: StaticString = #filePath, line: UInt = #line) throws {
            let (run, data) = try render(room, input, in: out, extra: extra)
            if let reused { XCTAssertEqual(run.stderr.contains("reusing the BRIRs"), reused, run.stderr, file: file, line: line) }
            XCTAssertEqual(data, reference, file: file, line: line)
        }
        XCTAssertEqual(try runSoundstage(["simulate", original, "-o", out.path, "--no-plots"] + fast).status, 0)
        XCTAssertEqual(try runSoundstage(["simulate", moved, "-o", out.path, "--no-plots"] + fast).status, 0)
        // The folder's top-level files are now the moved room's; render the original.
        try expectRender(original, music48, reused: true, equals: reference48)
        try expectRender(moved, music48, reused: nil, equals: referenceMoved)
        // compare with another duration rewrites the folder; the original's render is unaffected.
        let twin = try variant(in: work, file: "twin.json") { $0["name"] = "home-studio-twin" }
        let compared = try runSoundstage(["compare", original, twin, "-o", out.path, "--duration", "0.2", "--rays", "300", "--max-order", "2", "--no-plots"])
        XCTAssertEqual(compared.status, 0, compared.stderr)
        try expectRender(original, music48, reused: true, equals: reference48)
        // Two sample rates live side by side: neither evicts the other.
        try expectRender(original, music44, reused: false, equals: reference44)
        try expectRender(original, music48, reused: true, equals: reference48)
        try expectRender(original, music44, reused: true, equals: reference44)
        // Another seed is another result.
        try expectRender(original, music48, extra: ["--seed", "2"], reused: false, equals: referenceSeed)
        // export takes the same entry, and its channels are the cached BRIRs.
        let export = try runSoundstage(["export", original, "--format", "stereo", "-o", out.path] + fast)
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertTrue(export.stderr.contains("reusing the BRIRs"), export.stderr)
        // The cache holds one complete entry per key, nothing half-written.
        let cache = out.appendingPathComponent("home-studio/cache")
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache.path).sorted()
        XCTAssertTrue(entries.allSatisfy { $0.count == 64 && !$0.hasPrefix(".") }, "\(entries)")
        XCTAssertLessThanOrEqual(entries.count, OutputFolder.cacheLimit)
    }

    func testTheOutputSetNeverMixesTwoRuns() throws {
        let work = TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        // A room with three speakers, then the same name with two: the third speaker's files go.
        let three = try variant(in: work, file: "three.json") { json in
            json["speakers"] = [
                ["name": "L", "position": [1.2, 4.5, 1.2], "aim": "listener", "directivity": "omni"],
                ["name": "C", "position": [2.1, 4.6, 1.2], "aim": "listener", "directivity": "omni"],
                ["name": "R", "position": [3.0, 4.5, 1.2], "aim": "listener", "directivity": "omni"],
            ]
            json["listener"] = ["position": [2.1, 2.6, 1.2]]
        }
        let out = work.appendingPathComponent("out")
        XCTAssertEqual(try runSoundstage(["simulate", three, "-o", out.path, "--no-plots"] + fast).status, 0)
        let folder = out.appendingPathComponent("home-studio")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("brir-C.wav").path))
        XCTAssertEqual(try runSoundstage(["simulate", "rooms/home-studio.json", "-o", out.path, "--no-plots"] + fast).status, 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0 != "cache" }.sorted()
        XCTAssertEqual(files, ["brir-L.wav", "brir-R.wav", "metrics.json", "outputs.json", "reflections.json", "rir-L.wav", "rir-R.wav"])
        let manifest = try JSONDecoder().decode(OutputManifest.self, from: Data(contentsOf: folder.appendingPathComponent("outputs.json")))
        XCTAssertEqual(manifest.speakers, ["L", "R"])
        XCTAssertEqual(Set(manifest.files), Set(files))
    }

    /// Every regular file under `folder` with its bytes.
    func snapshot(_ folder: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let e = FileManager.default.enumerator(atPath: folder.path)!
        while let name = e.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = folder.appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                out[name] = try Data(contentsOf: URL(fileURLWithPath: path))
            }
        }
        return out
    }

    func testCtrlCDuringSimulateLeavesThePreviousOutputsAndNoTemporaryFiles() throws {
        let work = TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("out")
        XCTAssertEqual(try runSoundstage(["simulate", "rooms/home-studio.json", "-o", out.path, "--no-plots"] + fast).status, 0)
        let folder = out.appendingPathComponent("home-studio")
        let before = try snapshot(folder)
        // A long run of a changed room, interrupted while it computes.
        let moved = try variant(in: work) { json in
            var speakers = json["speakers"] as! [String: Any]
            speakers["spacing"] = 1.4
            json["speakers"] = speakers
        }
        let (process, stdout, stderr) = try startSoundstage(["simulate", moved, "-o", out.path, "--rays", "1000000", "--duration", "1"])
        Thread.sleep(forTimeInterval: 1.5)
        XCTAssertTrue(process.isRunning, "the run finished before the signal: make it longer")
        process.interrupt() // SIGINT, as Ctrl-C sends
        _ = stdout.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 130)
        XCTAssertTrue(message.hasSuffix("soundstage: interrupted; unfinished outputs removed, earlier outputs unchanged\n"), message)
        XCTAssertEqual(try snapshot(folder), before, "the previous outputs changed")
        // The next render still gets the BRIRs of the room it names.
        let m = try music(in: work, rate: 48000, name: "m.wav")
        let (run, data) = try render("rooms/home-studio.json", m, in: out)
        XCTAssertTrue(run.stderr.contains("reusing the BRIRs"), run.stderr)
        XCTAssertEqual(data, try cleanRender("rooms/home-studio.json", m))
    }

    func testSIGTERMDuringRenderRemovesItsTemporaryFileAndKeepsTheLastRender() throws {
        let work = TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("out")
        let short = try music(in: work, rate: 8000, seconds: 0.2, name: "short.wav")
        let target = out.appendingPathComponent("render.wav")
        let first = try runSoundstage(["render", "rooms/home-studio.json", "--input", short, "--output", target.path, "-o", out.path, "--gain", "-3"] + fast)
        XCTAssertEqual(first.status, 0, first.stderr)
        let good = try Data(contentsOf: target)
        // Twenty minutes of music: the convolution runs for a while (≈ 1 s in a release build) with
        // its temporary file open.
        let long = try music(in: work, rate: 8000, seconds: 1200, name: "long.wav")
        let (process, stdout, stderr) = try startSoundstage(["render", "rooms/home-studio.json", "--input", long, "--output", target.path, "-o", out.path] + fast)
        let deadline = Date().addingTimeInterval(60)
        var sawTemporary = false
        while Date() < deadline && process.isRunning && !sawTemporary {
            sawTemporary = (try FileManager.default.contentsOfDirectory(atPath: out.path)).contains { $0.hasPrefix(".render.wav.tmp-") }
            if !sawTemporary { Thread.sleep(forTimeInterval: 0.001) }
        }
        XCTAssertTrue(sawTemporary && process.isRunning, "the render's temporary file was never seen while it ran")
        process.terminate() // SIGTERM
        _ = stdout.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 143)
        XCTAssertTrue(message.contains("soundstage: terminated; unfinished outputs removed"), message)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix(".") }, [])
        XCTAssertEqual(try Data(contentsOf: target), good)
    }

    func testNegativeValuesAutoAndOneErrorConvention() throws {
        let work = TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        let m = try music(in: work, rate: 48000, name: "m.wav")
        // Negative numbers parse where they are meaningful.
        let quiet = try runSoundstage(["render", "rooms/home-studio.json", "--input", m, "-o", work.path, "--gain", "-3"] + fast)
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertTrue(quiet.stdout.contains("gain -3.0 dB"), quiet.stdout)
        let loud = try runSoundstage(["render", "rooms/home-studio.json", "--input", m, "-o", work.path, "--loudness", "-20"] + fast)
        XCTAssertEqual(loud.status, 0, loud.stderr)
        XCTAssertTrue(loud.stdout.contains("-20.0 LUFS"), loud.stdout)
        // 'auto' wherever the room file takes it.
        let auto = try runSoundstage(["simulate", "rooms/home-studio.json", "-o", work.path, "--rays", "auto", "--max-order", "auto", "--duration", "0.15", "--no-plots"])
        XCTAssertEqual(auto.status, 0, auto.stderr)
        // Bad usage: exit 2, one line naming the option; bad input: exit 1, one line naming the file.
        for (arguments, expected) in [
            (["simulate", "rooms/home-studio.json", "--rays", "-5"], "error: --rays: expected 'auto' or a whole number 0…100000000 (got -5)\n"),
            (["render", "rooms/home-studio.json", "--input", m, "--threads", "0"], "error: --threads: must be between 1 and 1024 (got 0)\n"),
            (["compare", "rooms/home-studio.json", "rooms/hall.json", "--seed", "x"], "error: --seed: expected a whole number 0…9007199254740992, got 'x'\n"),
            (["simulate", "rooms/home-studio.json", "--no-such-option"], "error: Unknown option '--no-such-option' (see --help)\n"),
        ] {
            let r = try runSoundstage(arguments + ["-o", work.path])
            XCTAssertEqual(r.status, 2, arguments.joined(separator: " "))
            XCTAssertEqual(r.stderr, expected)
        }
        let missingEQ = try runSoundstage(["render", "rooms/home-studio.json", "--input", m, "--eq", "/nonexistent/eq.txt", "-o", work.path])
        XCTAssertEqual(missingEQ.status, 1)
        XCTAssertEqual(missingEQ.stderr, "error: /nonexistent/eq.txt: No such file or directory\n")
        // A folder that cannot be written: the path and the system's reason, no Foundation dump.
        let blocked = work.appendingPathComponent("blocked")
        try Data("a file, not a folder".utf8).write(to: blocked)
        let unwritable = try runSoundstage(["simulate", "rooms/home-studio.json", "-o", blocked.path] + fast)
        XCTAssertEqual(unwritable.status, 1)
        XCTAssertEqual(unwritable.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }.count, 1, unwritable.stderr)
        XCTAssertTrue(unwritable.stderr.contains("error: \(blocked.path)/home-studio: cannot create the folder"), unwritable.stderr)
    }

    func testATruncatedWAVIsAWarningThatSaysHowMuchIsMissing() throws {
        let work = TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        // A 16-bit mono WAV whose header declares 30 s, cut after 1 s.
        let fs = 16000, declared = 30 * fs
        var bytes = Data("RIFF".utf8)
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { bytes.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { bytes.append(contentsOf: $0) } }
        u32(36 + 2 * declared); bytes += Data("WAVEfmt ".utf8); u32(16); u16(1); u16(1); u32(fs); u32(2 * fs); u16(2); u16(16)
        bytes += Data("data".utf8); u32(2 * declared)
        for i in 0..<fs { u16(Int(UInt16(bitPattern: Int16(3000 * sin(Double(i) * 0.05))))) }
        let path = work.appendingPathComponent("cut.wav").path
        try bytes.write(to: URL(fileURLWithPath: path))
        let reader = try AudioFileReader(path)
        XCTAssertEqual(reader.frameCount, fs)
        XCTAssertEqual(reader.truncation, "truncated: its header declares 30.0 s of audio, the file holds 1.0 s")
        let r = try runSoundstage(["render", "rooms/home-studio.json", "--input", path, "-o", work.path] + fast)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("warning: \(path): truncated: its header declares 30.0 s of audio, the file holds 1.0 s; rendering what is there"), r.stderr)
        // A whole file has no warning.
        try AudioFile.write(AudioBuffer(sampleRate: fs, channels: [[Float](repeating: 0.1, count: fs)]), to: path, format: .wavPCM16)
        XCTAssertNil(try AudioFileReader(path).truncation)
    }
}
