import Foundation

/// The early reflections a placement gives, for the placement search: the reflections within
/// 20 ms of the direct sound, which broaden and shift phantom images when they come within about
/// 10 dB of it (Olive & Toole 1989, "The detection of reflections in typical rooms", JAES 37;
/// Toole, *Sound Reproduction*, 2008, ch. 6), from the specular image sources up to order 2 (the
/// image-source stage, `ImageSourceEngine`, on the hybrid's specular share of each wall).
///
/// Levels are broadband over 500 Hz – 4 kHz (the mean power of those octaves), in dB re the
/// speaker's own direct sound at the listener.
public struct EarlyPattern: Sendable {
    public struct Reflection: Sendable {
        /// Milliseconds after the direct sound.
        public var delay: Double
        public var levelDB: Double
        public var azimuth: Double
        public var elevation: Double
    }
    /// Every reflection within the window, by delay.
    public var reflections: [Reflection]
    public static let windowSeconds = 0.02

    /// The strongest reflection's level (dB re direct), or −∞ when none arrives within 20 ms.
    public var strongestDB: Double { reflections.map(\.levelDB).max() ?? -.infinity }

    /// The direct sound's energy over the reflections' within the window (dB, at most 60): the
    /// `soundstage.imaging` of `metrics.json`, from the image sources alone.
    public var directToEarlyDB: Double {
        let early = reflections.reduce(0.0) { $0 + pow(10, $1.levelDB / 10) }
        return early > 0 ? min(60, -10 * log10(early)) : 60
    }

    /// The early pattern of speaker `index` of `scene` (nil when its direct sound is blocked).
    public static func compute(scene: Scene, speaker index: Int, threads: Int = 1) -> EarlyPattern? {
        let speaker = scene.speakers[index]
        let direct = speaker.position.distance(to: scene.listener.position) / scene.air.speedOfSound + speaker.delaySeconds
        var plan = ResolvedSimulation(sampleRate: scene.simulation.sampleRate, durationSeconds: direct + windowSeconds + 0.005, maxOrder: 2,
                                      maxOrderNote: "", threads: max(1, threads), detailOrder: 2)
        plan.keepEarlySeconds = windowSeconds
        let specular = scene.simulation.scattering ? scene.specularPart : scene
        let paths = ImageSourceEngine.run(scene: specular, speakerIndex: index, plan: plan).paths
        let bands = FrequencyBands.octaves.indices(fromHertz: 500, throughHertz: 4000)
        func power(_ p: Path) -> Double {
            bands.reduce(0.0) { $0 + p.bandGains[$1] * p.bandGains[$1] } / Double(bands.count) / (p.distance * p.distance)
        }
        guard let first = paths.first(where: { $0.order == 0 }) else { return nil }
        let reference = power(first)
        let reflections = paths.filter { $0.order > 0 && $0.delaySeconds - first.delaySeconds <= windowSeconds }.map { p in
            Reflection(delay: (p.delaySeconds - first.delaySeconds) * 1000, levelDB: 10 * log10(max(power(p), 1e-30) / reference),
                       azimuth: p.azimuth, elevation: p.elevation)
        }
        return EarlyPattern(reflections: reflections)
    }

    /// How unlike two speakers' early patterns are once one is mirrored left–right: the reflections'
    /// energies (re each one's direct sound) in 0.5-ms bins within 20 ms, Σ|E_a − E_b| / Σ(E_a + E_b)
    /// with each bin split by side (the mirrored pattern's left is the other's right). 0 for a
    /// mirror-symmetric pair — a symmetric stereo image — and 1 when no reflection has a twin.
    public static func asymmetry(_ a: EarlyPattern, mirrored b: EarlyPattern) -> Double {
        let bins = Int(windowSeconds * 1000 / 0.5) + 1
        func histogram(_ p: EarlyPattern, flip: Bool) -> [Double] {
            var h = [Double](repeating: 0, count: 2 * bins)
            for r in p.reflections {
                let bin = min(bins - 1, Int(r.delay / 0.5))
                let left = (flip ? -r.azimuth : r.azimuth) > 0
                h[2 * bin + (left ? 1 : 0)] += pow(10, r.levelDB / 10)
            }
            return h
        }
        let x = histogram(a, flip: false), y = histogram(b, flip: true)
        let total = zip(x, y).reduce(0.0) { $0 + $1.0 + $1.1 }
        guard total > 0 else { return 0 }
        return zip(x, y).reduce(0.0) { $0 + abs($1.0 - $1.1) } / total
    }
}
