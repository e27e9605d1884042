import Foundation
import Soundstage

/// How much simulation an edit gets. `preview` is what the page asks for while a speaker is being
/// dragged, `full` when it is released: the room file's own settings.
public enum StudioQuality: String, Codable, Sendable {
    /// At most 4 000 rays per speaker and image sources to order 3 (the rays carry the later
    /// specular energy), the wave part to at most 120 Hz: the early pattern, the levels and the
    /// bass's modes stay, the late decay is noisier (the metrics' uncertainties say how much).
    case preview
    /// The room file's `simulation` block as `simulate` runs it.
    case full

    public static let previewRays = 4000, previewOrder = 3, previewCrossoverHertz = 120.0

    /// The options of this quality for `scene` (never more work than the room file asks).
    public func options(for scene: Scene, threads: Int) -> SimulationOptions {
        var options = SimulationOptions(threads: threads)
        guard self == .preview else { return options }
        if case .value(let n) = scene.simulation.rays { options.rays = .value(min(n, Self.previewRays)) } else { options.rays = .value(Self.previewRays) }
        if case .value(let n) = scene.simulation.maxOrder { options.maxOrder = .value(min(n, Self.previewOrder)) } else { options.maxOrder = .value(Self.previewOrder) }
        // The wave part at the lower of the room's own crossover (given or automatic) and the preview's.
        switch scene.simulation.wave {
        case .off: break
        case .auto:
            options.wave = .on(crossover: .value(min(scene.autoCrossover(), Self.previewCrossoverHertz)), pointsPerWavelength: nil)
        case .on(let crossover, _):
            var f = Self.previewCrossoverHertz
            if case .value(let given) = crossover { f = min(given, f) } else { f = min(scene.autoCrossover(), f) }
            options.wave = .on(crossover: .value(f), pointsPerWavelength: nil)
        }
        return options
    }
}

/// What the page draws after an edit: the room as simulated, the metrics, the seat's responses,
/// the echogram and the first-order reflections, and the gain that loudness-matches its BRIRs.
/// The BRIRs themselves are fetched as WAV files (`/api/brir/<version>/<speaker>.wav`).
public struct StudioResult: Codable, Sendable {
    public var version: Int
    public var quality: StudioQuality
    public var seconds: Double
    public var sampleRate: Int
    public var geometry: Geometry
    public var metrics: [SpeakerMetrics]
    public var bandsHz: [Double]
    public var responses: [Response]
    public var echograms: [Echogram]
    /// Image-source paths of order ≤ 1 per speaker (the direct sound and the first reflections).
    public var reflections: [ReflectionsFile.SpeakerPaths]
    /// Gain (dB) that plays a stereo programme through these BRIRs as loud as straight to the ears
    /// (`LoudnessMatch.gainDB`); applying it to A and to B matches their loudness.
    public var loudnessGainDB: Double
    /// Per channel of a stereo programme, the speakers it plays through and their gains
    /// (`ChannelRouting.route`, as `render` routes it).
    public var routing: [[Route]]
    public var warnings: [String]

    public struct Route: Codable, Sendable { public var speaker: Int; public var gain: Double }

    public struct Geometry: Codable, Sendable {
        public var name: String
        public var minCorner: [Double], maxCorner: [Double]
        public var surfaces: [Face]
        public var objects: [Box]
        public var speakers: [Source]
        public var listener: Seat
        /// How the page edits the speakers: "stereo" (the layout's fields), "list" (positions), or
        /// the other layouts' names (edited as JSON).
        public var layout: String
        /// The stereo layout's centre line and front wall at the speakers' height (for dragging).
        public var centerX: Double?, frontY: Double?
    }
    public struct Face: Codable, Sendable { public var name: String; public var material: String; public var object: String?; public var points: [[Double]] }
    public struct Box: Codable, Sendable { public var name: String; public var material: String; public var min: [Double], max: [Double] }
    public struct Source: Codable, Sendable {
        public var name: String; public var channel: Int; public var position: [Double]; public var forward: [Double]
        public var distance: Double; public var azimuth: Double
    }
    public struct Seat: Codable, Sendable { public var position: [Double]; public var yawDegrees: Double }

    /// 1/6-octave smoothed magnitude at the ears, 20 Hz – 20 kHz.
    public struct Response: Codable, Sendable {
        /// A speaker's name, or "all" for every speaker playing the same signal (mono programme).
        public var speaker: String
        public var left: ResponseCurve, right: ResponseCurve
    }

