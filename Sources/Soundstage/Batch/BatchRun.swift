import Foundation

/// What a batch makes of every scene, and how.
public struct BatchOptions: Sendable {
    /// Overrides of every scene's `simulation` block (its seed is not used: each scene has its own).
    public var simulation: SimulationOptions
    /// BRIRs (through each scene's listener HRTF) as well as the omni RIRs.
    public var brir: Bool
    /// The seed scenes without their own `simulation.seed` derive theirs from (with their line).
    public var seed: UInt64
    /// Stop at the first scene that fails (it is still recorded).
    public var failFast: Bool
    /// The options as given, recorded in the folder's `batch.json`: a rerun into the same folder
    /// must give the same, so a resumed batch never mixes results of two settings.
    public var settings: [String: String]
    /// Also one HDF5 file per shard holding every response it has made (`BatchRun.writeHDF5`).
    public var hdf5 = false

    public init(simulation: SimulationOptions = SimulationOptions(), brir: Bool = false, seed: UInt64 = 1, failFast: Bool = false,
                settings: [String: String] = [:]) {
        (self.simulation, self.brir, self.seed, self.failFast, self.settings) = (simulation, brir, seed, failFast, settings)
    }
}

/// What a shard's run did.
public struct BatchReport: Sendable {
    /// Scenes of this shard (non-empty lines it owns).
    public var owned = 0
    public var made = 0
    /// Already in a manifest from an earlier run (the same line text), not made again.
    public var skipped = 0
    /// Error records this run wrote.
    public var failed = 0
    /// Error records of this shard's scenes from earlier runs.
    public var failedBefore = 0
    /// `failFast` stopped the run before the end.
    public var stopped = false
    /// The first error of this run, for the one-line message.
    public var firstError: String?
    /// The shard's HDF5 file, when asked for.
    public var hdf5Path: String?
}

/// `soundstage batch`: every scene of a JSONL file that belongs to `shard`, simulated and written
/// into `folder` (SPEC §10). Per scene, `scene-NNNNNNN/rir-<speaker>.wav` (and `brir-<speaker>.wav`)
/// are published together, then one line is appended to the shard's manifest (`manifest.jsonl`, or
/// `manifest-i-of-n.jsonl`): the scene as simulated, its files, and per speaker the ISO 3382-1
/// parameters per octave band of its RIR. A line that is not a valid scene gets an error record
/// (line, JSON path, reason) and the batch goes on. A rerun skips every line whose record (made or
/// failed) is in any manifest of the folder with the same line text; a torn last manifest line
/// (the process killed while appending) is cut off and its scene made again.
///
/// Scenes run side by side, one thread each, and are recorded in line order: a scene's files do
/// not depend on the shard count or the thread count (its seed comes from its line).
public final class BatchRun: Sendable {
    public let input: String
    public let folder: String
    public let shard: BatchShard
    public let options: BatchOptions
    private let lines: [Data]
    private let hrtfs = HRTFCache()

    /// Largest input accepted.
    public static let maximumInputSize = 1 << 30
    /// Scenes simulated at once per thread before they are recorded in order.
    static let windowPerThread = 32

