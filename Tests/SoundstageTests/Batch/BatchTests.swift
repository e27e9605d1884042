import XCTest
@testable import Soundstage

/// `soundstage batch` and `soundstage scenes` as a dataset job runs them: shards from the
/// schedulers' environments, reruns, bad lines, and the files checked against the physics.
final class BatchTests: XCTestCase {
    /// Small, fast scenes: 8 kHz, 0.15 s, image sources to order 2 and a few rays (so the seed matters).
    static let ranges = """
    {"width": [2.5, 4], "length": [3, 5], "height": [2.2, 3], "absorption": [0.1, 0.5], "sources": 2,
     "clearance": 0.4, "minDistance": 0.8, "listenerYaw": [-30, 30],
     "simulation": {"sampleRate": 8000, "duration": 0.15, "maxOrder": 2, "rays": 300, "wave": false}}
    """

    /// A folder with ranges.json, a room file and scenes.jsonl: `count` generated scenes, then a blank
    /// line and a line that names the room file with an override.
    func makeBatch(count: Int = 6) throws -> URL {
        let folder = TestPaths.temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Self.ranges.write(to: folder.appendingPathComponent("ranges.json"), atomically: true, encoding: .utf8)
        let room = """
        {"room": {"shoebox": {"width": 3, "length": 4, "height": 2.5}}, "surfaces": {"all": {"absorption": 0.3}},
         "speakers": [{"name": "A", "position": [1, 3, 1.2], "directivity": "omni"}], "listener": {"position": [1.5, 1, 1.2]},
         "simulation": {"sampleRate": 8000, "duration": 0.15, "maxOrder": 2, "rays": 300, "wave": false}}
        """
        try room.write(to: folder.appendingPathComponent("base.json"), atomically: true, encoding: .utf8)
        let scenes = try runSoundstage(["scenes", "--count", "\(count)", "--seed", "4", "--ranges", folder.appendingPathComponent("ranges.json").path])
        XCTAssertEqual(scenes.status, 0, scenes.stderr)
        let text = scenes.stdout + "\n" + #"{"room": "base.json", "override": {"surfaces": {"all": {"absorption": 0.2}}, "listener": {"position": [2, 1, 1.2]}, "simulation": {"duration": 0.6}}}"# + "\n"
        try text.write(to: folder.appendingPathComponent("scenes.jsonl"), atomically: true, encoding: .utf8)
        return folder
    }

