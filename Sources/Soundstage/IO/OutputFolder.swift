import Foundation

/// A room's output folder, `DIR/<name>/` (SPEC §3): the files of its last simulation, and a cache
/// of BRIRs keyed by content.
///
/// - **All or nothing.** `write` puts a whole output set (RIRs, BRIRs, reflections.json,
///   metrics.json, plots, outputs.json) into a hidden staging folder and then renames the files
///   into place under `TemporaryFiles.publish`, which a SIGINT/SIGTERM waits for: an interrupted or
///   failed run leaves the previous set as it was. Files of the previous set that the new one does
///   not have (a speaker removed) are removed with it, so the folder never mixes two runs.
/// - **A cache that cannot lie.** BRIRs are also stored under `cache/<key>/`, where the key is the
///   `ResultKey` (SHA-256 of the resolved scene, every setting that changes a sample, and the HRTF
///   file's bytes). An entry is written in a staging folder and renamed into place whole, so an
///   entry either exists complete or not at all; one is kept per key (so per sample rate, seed, …),
///   the least recently used beyond `cacheLimit` removed. `render` and `export` take BRIRs only from
///   an entry whose key equals the key of the room and options they were given.
public struct OutputFolder: Sendable {
    public let path: String
    /// Cache entries kept per room.
    public static let cacheLimit = 6

    public init(outDir: String, roomName: String) {
        path = (outDir as NSString).appendingPathComponent(roomName)
    }

    var cachePath: String { (path as NSString).appendingPathComponent("cache") }
    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// The file names of a room's output set.
    public static func names(speakers: [String], binaural: Bool, plots: Bool, wave: Bool = false) -> [String] {
        var names = speakers.map { "rir-\($0).wav" } + ["reflections.json"]
        if binaural { names += speakers.map { "brir-\($0).wav" } + ["metrics.json"] }
        if plots { names += Plots.fileNames + Plots.speakerFileNames(speakers) + (wave ? [Plots.waveBoundariesFile] : []) }
        return names + ["outputs.json"]
    }

    /// Writes every output of `simulation` as one set (and its BRIRs into the cache); returns the
    /// names written.
    @discardableResult
    public func write(_ simulation: RoomSimulation, plots: Bool, command: String) throws -> [String] {
        try FileError.createFolder(path)
        TemporaryFiles.removeStale(in: path)
        let staging = try StagingFolder(in: path)
        defer { staging.discard() }
        var written: [String] = []
        func put(_ name: String, _ body: (String) throws -> Void) throws {
            try body(staging.file(name))
            written.append(name)
        }
        if simulation.speakers.allSatisfy({ $0.brir != nil }) {
            let entry = try storeInCache(simulation.speakers.compactMap(\.brir))
            for s in simulation.speakers {
                let name = "brir-\(s.speaker.name).wav"
                try put(name) { try OutputFolder.linkOrCopy((entry as NSString).appendingPathComponent(name), to: $0) }
            }
        }
        for s in simulation.speakers {
            try put("rir-\(s.speaker.name).wav") { try AudioFile.write(s.rir.audio, to: $0, format: .wavFloat32) }
        }
        let reflections = simulation.reflections
        try put("reflections.json") { try AtomicFile.write(try reflections.encoded(), to: $0) }
        if let metrics = simulation.metrics {
            try put("metrics.json") { try AtomicFile.write(try metrics.encoded(), to: $0) }
        }
        if plots {
            let input = PlotInput(scene: simulation.scene, reflections: reflections,
                                  rirs: Dictionary(uniqueKeysWithValues: simulation.speakers.map { ($0.speaker.name, $0.rir.audio.channels[0]) }),
                                  brirs: Dictionary(uniqueKeysWithValues: simulation.speakers.compactMap { s in s.brir.map { (s.speaker.name, $0.audio) } }),
                                  sampleRate: simulation.plan.sampleRate, command: command,
                                  waveCrossover: simulation.wavePlan.flatMap { $0.enabled ? $0.crossover : nil })
            for (name, image) in Plots.all(input).sorted(by: { $0.key < $1.key }) { try put(name) { try image.write(to: $0) } }
        }
        let manifest = OutputManifest(key: simulation.key.hex, soundstageVersion: SoundstageVersion.string, sampleRate: simulation.plan.sampleRate,
                                      speakers: simulation.scene.speakers.map(\.name), files: written + ["outputs.json"], command: command,
                                      waveCrossover: simulation.wavePlan.flatMap { $0.enabled ? $0.crossover : nil })
        try put("outputs.json") { try AtomicFile.write(try manifest.encoded(), to: $0) }
        let previous = readManifest()?.files ?? []
        try TemporaryFiles.publish {
            for name in written {
                guard rename(staging.file(name), file(name)) == 0 else { throw FileError(path: file(name), errno: errno) }
            }
            for name in previous where !written.contains(name) && OutputFolder.isOutputName(name) { unlink(file(name)) }
        }
        return written
    }

