import ArgumentParser
import Foundation
import Soundstage

struct Batch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate every scene of a JSONL file (one room per line) into a dataset folder, sharded and resumable.",
        discussion: """
        Each line is a room object, or {"room": "file.json", "override": {...}} (the file relative to the \
        JSONL's folder, the override merged in). Writes DIR/scene-NNNNNNN/rir-<speaker>.wav (and brir-*.wav \
        with --brir) per scene, NNNNNNN its line number, and appends one JSON line per scene to the manifest \
        (manifest.jsonl, or manifest-i-of-n.jsonl for a shard): the scene as simulated, its files and per \
        speaker EDT, T20, T30, C50, C80, D50 and DRR per octave band. A bad line becomes an error record \
        (line, JSON path, reason) and the rest goes on; exit status 1 when any scene of the shard failed. \
        A rerun skips scenes already recorded. Shards: --shard i/n (0-based), or from a job array's \
        environment: Slurm's SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, Kubernetes' JOB_COMPLETION_INDEX \
        with --shards n. A scene without simulation.seed gets one from --seed and its line, so its files \
        are the same whatever the sharding and the thread count.
        """)

    @Argument(help: "Scenes, one JSON room per line.") var scenes: String
    @Option(name: [.short, .customLong("out")], help: "Dataset folder.") var out: String
    @Option(help: "This process's shard: i/n, 0 ≤ i < n.") var shard: String?
    @Option(parsing: .unconditional, help: "The number of shards when the index comes from JOB_COMPLETION_INDEX.") var shards: Int?
    @Option(parsing: .unconditional, help: "Sample rate in Hz (overrides every scene's).") var sampleRate: String?
    @OptionGroup var simulation: SimulationFlags
    @Flag(help: "BRIRs through each scene's listener HRTF as well as the omni RIRs.") var brir = false
    @Flag(help: "Stop at the first scene that fails.") var failFast = false
    @Flag(help: "Also write the shard's responses into one HDF5 file (rirs.h5 or rirs-i-of-n.h5; libhdf5).") var hdf5 = false

    func run() throws {
        var options = try simulation.options(sampleRate: sampleRate)
        let batchSeed = options.seed ?? 1
        options.seed = nil
        // What decides the files goes into batch.json; threads and sharding do not.
        var settings: [String: String] = [:]
        for (key, value) in [("sampleRate", sampleRate), ("maxOrder", simulation.maxOrder), ("rays", simulation.rays),
                             ("hrtf", simulation.hrtf), ("duration", simulation.duration), ("highpass", simulation.highpass),
                             ("waveCrossover", simulation.waveCrossover), ("wave", simulation.noWave ? "off" : nil)] {
            if let value { settings[key] = value }
        }
        let shard = try BatchShard.resolve(shard: self.shard, shards: shards, environment: ProcessInfo.processInfo.environment)
        let run = try BatchRun(input: scenes, folder: out, shard: shard,
                               options: { var o = BatchOptions(simulation: options, brir: brir, seed: batchSeed, failFast: failFast, settings: settings)
                                                  o.hdf5 = hdf5
                                                  return o }())
        let bar = ProgressBar("scenes", total: Double(max(1, run.ownedCount))) { String(format: "%.3g scenes/s", $0) }
        let start = Date()
        let report = try run.run { done, _ in bar.update(Double(done)) }
        bar.finish()
        let seconds = Date().timeIntervalSince(start)
        print(String(format: "shard %@: %d scenes, %d made in %.1f s (%.1f per second), %d already done, %d failed%@ → %@",
                     shard.description, report.owned, report.made, seconds, seconds > 0 ? Double(report.made) / seconds : 0,
                     report.skipped, report.failed + report.failedBefore,
                     report.stopped ? " (stopped at the first: --fail-fast)" : "", (out as NSString).appendingPathComponent(shard.manifestName)))
        if let h5 = report.hdf5Path { print("HDF5: \(h5)") }
        if let first = report.firstError { note("error: " + first) }
        if report.failed + report.failedBefore > 0 { throw ExitCode(1) }
    }
}

struct Scenes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write random shoebox scenes as JSONL for `soundstage batch`.",
        discussion: """
        RANGES.json gives [min, max] for width, length and height (m); materials (built-in names, one drawn \
        per surface) or absorption (α per octave band, uniform) and scattering; sources, clearance (m from \
        every surface), minDistance (source to listener), optional listenerYaw, hrtf and the simulation block \
        each scene carries. Scene k depends only on --seed and k. See docs/COMMANDS.md.
        """)

    @Option(parsing: .unconditional, help: "How many scenes.") var count: Int
    @Option(parsing: .unconditional, help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "The ranges (JSON).") var ranges: String
    @Option(name: [.short, .customLong("output")], help: "Write here (atomically) instead of standard output.") var output: String?

    func run() throws {
        guard (1...10_000_000).contains(count) else { throw OptionError(option: "--count", reason: "expected 1…10000000, got \(count)") }
        guard let data = FileManager.default.contents(atPath: ranges) else { throw BatchError.input("\(ranges): no such file or not readable") }
        let generator: SceneGenerator
        do { generator = try SceneGenerator(ranges: data, label: ranges) } catch let e as SceneError {
            if case .invalid = e { throw InputError(file: ranges, reason: e.description) }
            throw e
        }
        if let output {
            try AtomicFile.write(to: output) { path in
                guard let handle = FileHandle(forWritingAtPath: path) ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil) else {
                    throw FileError(path: output, reason: "cannot be written")
                }
                defer { try? handle.close() }
                for k in 0..<count { try handle.write(contentsOf: Data((try scene(k) + "\n").utf8)) }
            }
        } else {
            for k in 0..<count { print(try scene(k)) }
        }
        func scene(_ k: Int) throws -> String {
            do { return try generator.scene(index: k, seed: seed) } catch let e as SceneError { throw InputError(file: ranges, reason: e.description) }
        }
    }
}
