import Foundation
import Soundstage
import Synchronization

/// A request the studio refuses, with the HTTP status it maps to and, for a room's value, its JSON
/// path (the same messages as the command line's).
public struct StudioError: Error, CustomStringConvertible, Sendable {
    public var status: Int
    public var message: String
    public var path: String?
    public var description: String { message }

    public init(status: Int, _ message: String, path: String? = nil) { (self.status, self.message, self.path) = (status, message, path) }

    /// A newer edit arrived while this one ran.
    static let superseded = StudioError(status: 409, "superseded by a newer edit")
}

/// One room being edited in the studio: the room file it came from, the edited document, and the
/// simulations of its recent versions. Simulations run one at a time on their own queue (never on
/// the server's threads); a newer edit makes every older one stop at its next stage
/// (`Simulator.run(binaural:isCancelled:)`). Everything goes through the library façade: a document
/// is validated by `RoomFile.decode` exactly as a room file on disk, and simulated by `Simulator`.
public final class StudioSession: Sendable {
    /// The room file the studio was opened with; never written.
    public let roomPath: String
    public let folder: URL
    /// Its text as loaded.
    public let originalDocument: Data
    public let threads: Int

    /// The edits so far: the newest wins, older runs see that they are stale.
    private let generation = Atomic<Int>(0)
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "soundstage.studio.simulation", qos: .userInitiated)
    private let optimizeQueue = DispatchQueue(label: "soundstage.studio.optimize", qos: .utility)
    private let hrtfs = HRTFCache()

    /// Results kept for fetching BRIRs (the page pins one as A and keeps editing).
    public static let keptResults = 16
    /// The largest room document accepted (bytes).
    public static let documentLimit = 1 << 20

    struct Stored: Sendable {
        var result: StudioResult
        var encoded: Data
        var speakers: [String]
        var brirs: [AudioBuffer]
    }
    struct State: Sendable {
        var document: Data
        var results: [Int: Stored] = [:]
        var optimize: OptimizeJob = .idle
        init(document: Data = Data()) { self.document = document }
    }

    public enum OptimizeJob: Sendable {
        case idle
        case running(done: Int, total: Int)
        case finished(Data)
        case failed(StudioError)
    }

    /// Opens `roomPath`; it must be a valid room (the same errors as `simulate`).
    public init(roomPath: String, threads: Int = defaultThreadCount) throws {
        let url = URL(fileURLWithPath: roomPath)
        self.roomPath = url.path
        folder = url.deletingLastPathComponent()
        self.threads = threads
        do { originalDocument = try Data(contentsOf: url) } catch {
            throw StudioError(status: 400, "\(roomPath): cannot be read (\(error.localizedDescription))")
        }
        _ = try RoomFile.load(path: roomPath)
        state.withLock { $0.document = originalDocument }
    }

    /// The current (last successfully simulated or opened) document.
    public var document: Data { state.withLock { $0.document } }

    var label: String { (roomPath as NSString).lastPathComponent }
    var defaultName: String { ((roomPath as NSString).lastPathComponent as NSString).deletingPathExtension }

    /// Validates `document` as a room file in the room's folder.
    public func scene(of document: Data) throws -> Scene {
        guard document.count <= Self.documentLimit else { throw StudioError(status: 413, "the room is larger than \(Self.documentLimit) bytes") }
        do {
            return try RoomFile.decode(document, label: label, folder: folder, defaultName: defaultName)
        } catch let e as SceneError {
            switch e {
            case .invalid(let path, _): throw StudioError(status: 422, "\(label): \(e.description)", path: path)
            case .syntax: throw StudioError(status: 400, e.description)
            case .unreadable: throw StudioError(status: 422, e.description)
            }
        }
    }

    /// Simulates `document` at `quality`; a newer call makes this one throw `superseded`.
    public func simulate(_ document: Data, quality: StudioQuality) async throws -> (version: Int, json: Data) {
        let mine = generation.add(1, ordering: .sequentiallyConsistent).newValue
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.run(document, quality: quality, version: mine) })
            }
        }
    }

    private func isStale(_ version: Int) -> Bool { generation.load(ordering: .sequentiallyConsistent) != version }

    private func run(_ document: Data, quality: StudioQuality, version: Int) throws -> (version: Int, json: Data) {
        if isStale(version) { throw StudioError.superseded }
        let start = Date()
        let scene = try scene(of: document)
        let simulator: Simulator
        do {
            simulator = try Simulator(scene: scene, options: quality.options(for: scene, threads: threads))
        } catch let e as SceneError {
            if case .invalid(let path, _) = e { throw StudioError(status: 422, "\(label): \(e.description)", path: path) }
            throw StudioError(status: 422, e.description)
        } catch let e as OptionError {
            throw StudioError(status: 422, e.description)
        }
        let binaural = try hrtf(for: simulator)
        let simulation: RoomSimulation
        do {
            simulation = try simulator.run(binaural: binaural, isCancelled: { [self] in isStale(version) })
        } catch is CancellationError {
            throw StudioError.superseded
        }
        var warnings: [String] = []
        if let w = simulator.truncationWarning { warnings.append(w) }
        let result = StudioResult(version: version, quality: quality, seconds: Date().timeIntervalSince(start), simulation: simulation, warnings: warnings)
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json = try encoder.encode(result)
        let stored = Stored(result: result, encoded: json, speakers: scene.speakers.map(\.name), brirs: simulation.speakers.compactMap { $0.brir?.audio })
        state.withLock { s in
            s.document = document
            s.results[version] = stored
            for old in s.results.keys.sorted().dropLast(Self.keptResults) { s.results[old] = nil }
        }
        return (version, json)
    }

    /// The HRTF at the run's rate, loaded once per file and rate.
    private func hrtf(for simulator: Simulator) throws -> Simulator.Binaural? {
        do { return try hrtfs.binaural(for: simulator) } catch let e as SceneError {
            throw StudioError(status: 422, "\(label): \(e.description)", path: "listener.hrtf")
        }
    }

    /// Speaker `name`'s BRIR of result `version` as a 32-bit float WAV (written by libsndfile).
    public func brirWAV(version: Int, speaker name: String) throws -> Data {
        guard let stored = state.withLock({ $0.results[version] }) else { throw StudioError(status: 404, "no result \(version) (only the last \(Self.keptResults) are kept)") }
        guard let i = stored.speakers.firstIndex(of: name), i < stored.brirs.count else { throw StudioError(status: 404, "result \(version) has no speaker \"\(name)\"") }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("soundstage-studio-\(UUID().uuidString).wav").path
        defer { unlink(path) }
        try AudioFile.write(stored.brirs[i], to: path, format: .wavFloat32)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// The result JSON of `version`, if kept.
    public func resultJSON(version: Int) -> Data? { state.withLock { $0.results[version]?.encoded } }

    /// Writes `document` (validated first) as `name`.json beside the room file, atomically. It never
    /// replaces the room file the studio was opened with, nor an existing file unless `overwrite`.
    public func save(_ document: Data, name: String, overwrite: Bool) throws -> String {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        let base = name.hasSuffix(".json") ? String(name.dropLast(5)) : name
        guard (1...80).contains(base.count), base.unicodeScalars.allSatisfy(allowed.contains), !base.hasPrefix(".") else {
            throw StudioError(status: 422, "name: expected 1–80 letters, digits, '-', '_' or '.', not starting with '.'", path: "name")
        }
        let path = folder.appendingPathComponent(base + ".json").path
        guard URL(fileURLWithPath: path).standardizedFileURL.path != URL(fileURLWithPath: roomPath).standardizedFileURL.path else {
            throw StudioError(status: 409, "\(base).json is the room file the studio was opened with; save under another name", path: "name")
        }
        if FileManager.default.fileExists(atPath: path), !overwrite {
            throw StudioError(status: 409, "\(base).json exists; choose another name or allow overwriting it", path: "name")
        }
        _ = try scene(of: document)
        do { try AtomicFile.write(document, to: path) } catch {
            throw StudioError(status: 500, "\(path): \(error)")
        }
        return path
    }

    /// Parses an Equalizer APO / AutoEq EQ file and returns its biquads at `sampleRate` (for the page's
    /// IIRFilterNodes), the preamp, and a GraphicEQ's FIR (for a ConvolverNode).
    public func equalizer(_ text: String, sampleRate: Double) throws -> EqualizerFilters {
        let eq: ParametricEQ
        do { eq = try ParametricEQ.parse(text) } catch let e as ParametricEQ.ParseError {
            throw StudioError(status: 422, "EQ file: \(e.description)")
        }
        return EqualizerFilters(preampDB: eq.preampDB, sections: eq.biquads(sampleRate: sampleRate).map {
            .init(feedforward: [$0.b0, $0.b1, $0.b2], feedback: [1, $0.a1, $0.a2])
        }, filterCount: eq.filters.count, graphicPoints: eq.graphic.reduce(0) { $0 + $1.count }, fir: eq.graphicFilter(sampleRate: sampleRate))
    }

    public struct EqualizerFilters: Codable, Sendable {
        public var preampDB: Double
        public struct Section: Codable, Sendable { public var feedforward: [Double], feedback: [Double] }
        public var sections: [Section]
        public var filterCount: Int
        /// Points of the file's GraphicEQ lines, and their minimum-phase FIR (for a ConvolverNode); nil without.
        public var graphicPoints: Int
        public var fir: [Float]?
    }

    // MARK: - The optimizer's maps

    /// Starts `PlacementSearch` on `document` in the background (one search at a time).
    public func startOptimize(_ document: Data) throws {
        let scene = try scene(of: document)
        guard scene.stereoLayout != nil else {
            throw StudioError(status: 422, "\(label): the optimizer places a stereo layout (\"speakers\": {\"layout\": \"stereo\", …})", path: "speakers.layout")
        }
        let space: PlacementSearchSpace
        do { space = try PlacementSearchSpace.defaults(for: scene) } catch let e as SceneError {
            throw StudioError(status: 422, "\(label): \(e.description)")
        }
        try state.withLock { s in
            if case .running = s.optimize { throw StudioError(status: 409, "a search is already running") }
            s.optimize = .running(done: 0, total: 0)
        }
        optimizeQueue.async { [self] in
            let outcome: OptimizeJob
            do {
                let result = try PlacementSearch.run(scene: scene, space: space, threads: threads) { [self] event in
                    if case .waveRun(let done, let total) = event { state.withLock { $0.optimize = .running(done: done, total: total) } }
                }
                outcome = .finished(try JSONEncoder().encode(OptimizeMaps(result)))
            } catch let e as SceneError {
                outcome = .failed(StudioError(status: 422, "\(label): \(e.description)"))
            } catch {
                outcome = .failed(StudioError(status: 500, "\(error)"))
            }
            state.withLock { $0.optimize = outcome }
        }
    }

    public var optimizeJob: OptimizeJob { state.withLock { $0.optimize } }
}

/// The optimizer's maps and best placements for the page's overlay (the data of `optimize`'s
/// placement-map.png and seat-map.png, SPEC §7).
public struct OptimizeMaps: Codable, Sendable {
    public struct Map: Codable, Sendable {
        public var subject: String
        public var xs: [Double], ys: [Double]
        /// Rows of `ys`, columns of `xs`; nil where the position is not allowed.
        public var cost: [[Double?]]
        public var terms: [String]
    }
    public var placementMap: Map
    public var seatMap: Map
    public var current: OptimizeOutput.CandidateRecord
    public var best: [OptimizeOutput.CandidateRecord]

    init(_ r: PlacementSearchResult) {
        func map(_ m: PlacementMap) -> Map { Map(subject: m.subject, xs: m.xs, ys: m.ys, cost: m.cost, terms: m.terms.map(\.rawValue)) }
        placementMap = map(r.placementMap)
        seatMap = map(r.seatMap)
        current = .init(r.current)
        best = r.ranked.prefix(10).map { .init($0) }
    }
}