    /// The manifest of the set now in the folder, if any.
    public func readManifest() -> OutputManifest? {
        guard let data = FileManager.default.contents(atPath: file("outputs.json")) else { return nil }
        return try? JSONDecoder().decode(OutputManifest.self, from: data)
    }

    /// Only plain names of the kinds this folder holds are ever removed.
    static func isOutputName(_ name: String) -> Bool {
        !name.contains("/") && !name.hasPrefix(".") && (name.hasSuffix(".wav") || name.hasSuffix(".json") || name.hasSuffix(".png"))
    }

    // MARK: Cache

    /// The BRIRs stored under `key`, when an entry for exactly these speakers exists and reads back
    /// whole; nil otherwise (a damaged entry is removed).
    public func cachedBRIRs(key: ResultKey, speakers: [String], sampleRate: Int, frames: Int) -> [ImpulseResponse]? {
        let entry = (cachePath as NSString).appendingPathComponent(key.hex)
        guard let data = FileManager.default.contents(atPath: (entry as NSString).appendingPathComponent("entry.json")),
              let info = try? JSONDecoder().decode(CacheEntry.self, from: data) else { return nil }
        guard info.key == key.hex, info.speakers == speakers else { return nil }
        var out: [ImpulseResponse] = []
        for name in speakers {
            guard let audio = try? AudioFile.read((entry as NSString).appendingPathComponent("brir-\(name).wav")),
                  audio.sampleRate == sampleRate, audio.channelCount == 2, audio.frameCount == frames else {
                try? FileManager.default.removeItem(atPath: entry)
                return nil
            }
            out.append(ImpulseResponse(receiver: .binaural, speaker: name, audio: audio, key: key))
        }
        // Mark it used (the eviction removes the least recently used entries).
        utime((entry as NSString).appendingPathComponent("entry.json"), nil)
        return out
    }

    /// Stores BRIRs (all of one key) as a cache entry; returns the entry's folder.
    func storeInCache(_ brirs: [ImpulseResponse]) throws -> String {
        guard let key = brirs.first?.key else { throw FileError(path: cachePath, reason: "nothing to cache") }
        try FileError.createFolder(cachePath)
        TemporaryFiles.removeStale(in: cachePath)
        let entry = (cachePath as NSString).appendingPathComponent(key.hex)
        if FileManager.default.fileExists(atPath: (entry as NSString).appendingPathComponent("entry.json")) { return entry }
        let staging = try StagingFolder(in: cachePath)
        defer { staging.discard() }
        for b in brirs { try AudioFile.write(b.audio, to: staging.file("brir-\(b.speaker).wav"), format: .wavFloat32) }
        let info = CacheEntry(key: key.hex, soundstageVersion: SoundstageVersion.string, speakers: brirs.map(\.speaker), sampleRate: brirs[0].sampleRate)
        try AtomicFile.write(try JSONEncoder().encode(info), to: staging.file("entry.json"))
        try TemporaryFiles.publish {
            // Another process may have stored the same entry meanwhile: then keep theirs.
            if rename(staging.path, entry) != 0 && errno != ENOTEMPTY && errno != EEXIST { throw FileError(path: entry, errno: errno) }
        }
        evict()
        return entry
    }

