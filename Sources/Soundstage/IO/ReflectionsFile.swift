import Foundation

/// `reflections.json` (SPEC §3): every specular path the image-source stage kept, per speaker.
public struct ReflectionsFile: Codable, Sendable {
    public struct Reflection: Codable, Sendable {
        public var order: Int
        /// Surface names hit, in order from the speaker.
        public var surfaces: [String]
        public var delaySeconds: Double
        public var distanceMetres: Double
        /// Level per octave band, dB re the direct sound at 1 m on axis.
        public var levelDB: [Double]
        public var azimuthDegrees: Double
        public var elevationDegrees: Double
        /// Reflection points [x, y, z] in metres, in order from the speaker.
        public var points: [[Double]]
    }
    public struct SpeakerPaths: Codable, Sendable {
        public var name: String
        public var position: [Double]
        /// Valid image sources that built the RIR (all orders).
        public var imageSourceCount: Int
        public var reflections: [Reflection]
    }
    public var room: String
    public var soundstageVersion: String
    public var sampleRate: Int
    public var speedOfSound: Double
    public var bandsHz: [Double]
    /// Orders up to which every path is listed here (the RIR uses all orders up to `maxOrder`).
    public var listedUpToOrder: Int
    public var maxOrder: String
    public var speakers: [SpeakerPaths]

    public init(scene: Scene, plan: ResolvedSimulation, results: [ImageSourceResult]) {
        room = scene.name
        soundstageVersion = SoundstageVersion.string
        sampleRate = plan.sampleRate
        speedOfSound = scene.air.speedOfSound
        bandsHz = FrequencyBands.octaves.centres
        listedUpToOrder = plan.detailOrder
        maxOrder = plan.maxOrder == Int.max ? "all within the duration"
            : plan.shellEveryOrder ? (plan.shellOrder == Int.max ? "walls: all within the duration" : "walls: \(plan.shellOrder)") + "; paths via objects: \(plan.maxOrder)"
            : String(plan.maxOrder)
        speakers = zip(scene.speakers, results).map { speaker, result in
            SpeakerPaths(name: speaker.name, position: [speaker.position.x, speaker.position.y, speaker.position.z],
                         imageSourceCount: result.imageCount,
                         reflections: result.paths.filter { $0.order <= plan.detailOrder }.map { p in
                             Reflection(order: p.order, surfaces: p.surfaces.map { scene.surfaces[$0].name },
                                        delaySeconds: p.delaySeconds, distanceMetres: p.distance,
                                        levelDB: p.levelsDB.map { ($0 * 100).rounded() / 100 },
                                        azimuthDegrees: (p.azimuth * 100).rounded() / 100, elevationDegrees: (p.elevation * 100).rounded() / 100,
                                        points: p.reflectionPoints.map { [$0.x, $0.y, $0.z] })
                         })
        }
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