    public init(input: String, folder: String, shard: BatchShard, options: BatchOptions) throws {
        (self.input, self.folder, self.shard, self.options) = (input, folder, shard, options)
        let url = URL(fileURLWithPath: input)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw BatchError.input("\(input): no such file")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: input)[.size] as? Int) ?? 0
        guard size <= Self.maximumInputSize else { throw BatchError.input("\(input): larger than \(Self.maximumInputSize >> 20) MiB") }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw BatchError.input("\(input): cannot be read (\(error.localizedDescription))") }
        var lines: [Data] = [], start = data.startIndex
        for i in data.indices where data[i] == UInt8(ascii: "\n") {
            lines.append(data[start..<i])
            start = i + 1
        }
        if start < data.endIndex { lines.append(data[start...]) }
        self.lines = lines.map { line in line.last == UInt8(ascii: "\r") ? line.dropLast() : line }
    }

    /// The scenes of this shard: its non-empty lines.
    public var ownedCount: Int {
        lines.indices.filter { shard.owns(line: $0 + 1) && !isBlank(lines[$0]) }.count
    }

    private func isBlank(_ line: Data) -> Bool { line.allSatisfy { $0 == 32 || $0 == 9 } }

    /// The settings file of the folder.
    struct Settings: Codable, Equatable {
        var settings: [String: String]
        var brir: Bool
        var seed: UInt64
    }

    /// One manifest record (a JSON line).
    struct Record: Codable, Sendable {
        var line: Int
        var lineSHA256: String
        var status: String
        var error: String?
        var path: String?
        var folder: String?
        var name: String?
        var seed: UInt64?
        var sampleRate: Int?
        var frames: Int?
        var files: [String: [String: String]]?
        var metrics: [String: SpeakerBands]?
        var bandsHz: [Double]?
        var room: JSONValue?
    }

    /// Per octave band (`bandsHz`), ISO 3382-1 parameters of one speaker's RIR (null where a band
    /// has none), its decay integrated to the end of the file: a simulation has no noise floor to cut at.
    struct SpeakerBands: Codable, Sendable {
        var EDT, T20, T30, C50, C80, D50, DRR: [Double?]
    }

    private enum Outcome: Sendable {
        /// Made, its files staged in its folder and its manifest line encoded (both on the scene's
        /// thread); published in line order.
        case made(Staged)
        case failed(Record, message: String)
        /// Its files could not be staged (the disk, not the scene): the batch stops with this error.
        case unwritable(any Error)
    }

    /// A made scene's staged files (discarded unless published) and manifest line.
    private final class Staged: @unchecked Sendable { // made on one thread, then handed to the recording thread
        let files: StagedFiles
        let line: Data
        init(files: StagedFiles, line: Data) { self.files = files; self.line = line }
    }

    private var manifestPath: String { (folder as NSString).appendingPathComponent(shard.manifestName) }

    /// Runs the shard; `progress` gets (scenes handled, scenes of the shard).
    public func run(progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> BatchReport {
        try FileError.createFolder(folder)
        try checkSettings()
        try repairManifest()
        let finished = try finishedRecords()
        var report = BatchReport()
        var todo: [Int] = []
        for (i, text) in lines.enumerated() {
            let line = i + 1
            guard shard.owns(line: line), !isBlank(text) else { continue }
            report.owned += 1
            if let status = finished[line]?[ResultKey.sha256(text)] {
                report.skipped += 1
                if status != "ok" { report.failedBefore += 1 }
            } else {
                todo.append(line)
            }
        }
        let workers = max(1, options.simulation.threads)
        let window = workers * Self.windowPerThread
        var handled = report.skipped
        progress?(handled, report.owned)
        var next = 0
        while next < todo.count {
            let chunk = Array(todo[next..<min(todo.count, next + window)])
            next += chunk.count
            let slots = Slots<Outcome>(count: chunk.count)
            parallelFor(chunk.count, threads: workers) { j in slots[j] = self.make(line: chunk[j]) }
            for outcome in slots.all {
                switch outcome {
                case .made(let staged):
                    try staged.files.publish()
                    try append(line: staged.line)
                    report.made += 1
                case .unwritable(let error):
                    throw error
                case .failed(let record, let message):
                    try append(record)
                    report.failed += 1
                    if report.firstError == nil { report.firstError = message }
                    if options.failFast {
                        report.stopped = true
                        if options.hdf5 { report.hdf5Path = try writeHDF5() }
                        return report
                    }
                }
                handled += 1
                progress?(handled, report.owned)
            }
        }
        if options.hdf5 { report.hdf5Path = try writeHDF5() }
        return report
    }

    /// The shard's HDF5 file beside its manifest (`rirs.h5` or `rirs-iiiii-of-nnnnn.h5`), made again
    /// whole from the manifest and the WAVs after every run (so a resumed shard's file holds every
    /// scene it has made) and renamed into place. One group per scene, `/scene-NNNNNNN`, with the
    /// attributes `line`, `seed`, `sampleRate`, `name` and `record` (its manifest line) and one float32
    /// dataset per file: `rir-<speaker>` [frames], `brir-<speaker>` [frames, 2] (left, right).
    func writeHDF5() throws -> String {
        let name = shard.count == 1 ? "rirs.h5" : String(format: "rirs-%05d-of-%05d.h5", shard.index, shard.count)
        let path = (folder as NSString).appendingPathComponent(name)
        var records: [(line: Int, text: Data, record: Record)] = []
        if let data = FileManager.default.contents(atPath: manifestPath) {
            for row in data.split(separator: UInt8(ascii: "\n")) {
                guard let r = try? JSONDecoder().decode(Record.self, from: row), r.status == "ok" else { continue }
                records.append((r.line, Data(row), r))
            }
        }
        records.sort { $0.line < $1.line }
        try AtomicFile.write(to: path) { temporary in
            let file = try HDF5File(path: temporary, mode: .create)
            for (line, text, record) in records {
                let group = "/" + (record.folder ?? BatchScene.folderName(line: line))
                try file.createGroup(group)
                try file.setAttribute("line", .integer(Int64(line)), on: group)
                try file.setAttribute("seed", .integer(Int64(record.seed ?? 0)), on: group)
                try file.setAttribute("sampleRate", .integer(Int64(record.sampleRate ?? 0)), on: group)
                try file.setAttribute("name", .string(record.name ?? ""), on: group)
                try file.setAttribute("record", .string(String(decoding: text, as: UTF8.self)), on: group)
                for (kind, files) in (record.files ?? [:]).sorted(by: { $0.key > $1.key }) {
                    for (speaker, relative) in files.sorted(by: { $0.key < $1.key }) {
                        let audio = try AudioFile.read((folder as NSString).appendingPathComponent(relative))
                        var interleaved = [Float](repeating: 0, count: audio.frameCount * audio.channelCount)
                        for (c, channel) in audio.channels.enumerated() {
                            for (i, v) in channel.enumerated() { interleaved[i * audio.channelCount + c] = v }
                        }
                        try file.writeFloats("\(group)/\(kind)-\(speaker)", interleaved,
                                             shape: audio.channelCount == 1 ? [audio.frameCount] : [audio.frameCount, audio.channelCount])
                    }
                }
            }
            try file.close()
        }
        return path
    }

    /// Refuses a folder made with other settings; records them in a new one.
    private func checkSettings() throws {
        let path = (folder as NSString).appendingPathComponent("batch.json")
        let mine = Settings(settings: options.settings, brir: options.brir, seed: options.seed)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let data = FileManager.default.contents(atPath: path) {
            guard let theirs = try? JSONDecoder().decode(Settings.self, from: data) else {
                throw BatchError.input("\(path): not a batch settings file; use another --out")
            }
            guard theirs == mine else {
                throw BatchError.usage("\(folder) holds a batch made with other options (\(path)); give the same options or another --out")
            }
            return
        }
        try AtomicFile.write(encoder.encode(mine) + Data("\n".utf8), to: path)
    }

    /// Cuts a torn last line off this shard's manifest (written by a process killed mid-append).
    private func repairManifest() throws {
        guard let data = FileManager.default.contents(atPath: manifestPath), let last = data.last, last != UInt8(ascii: "\n") else { return }
        let keep = data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        guard truncate(manifestPath, off_t(keep)) == 0 else { throw FileError(path: manifestPath, errno: errno) }
    }

    /// line → (line text SHA-256 → status) over every manifest in the folder.
    private func finishedRecords() throws -> [Int: [String: String]] {
        var done: [Int: [String: String]] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names where name.hasPrefix("manifest") && name.hasSuffix(".jsonl") {
            guard let data = FileManager.default.contents(atPath: (folder as NSString).appendingPathComponent(name)) else { continue }
            for row in data.split(separator: UInt8(ascii: "\n")) {
                guard let r = try? JSONDecoder().decode(Brief.self, from: row) else { continue }
                done[r.line, default: [:]][r.lineSHA256] = r.status
            }
        }
        return done
    }
    private struct Brief: Decodable { var line: Int; var lineSHA256: String; var status: String }

    /// Simulates line `line` (one thread); never throws: a bad scene is an error record.
    private func make(line: Int) -> Outcome {
        let text = lines[line - 1]
        let label = "\((input as NSString).lastPathComponent):\(line)"
        var record = Record(line: line, lineSHA256: ResultKey.sha256(text), status: "ok")
        do {
            let item = try BatchScene(line: line, text: text, label: label,
                                      folder: URL(fileURLWithPath: input).deletingLastPathComponent(), batchSeed: options.seed)
            var simulation = options.simulation
            simulation.threads = 1
            simulation.seed = nil
            let simulator = try Simulator(scene: item.scene, options: simulation, binaural: options.brir)
            let result = try simulator.run(binaural: options.brir ? hrtfs.binaural(for: simulator) : nil)
            let name = BatchScene.folderName(line: line)
            var files: [(name: String, audio: AudioBuffer)] = []
            var rir: [String: String] = [:], brir: [String: String] = [:], metrics: [String: SpeakerBands] = [:]
            let octaves = FrequencyBands.octaves
            for s in result.speakers {
                let speaker = s.speaker.name
                files.append(("rir-\(speaker).wav", s.rir.audio))
                rir[speaker] = "\(name)/rir-\(speaker).wav"
                if let b = s.brir {
                    files.append(("brir-\(speaker).wav", b.audio))
                    brir[speaker] = "\(name)/brir-\(speaker).wav"
                }
                let analysis = ImpulseResponseAnalyzer.analyze(s.rir.audio, noiseless: true)
                func band(_ p: (BandParameters) -> Parameter) -> [Double?] { octaves.labels.map { analysis.bands[$0].flatMap { p($0).value } } }
                metrics[speaker] = SpeakerBands(EDT: band(\.EDT), T20: band(\.T20), T30: band(\.T30), C50: band(\.C50), C80: band(\.C80),
                                                D50: band(\.D50), DRR: band(\.DRR))
            }
            record.folder = name
            record.name = item.scene.name
            record.seed = item.seed
            record.sampleRate = simulator.plan.sampleRate
            record.frames = simulator.plan.frames
            record.files = brir.isEmpty ? ["rir": rir] : ["rir": rir, "brir": brir]
            record.metrics = metrics
            record.bandsHz = octaves.centres
            record.room = item.room
            do {
                let staged = try StagedFiles(folder: (folder as NSString).appendingPathComponent(name))
                for f in files { try staged.write(f.name) { try AudioFile.write(f.audio, to: $0, format: .wavFloat32) } }
                return .made(Staged(files: staged, line: try Self.encode(record)))
            } catch {
                return .unwritable(error)
            }
        } catch {
            record.status = "error"
            var path: String?
            var reason = "\(error)"
            if let e = error as? SceneError {
                if case .invalid(let p, _) = e { path = p }
                reason = e.description
            }
            if !reason.hasPrefix(label) { reason = "\(label): \(reason)" }
            record.error = reason
            record.path = path
            return .failed(record, message: reason)
        }
    }

    /// One record as one manifest line.
    private static func encode(_ record: Record) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(record) + Data("\n".utf8)
    }

    /// Appends one record as one line with a single write(2) in append mode.
    private func append(_ record: Record) throws { try append(line: try Self.encode(record)) }

    private func append(line: Data) throws {
        let fd = open(manifestPath, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { throw FileError(path: manifestPath, errno: errno) }
        defer { close(fd) }
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count else { throw FileError(path: manifestPath, errno: errno) }
    }
}