    /// The process environment without any scheduler's variables.
    var plainEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SLURM_") && $0.key != "JOB_COMPLETION_INDEX" }
    }

    func batch(_ folder: URL, out: String, _ extra: [String] = [], environment: [String: String]? = nil) throws -> CLIRun {
        try runSoundstage(["batch", folder.appendingPathComponent("scenes.jsonl").path, "--out", folder.appendingPathComponent(out).path] + extra,
                          environment: environment ?? plainEnvironment)
    }

    /// Every file under `folder` (relative path → bytes), manifests and batch.json left out.
    func sceneFiles(_ folder: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for scene in try FileManager.default.contentsOfDirectory(atPath: folder.path) where scene.hasPrefix("scene-") {
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(scene).path) {
                files["\(scene)/\(name)"] = try Data(contentsOf: folder.appendingPathComponent(scene).appendingPathComponent(name))
            }
        }
        return files
    }

    /// Every manifest line of `folder`, with the manifest it came from.
    func manifestLines(_ folder: URL) throws -> [(manifest: String, line: String)] {
        var out: [(String, String)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasPrefix("manifest") {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            out += text.split(separator: "\n").map { (name, String($0)) }
        }
        return out
    }

    func testShardsFromSlurmKubernetesAndTheCommandLineMakeTheUnshardedRunByteForByte() throws {
        let folder = try makeBatch()
        let whole = try batch(folder, out: "whole", ["--threads", "1"])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertTrue(whole.stdout.contains("7 scenes, 7 made"), whole.stdout) // 6 generated + the override line; the blank line is none
        let reference = try sceneFiles(folder.appendingPathComponent("whole"))
        XCTAssertEqual(reference.count, 6 * 2 + 1) // two sources per generated scene, one in base.json
        let referenceLines = Set(try manifestLines(folder.appendingPathComponent("whole")).map(\.line))
        XCTAssertEqual(referenceLines.count, 7)

        // Slurm: an array 1-3 (SLURM_ARRAY_TASK_MIN 1), Kubernetes: an Indexed Job of 2, and --shard i/4.
        var runs: [(out: String, extra: [String], env: [[String: String]])] = []
        runs.append(("slurm", ["--threads", "2"], (1...3).map { id in
            plainEnvironment.merging(["SLURM_ARRAY_TASK_ID": "\(id)", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"]) { $1 } }))
        runs.append(("k8s", ["--shards", "2", "--threads", "2"], (0..<2).map { plainEnvironment.merging(["JOB_COMPLETION_INDEX": "\($0)"]) { $1 } }))
        for (out, extra, environments) in runs {
            for env in environments {
                let r = try batch(folder, out: out, extra, environment: env)
                XCTAssertEqual(r.status, 0, r.stderr)
            }
            XCTAssertEqual(try sceneFiles(folder.appendingPathComponent(out)), reference, out)
            let lines = try manifestLines(folder.appendingPathComponent(out))
            XCTAssertEqual(lines.count, 7, out) // each scene in exactly one shard's manifest
            XCTAssertEqual(Set(lines.map(\.line)), referenceLines, out)
            XCTAssertEqual(Set(lines.map(\.manifest)).count, environments.count, out)
        }
        for i in 0..<4 {
            let r = try batch(folder, out: "cli", ["--shard", "\(i)/4", "--threads", "1"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        XCTAssertEqual(try sceneFiles(folder.appendingPathComponent("cli")), reference)
        XCTAssertEqual(Set(try manifestLines(folder.appendingPathComponent("cli")).map(\.line)), referenceLines)
    }

    func testTheFilesAreTheScenesPhysics() throws {
        // The override line: source A at (1, 3, 1.2), listener moved to (2, 1, 1.2): the direct sound
        // arrives at r/c with amplitude 1/(4πr) (SPEC §2), the room's walls all α = 0.2.
        let folder = try makeBatch(count: 1)
        let r = try batch(folder, out: "o")
        XCTAssertEqual(r.status, 0, r.stderr)
        let record = try manifestLines(folder.appendingPathComponent("o")).map { try JSONSerialization.jsonObject(with: Data($0.line.utf8)) as! [String: Any] }
            .first { $0["line"] as! Int == 3 }!
        XCTAssertEqual(record["status"] as? String, "ok")
        let room = record["room"] as! [String: Any]
        XCTAssertEqual(((room["listener"] as! [String: Any])["position"] as! [Double]), [2, 1, 1.2])
        XCTAssertEqual((((room["surfaces"] as! [String: Any])["all"] as! [String: Any])["absorption"] as! Double), 0.2)
        let file = ((record["files"] as! [String: Any])["rir"] as! [String: String])["A"]!
        let rir = try AudioFile.read(folder.appendingPathComponent("o").appendingPathComponent(file).path)
        XCTAssertEqual(rir.sampleRate, 8000)
        XCTAssertEqual(rir.frameCount, 4800) // the override's 0.6 s
        let distance = (1.0 + 4.0).squareRoot() // (1, 3) → (2, 1), same height
        let c = 331.3 * (1 + 20 / 273.15).squareRoot()
        let x = rir.channels[0]
        let expected = distance / c * 8000
        // Nothing before the direct sound; at it, the arrival's energy 1/(4πr) (the fractional-delay
        // sinc spreads it over neighbouring samples; its energy stays).
        let first = x.firstIndex { abs($0) > 0.2 / Float(4 * .pi * distance) }!
        XCTAssertEqual(Double(first), expected, accuracy: 1.5)
        let at = Int(expected.rounded())
        let direct = x[(at - 4)...(at + 4)].map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        XCTAssertEqual(direct, 1 / (4 * .pi * distance), accuracy: 0.1 / (4 * .pi * distance))
        // Metrics per band: T30 of a room of uniform α 0.2 lies near Eyring's 0.161 V / (−S ln(1 − α)).
        let t30 = ((record["metrics"] as! [String: Any])["A"] as! [String: Any])["T30"] as! [Any]
        let bands = record["bandsHz"] as! [Double]
        let v = 3.0 * 4 * 2.5, s = 2 * (3.0 * 4 + 3 * 2.5 + 4 * 2.5)
        let eyring = 0.161 * v / (-s * log(1 - 0.2))
        let at1k = try XCTUnwrap(t30[bands.firstIndex(of: 1000)!] as? Double, "T30 at 1 kHz: \(t30)")
        XCTAssertEqual(at1k, eyring, accuracy: 0.35 * eyring) // air absorption and a 300-ray tail: within 35 %
    }

    func testARerunSkipsWhatIsRecordedAndRedoesATornLastLine() throws {
        let folder = try makeBatch(count: 3)
        let first = try batch(folder, out: "d")
        XCTAssertEqual(first.status, 0, first.stderr)
        let manifest = folder.appendingPathComponent("d/manifest.jsonl")
        let complete = try Data(contentsOf: manifest), files = try sceneFiles(folder.appendingPathComponent("d"))
        // Killed while appending the last record: half a line; its scene's files are there or not.
        try complete.prefix(complete.count - 40).write(to: manifest)
        let again = try batch(folder, out: "d")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("4 scenes, 1 made") && again.stdout.contains("3 already done"), again.stdout)
        XCTAssertEqual(try Data(contentsOf: manifest), complete)
        XCTAssertEqual(try sceneFiles(folder.appendingPathComponent("d")), files)
        // Nothing left to do.
        let third = try batch(folder, out: "d")
        XCTAssertTrue(third.stdout.contains("0 made") && third.stdout.contains("4 already done"), third.stdout)
        // Other options into the same folder are refused; nothing changes.
        let other = try batch(folder, out: "d", ["--max-order", "3"])
        XCTAssertEqual(other.status, 2)
        XCTAssertTrue(other.stderr.contains("batch.json") && other.stderr.contains("other options"), other.stderr)
        XCTAssertEqual(try Data(contentsOf: manifest), complete)
    }

    func testABadLineIsRecordedWithItsLineAndPathAndTheRestGoesOn() throws {
        let folder = try makeBatch(count: 1)
        let good = try String(contentsOf: folder.appendingPathComponent("scenes.jsonl"), encoding: .utf8).split(separator: "\n")[0]
        let bad = good.replacingOccurrences(of: #""width":"#, with: #""width":-"#)
        let lines = [String(good), "{\"room\": ", bad, #"{"room": "missing.json"}"#, String(good)]
        try lines.joined(separator: "\n").write(to: folder.appendingPathComponent("scenes.jsonl"), atomically: true, encoding: .utf8)
        let r = try batch(folder, out: "e")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("5 scenes, 2 made") && r.stdout.contains("3 failed"), r.stdout)
        XCTAssertTrue(r.stderr.contains("error: scenes.jsonl:2: not valid JSON"), r.stderr)
        let records = try manifestLines(folder.appendingPathComponent("e"))
            .map { try JSONSerialization.jsonObject(with: Data($0.line.utf8)) as! [String: Any] }.sorted { ($0["line"] as! Int) < ($1["line"] as! Int) }
        XCTAssertEqual(records.map { $0["line"] as! Int }, [1, 2, 3, 4, 5])
        XCTAssertEqual(records.map { $0["status"] as! String }, ["ok", "error", "error", "error", "ok"])
        XCTAssertTrue((records[2]["error"] as! String).hasPrefix("scenes.jsonl:3: "), records[2]["error"] as! String)
        XCTAssertEqual(records[2]["path"] as? String, "room.shoebox.width")
        XCTAssertTrue((records[3]["error"] as! String).contains("missing.json: no such file"), records[3]["error"] as! String)
        // --fail-fast stops at the first.
        let stop = try batch(folder, out: "f", ["--fail-fast", "--threads", "1"])
        XCTAssertEqual(stop.status, 1)
        XCTAssertEqual(try manifestLines(folder.appendingPathComponent("f")).count, 2)
    }

    /// The Slurm script as a job array's task runs it (the variables sbatch sets), and the
    /// Kubernetes Job's shard count equal to its completions.
    func testTheDeployFilesRunAShard() throws {
        let folder = try makeBatch(count: 2)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["deploy/slurm/batch.sbatch", folder.appendingPathComponent("scenes.jsonl").path, folder.appendingPathComponent("s").path]
        process.currentDirectoryURL = TestPaths.packageRoot
        process.environment = plainEnvironment.merging(["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "2",
                                                        "SLURM_CPUS_PER_TASK": "1", "SOUNDSTAGE": soundstageExecutable.path]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let lines = try manifestLines(folder.appendingPathComponent("s"))
        XCTAssertEqual(Set(lines.map(\.manifest)), ["manifest-00001-of-00002.jsonl"])
        XCTAssertEqual(lines.count, 2) // lines 1, 2 (scenes), 3 blank, 4 (override): shard 1 of 2 owns lines 2 and 4
        let job = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("deploy/k8s/batch-job.yaml"), encoding: .utf8)
        let completions = job.split(separator: "\n").first { $0.contains("completions:") }!.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)
        XCTAssertTrue(job.contains("completionMode: Indexed"))
        XCTAssertTrue(job.contains("\"--shards\", \"\(completions)\""), "the Job's --shards must equal its completions (\(completions))")
    }

    /// The shard's HDF5 file holds each scene's responses sample for sample as the WAVs (read by
    /// libsndfile), BRIRs as [frames, 2], with the manifest's line, seed and rate as attributes.
    func testTheShardsHDF5FileHoldsItsResponses() throws {
        let folder = try makeBatch(count: 2)
        let r = try batch(folder, out: "h", ["--shard", "0/2", "--hdf5", "--brir", "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = folder.appendingPathComponent("h")
        let file = try HDF5File(path: out.appendingPathComponent("rirs-00000-of-00002.h5").path, mode: .read)
        let record = try JSONSerialization.jsonObject(with: Data(try manifestLines(out)[0].line.utf8)) as! [String: Any]
        XCTAssertEqual(record["line"] as? Int, 1) // shard 0 of 2: line 1 (line 3 is blank)
        XCTAssertEqual(try file.attribute("line", of: "/scene-0000001"), .integer(1))
        XCTAssertEqual(try file.attribute("seed", of: "/scene-0000001"), .integer(Int64(record["seed"] as! UInt64)))
        XCTAssertEqual(try file.attribute("sampleRate", of: "/scene-0000001"), .integer(8000))
        for speaker in ["S1", "S2"] {
            let rir = try AudioFile.read(out.appendingPathComponent("scene-0000001/rir-\(speaker).wav").path)
            let stored = try file.readFloats("/scene-0000001/rir-\(speaker)")
            XCTAssertEqual(stored.shape, [rir.frameCount])
            XCTAssertEqual(stored.values, rir.channels[0])
            let brir = try AudioFile.read(out.appendingPathComponent("scene-0000001/brir-\(speaker).wav").path)
            let ears = try file.readFloats("/scene-0000001/brir-\(speaker)")
            XCTAssertEqual(ears.shape, [brir.frameCount, 2])
            XCTAssertEqual(stride(from: 0, to: ears.values.count, by: 2).map { ears.values[$0] }, brir.channels[0])
            XCTAssertEqual(stride(from: 1, to: ears.values.count, by: 2).map { ears.values[$0] }, brir.channels[1])
        }
        XCTAssertThrowsError(try file.readFloats("/scene-0000002/rir-S1")) // line 2 is shard 1's
    }

    func testAScenesOwnSeedIsKeptAndAWrongOneNamed() throws {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory())
        let room = #"{"room": {"shoebox": {"width": 3, "length": 4, "height": 2.5}}, "surfaces": {"all": {"absorption": 0.3}}, "#
            + #""speakers": [{"name": "A", "position": [1, 3, 1.2]}], "listener": {"position": [1.5, 1, 1.2]}"#
        let own = try BatchScene(line: 5, text: Data((room + #", "simulation": {"seed": 42}}"#).utf8), label: "s:5", folder: folder, batchSeed: 1)
        XCTAssertEqual(own.seed, 42)
        XCTAssertEqual(own.scene.simulation.seed, 42)
        let derived = try BatchScene(line: 5, text: Data((room + "}").utf8), label: "s:5", folder: folder, batchSeed: 1)
        XCTAssertEqual(derived.scene.simulation.seed, derived.seed)
        XCTAssertNotEqual(derived.seed, try BatchScene(line: 6, text: Data((room + "}").utf8), label: "s:6", folder: folder, batchSeed: 1).seed)
        XCTAssertThrowsError(try BatchScene(line: 5, text: Data((room + #", "simulation": {"seed": "x"}}"#).utf8), label: "s:5", folder: folder, batchSeed: 1)) { error in
            guard case SceneError.invalid(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "simulation.seed")
        }
    }

    func testShardsAreAPartitionAndTheEnvironmentIsReadAsTheSchedulersSetIt() throws {
        for n in [1, 2, 3, 7] {
            let shards = try (0..<n).map { try BatchShard(index: $0, count: n) }
            for line in 1...50 { XCTAssertEqual(shards.filter { $0.owns(line: line) }.count, 1) }
        }
        XCTAssertEqual(try BatchShard.resolve(shard: nil, shards: nil, environment: ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_COUNT": "4"]),
                       try BatchShard(index: 2, count: 4))
        XCTAssertEqual(try BatchShard.resolve(shard: nil, shards: 8, environment: ["JOB_COMPLETION_INDEX": "7"]), try BatchShard(index: 7, count: 8))
        XCTAssertEqual(try BatchShard.resolve(shard: "1/2", shards: nil, environment: ["JOB_COMPLETION_INDEX": "7"]), try BatchShard(index: 1, count: 2))
        XCTAssertEqual(try BatchShard.resolve(shard: nil, shards: nil, environment: [:]), .whole)
        for (shard, shards, env) in [(nil, nil, ["JOB_COMPLETION_INDEX": "0"]), (nil, nil, ["SLURM_ARRAY_TASK_ID": "1"]), ("3/3", nil, [:]),
                                     ("1/0", nil, [:]), ("a/b", nil, [:]), (nil, 4, [:]), (nil, 2, ["JOB_COMPLETION_INDEX": "2"])] as [(String?, Int?, [String: String])] {
            XCTAssertThrowsError(try BatchShard.resolve(shard: shard, shards: shards, environment: env), "\(String(describing: shard)) \(env)")
        }
    }

    func testScenesAreReproducibleAndKeepTheirRanges() throws {
        let folder = TestPaths.temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let ranges = folder.appendingPathComponent("ranges.json")
        try Self.ranges.write(to: ranges, atomically: true, encoding: .utf8)
        let forty = try runSoundstage(["scenes", "--count", "40", "--seed", "9", "--ranges", ranges.path])
        let ten = try runSoundstage(["scenes", "--count", "10", "--seed", "9", "--ranges", ranges.path])
        let other = try runSoundstage(["scenes", "--count", "10", "--seed", "10", "--ranges", ranges.path])
        XCTAssertEqual(forty.status, 0, forty.stderr)
        let lines = forty.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 40)
        XCTAssertEqual(Array(lines.prefix(10)), ten.stdout.split(separator: "\n").map(String.init))
        XCTAssertNotEqual(ten.stdout, other.stdout)
        for line in lines {
            let scene = try RoomFile.parse(line)
            let size = scene.boundary.maxCorner - scene.boundary.minCorner
            XCTAssertTrue((2.5...4).contains(size.x) && (3...5).contains(size.y) && (2.2...3).contains(size.z), line)
            let listener = scene.listener.position
            XCTAssertEqual(scene.speakers.count, 2)
            for p in scene.speakers.map(\.position) + [listener] {
                XCTAssertGreaterThanOrEqual(min(p.x, p.y, p.z, size.x - p.x, size.y - p.y, size.z - p.z), 0.4 - 1e-4, line)
            }
            for s in scene.speakers { XCTAssertGreaterThanOrEqual(s.position.distance(to: listener), 0.8 - 1e-3, line) }
            for surface in scene.surfaces { XCTAssertTrue(surface.material.absorption.values.allSatisfy { (0.1...0.5).contains($0) }, line) }
        }
        // A clearance that leaves no space is refused naming the file and the key.
        try #"{"width": [2, 3], "length": [3, 4], "height": [2, 3], "clearance": 1.2}"#.write(to: ranges, atomically: true, encoding: .utf8)
        let bad = try runSoundstage(["scenes", "--count", "3", "--ranges", ranges.path])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.hasPrefix("error: \(ranges.path): clearance: "), bad.stderr)
        XCTAssertEqual(bad.stdout, "")
    }
}