    /// The omni response's energy in `binMilliseconds` bins from the emission, dB re its
    /// strongest bin: what arrives when (the direct sound, the reflections, the decay).
    public struct Echogram: Codable, Sendable {
        public var speaker: String
        public var binMilliseconds: Double
        public var levelsDB: [Double]
    }
}

extension StudioResult {
    public static let echogramMilliseconds = 300.0, echogramBinMilliseconds = 0.5

    /// The result of `simulation` (a binaural run).
    public init(version: Int, quality: StudioQuality, seconds: Double, simulation: RoomSimulation, warnings: [String]) {
        let scene = simulation.scene
        let rate = simulation.plan.sampleRate
        self.version = version
        self.quality = quality
        self.seconds = seconds
        self.sampleRate = rate
        self.warnings = warnings
        geometry = Geometry(scene: scene)
        metrics = simulation.speakers.compactMap(\.metrics)
        bandsHz = FrequencyBands.octaves.centres
        let fs = Double(rate)
        let brirs = simulation.speakers.compactMap { $0.brir?.audio }
        func curve(_ x: [Float]) -> ResponseCurve { .of(x, sampleRate: fs, fraction: 6, points: 160) }
        var responses = zip(scene.speakers, brirs).map { speaker, b in
            Response(speaker: speaker.name, left: curve(b.channels[0]), right: curve(b.channels[1]))
        }
        if brirs.count > 1 {
            let length = brirs.map(\.frameCount).max() ?? 0
            let sum = (0..<2).map { ear in
                brirs.reduce(into: [Float](repeating: 0, count: length)) { acc, b in for (i, v) in b.channels[ear].enumerated() { acc[i] += v } }
            }
            responses.append(Response(speaker: "all", left: curve(sum[0]), right: curve(sum[1])))
        }
        self.responses = responses
        echograms = simulation.speakers.map { s in
            Echogram(speaker: s.speaker.name, binMilliseconds: Self.echogramBinMilliseconds,
                     levelsDB: Self.echogram(s.rir.audio.channels[0], sampleRate: fs))
        }
        reflections = simulation.reflections.speakers.map { paths in
            var p = paths
            p.reflections = p.reflections.filter { $0.order <= 1 }
            return p
        }
        routing = ChannelRouting.route(inputChannels: 2, speakers: scene.speakers).map { $0.map { Route(speaker: $0.speaker, gain: $0.gain) } }
        loudnessGainDB = brirs.count == scene.speakers.count ? LoudnessMatch.gainDB(speakers: scene.speakers, brirs: brirs) : 0
    }

    /// Energy in 0.5 ms bins up to 300 ms, dB re the strongest bin, floored at −100 dB.
    static func echogram(_ x: [Float], sampleRate fs: Double) -> [Double] {
        let bin = max(1, Int((fs * echogramBinMilliseconds / 1000).rounded()))
        let count = min(x.count, Int(fs * echogramMilliseconds / 1000)) / bin
        var energy = [Double](repeating: 0, count: count)
        for b in 0..<count { for i in b * bin..<(b + 1) * bin { energy[b] += Double(x[i]) * Double(x[i]) } }
        let peak = energy.max() ?? 0
        return energy.map { peak > 0 ? max(-100, 10 * log10(max($0, 1e-300) / peak)) : -100 }
    }
}

extension StudioResult.Geometry {
    init(scene: Scene) {
        func a(_ v: Vec3) -> [Double] { [v.x, v.y, v.z] }
        name = scene.name
        minCorner = a(scene.boundary.minCorner)
        maxCorner = a(scene.boundary.maxCorner)
        surfaces = scene.surfaces.map { .init(name: $0.name, material: $0.material.name, object: $0.objectName, points: $0.polygon.vertices.map(a)) }
        objects = scene.objects.map { .init(name: $0.name, material: $0.material.name, min: a($0.minCorner), max: a($0.maxCorner)) }
        speakers = scene.speakers.map { s in
            let d = scene.listener.direction(of: s.position)
            return .init(name: s.name, channel: s.channel, position: a(s.position), forward: a(s.orientation.forward), distance: d.distance, azimuth: d.azimuth)
        }
        listener = .init(position: a(scene.listener.position), yawDegrees: scene.listener.yawDegrees)
        if let layout = scene.stereoLayout, let placed = try? layout.place(in: scene.boundary) {
            self.layout = "stereo"
            centerX = placed.centerX
            frontY = scene.boundary.frontY(x: placed.centerX, z: layout.height)
        } else {
            layout = "list"
        }
    }
}