    /// Removes the least recently used entries beyond `cacheLimit`.
    func evict() {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: cachePath) else { return }
        let entries: [(String, Date)] = names.filter { !$0.hasPrefix(".") }.compactMap { name in
            let info = ((cachePath as NSString).appendingPathComponent(name) as NSString).appendingPathComponent("entry.json")
            guard let date = (try? fm.attributesOfItem(atPath: info))?[.modificationDate] as? Date else { return nil }
            return (name, date)
        }.sorted { $0.1 > $1.1 }
        for (name, _) in entries.dropFirst(OutputFolder.cacheLimit) {
            try? fm.removeItem(atPath: (cachePath as NSString).appendingPathComponent(name))
        }
    }

    static func linkOrCopy(_ source: String, to target: String) throws {
        if link(source, target) == 0 { return }
        do { try FileManager.default.copyItem(atPath: source, toPath: target) } catch {
            throw FileError(path: target, reason: FileError.reason(of: error))
        }
    }

    // MARK: The façade with the cache

    /// The BRIRs of `simulator`'s room and options: from the cache when an entry has its key,
    /// otherwise simulated, with every output written as by `write`. `reused` tells which.
    public func brirs(for simulator: Simulator, command: String,
                      events: (@Sendable (SimulationEvent) -> Void)? = nil) throws -> (brirs: [ImpulseResponse], reused: Bool) {
        precondition(simulator.binaural, "BRIRs need a binaural simulator")
        let names = simulator.scene.speakers.map(\.name)
        if let cached = cachedBRIRs(key: simulator.key, speakers: names, sampleRate: simulator.plan.sampleRate, frames: simulator.plan.frames) {
            return (cached, true)
        }
        let simulation = try simulator.run(events: events)
        try write(simulation, plots: true, command: command)
        return (simulation.speakers.compactMap(\.brir), false)
    }
}

/// `outputs.json`: which run made the files in a room's folder.
public struct OutputManifest: Codable, Sendable {
    public var key: String
    public var soundstageVersion: String
    public var sampleRate: Int
    public var speakers: [String]
    public var files: [String]
    public var command: String
    /// The wave part's crossover in Hz (absent when it was off).
    public var waveCrossover: Double?

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

/// `cache/<key>/entry.json`.
struct CacheEntry: Codable {
    var key: String
    var soundstageVersion: String
    var speakers: [String]
    var sampleRate: Int
}

/// A hidden folder for a set of files that become visible only together (renamed out of it).
struct StagingFolder {
    let path: String

    init(in parent: String) throws {
        path = TemporaryFiles.sibling(of: (parent as NSString).appendingPathComponent("staging"))
        try TemporaryFiles.register(path)
        guard mkdir(path, 0o755) == 0 else {
            let code = errno
            TemporaryFiles.unregister(path)
            throw FileError(path: parent, reason: "cannot write here (\(String(cString: strerror(code))))")
        }
    }

    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Removes whatever is left in it.
    func discard() {
        try? FileManager.default.removeItem(atPath: path)
        TemporaryFiles.unregister(path)
    }
}

/// Files written as one set into `folder`: each goes to a hidden staging folder first and all are
/// renamed into place by `publish` — a failed or interrupted command leaves the previous set (used
/// by `optimize`; `OutputFolder.write` does the same for a simulation's set).
public final class StagedFiles {
    public let folder: String
    private let staging: StagingFolder
    public private(set) var names: [String] = []

    public init(folder: String) throws {
        try FileError.createFolder(folder)
        TemporaryFiles.removeStale(in: folder)
        self.folder = folder
        staging = try StagingFolder(in: folder)
    }

    /// Writes `name` through `body`, which receives the staged path.
    public func write(_ name: String, _ body: (String) throws -> Void) throws {
        try body(staging.file(name))
        names.append(name)
    }

    /// The final path of `name`.
    public func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }

    /// Moves every written file into `folder`.
    public func publish() throws {
        try TemporaryFiles.publish {
            for name in names {
                guard rename(staging.file(name), path(name)) == 0 else { throw FileError(path: path(name), errno: errno) }
            }
        }
    }

    deinit { staging.discard() }
}
