import Foundation
import Synchronization

/// A response at the listener: what a speaker's sound becomes on its way to an omnidirectional
/// receiver (1 channel) or to the two ears (2 channels: left, right), with its provenance.
/// Sample n is time n / `sampleRate` after the speaker emits (SPEC §2).
public struct ImpulseResponse: Sendable {
    public enum Receiver: String, Sendable { case omni, binaural }
    public let receiver: Receiver
    /// The speaker it belongs to.
    public let speaker: String
    public let audio: AudioBuffer
    /// The scene and options that made it (`ResultKey`), worked out when first asked for.
    public var key: ResultKey { keySource.value }
    private let keySource: LazyResultKey
    public var sampleRate: Int { audio.sampleRate }

    public init(receiver: Receiver, speaker: String, audio: AudioBuffer, key: ResultKey) {
        self.init(receiver: receiver, speaker: speaker, audio: audio, keySource: LazyResultKey(key))
    }

    init(receiver: Receiver, speaker: String, audio: AudioBuffer, keySource: LazyResultKey) {
        (self.receiver, self.speaker, self.audio, self.keySource) = (receiver, speaker, audio, keySource)
    }
}

/// One speaker through every stage: its propagation (paths and energy field), its responses and
/// the metrics of SPEC §4 (nil for an omni-only run).
public struct SpeakerSimulation: Sendable {
    public let speaker: Speaker
    public let propagation: SpeakerResponse
    public let rir: ImpulseResponse
    public let brir: ImpulseResponse?
    public let metrics: SpeakerMetrics?
    /// The omni RIR without its scattered tail (the wave part joined to the image sources' arrivals),
    /// at the RIR's rate: the same for every seed; the bass evenness is read from it.
    public let deterministic: [Float]
}

/// A whole room simulated: every speaker, in the scene's order.
public struct RoomSimulation: Sendable {
    public let scene: Scene
    public let plan: ResolvedSimulation
    public var key: ResultKey { keySource.value }
    let keySource: LazyResultKey
    public let speakers: [SpeakerSimulation]
    /// The wave part's plan (nil or disabled when it was off).
    public let wavePlan: WavePlan?

    /// Every specular path up to the listed order, per speaker (reflections.json).
    public var reflections: ReflectionsFile {
        ReflectionsFile(scene: scene, plan: plan, results: speakers.map(\.propagation.imageSources))
    }

    /// SPEC §4's metrics (nil for an omni-only run).
    public var metrics: MetricsFile? {
        let all = speakers.compactMap(\.metrics)
        guard all.count == speakers.count else { return nil }
        return MetricsFile(room: scene.name, soundstageVersion: SoundstageVersion.string, bandsHz: FrequencyBands.octaves.centres, speakers: all)
    }
}

/// What a run reports while it works.
public enum SimulationEvent: Sendable {
    /// Rays traced so far over all speakers, of `total`.
    case rays(done: Int, total: Int)
    /// A speaker is finished (its counts and how long it took).
    case speakerFinished(SpeakerSimulation, seconds: Double)
}

/// The library's façade: a scene and options in, every stage of the pipeline run —
///
///     Scene ──► propagation (ImageSourceEngine: [Path] + arrivals; RayTracer: EnergyField → ReverbTail)
///           ──► synthesis (ImpulseSynthesis: omni RIR; BinauralSynthesizer: BRIR through the HRTF)
///           ──► analysis (SpeakerMetrics, ISO 3382-1 and binaural)
///
/// — and a `RoomSimulation` out. It does no file output (`OutputFolder` writes and caches results);
/// the command line, the validation and the benchmarks are its clients.
public struct Simulator: Sendable {
    /// The scene with the options applied.
    public let scene: Scene
    public private(set) var plan: ResolvedSimulation
    /// Whether BRIRs (and so metrics) are made; false for an omni-only run.
    public let binaural: Bool
    /// The content key of every response this simulator makes (worked out when first asked for:
    /// a batch that caches nothing never pays for it).
    public var key: ResultKey { keySource.value }
    private let keySource: LazyResultKey
    /// The SOFA file of the HRTF (nil for an omni-only run).
    public let hrtfPath: String?
    /// The wave part (nil when the room turns it off; `enabled` false when beyond the budget).
    public let wavePlan: WavePlan?
    /// The wave solver's grid, built on first use and shared by every speaker.
    private let gridCache = GridCache()

    /// Applies `options` to `scene` and resolves its "auto" settings. For a binaural run the HRTF
    /// file must be readable (its contents enter the key); it is loaded by `run`.
    public init(scene: Scene, options: SimulationOptions = SimulationOptions(), binaural: Bool = true) throws {
        let applied = try options.applied(to: scene)
        var plan = applied.resolve(threads: options.threads, detailOrder: options.reflectionsOrder)
        try WorkEstimate(scene: applied, plan: plan).check(scene: applied, plan: plan)
        var digest: String?
        if binaural {
            let path: String
            if case .file(let f) = applied.listener.hrtf { path = f } else { path = HRTFSet.defaultPath }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw SceneError.invalid(path: "listener.hrtf", reason: "\(path): no such SOFA file")
            }
            do { digest = try ResultKey.sha256(file: path) } catch {
                throw SceneError.invalid(path: "listener.hrtf", reason: "\(error)")
            }
            hrtfPath = path
        } else {
            plan.keepEarlySeconds = 0 // no binaural early part to feed
            hrtfPath = nil
        }
        self.scene = applied
        self.plan = plan
        self.binaural = binaural
        self.wavePlan = applied.wavePlan(durationSeconds: plan.durationSeconds)
        let keyed = (applied, plan, digest)
        keySource = LazyResultKey { ResultKey(scene: keyed.0, plan: keyed.1, hrtfDigest: keyed.2) }
    }

    /// The HRTF set at the run's sample rate, its diffuse-field statistics and head radius.
    public struct Binaural: Sendable {
        public let hrtf: HRTFSet
        public let field: DiffuseFieldStatistics
        /// From the set's low-frequency ITD (`HRTFSet.headRadius`): where the wave part's ears are.
        public let headRadius: Double
    }

    /// Loads the HRTF (nil for an omni-only run); errors name `listener.hrtf`.
    public func loadHRTF() throws -> Binaural? {
        guard let hrtfPath else { return nil }
        do {
            let hrtf = try HRTFSet(path: hrtfPath, sampleRate: Double(plan.sampleRate))
            return Binaural(hrtf: hrtf, field: hrtf.diffuseField(), headRadius: hrtf.headRadius(speedOfSound: scene.air.speedOfSound))
        } catch {
            throw SceneError.invalid(path: "listener.hrtf", reason: "\(error)")
        }
    }

    /// Stage 1, propagation: specular paths and the energy field of speaker `index`, and below the
    /// crossover the wave solver's responses (its ears `headRadius` apart × 1.5 each side; the
    /// average human head's 8.75 cm when no HRTF gives one).
    /// With `earRing` the wave part also records the ring of ear points that turned heads need
    /// (`WaveResponse.ring`).
    public func propagate(speaker index: Int, headRadius: Double = 0.0875, earRing: Bool = false,
                          progress: (@Sendable (Int) -> Void)? = nil) -> SpeakerResponse {
        var response = HybridSimulator.run(scene: scene, speakerIndex: index, plan: plan, progress: progress)
        if let wavePlan, wavePlan.enabled {
            let grid = gridCache.grid { WaveGrid(scene: scene, spacing: wavePlan.spacing, crossover: wavePlan.crossover) }
            response.wave = WaveSolver.respond(scene: scene, speaker: index, plan: wavePlan, grid: grid, sampleRate: plan.sampleRate,
                                               frames: plan.frames, headRadius: headRadius, threads: plan.threads, ring: earRing)
        }
        return response
    }

    /// The wave part's low band joined to a geometric response (`WaveCrossover`); both carry the room
    /// file's high-pass already.
    func joined(_ geometric: [Float], wave: [Float]?) -> [Float] {
        guard let wave, let wavePlan else { return geometric }
        return WaveCrossover.merge(geometric: geometric, wave: wave, crossover: wavePlan.crossover, sampleRate: Double(plan.sampleRate))
    }

    /// Stages 2 and 3, synthesis and analysis, of speaker `index`.
    public func synthesize(_ propagation: SpeakerResponse, speaker index: Int, binaural: Binaural?) -> SpeakerSimulation {
        let speaker = scene.speakers[index]
        let onAxis = onAxisFilter(speaker: index)
        let parts = ImpulseSynthesis.omniParts(propagation.imageSources, tail: propagation.tail, scene: scene, plan: plan)
        let omni = shaped(joined(parts.full, wave: propagation.wave?.omni), onAxis)
        let rir = ImpulseResponse(receiver: .omni, speaker: speaker.name, audio: AudioBuffer(sampleRate: plan.sampleRate, channels: [omni]), keySource: keySource)
        let deterministic = shaped(joined(parts.specular, wave: propagation.wave?.omni), onAxis)
        guard let binaural else {
            return SpeakerSimulation(speaker: speaker, propagation: propagation, rir: rir, brir: nil, metrics: nil, deterministic: deterministic)
        }
        var ears = BinauralSynthesizer.render(scene: scene, speakerIndex: index, plan: plan, paths: propagation.imageSources.paths,
                                              omni: joined(parts.full, wave: propagation.wave?.omni),
                                              hrtf: binaural.hrtf, field: binaural.field, tail: propagation.tail.arrivals)
        if let wave = propagation.wave {
            ears = AudioBuffer(sampleRate: ears.sampleRate, channels: [joined(ears.channels[0], wave: wave.left), joined(ears.channels[1], wave: wave.right)])
        }
        ears = shaped(ears, onAxis)
        let brir = ImpulseResponse(receiver: .binaural, speaker: speaker.name, audio: ears, keySource: keySource)
        let images = propagation.imageSources
        // The ears without the tail (and without the late part, which starts after IACC_E's window).
        var specularEars = BinauralSynthesizer.render(scene: scene, speakerIndex: index, plan: plan, paths: images.paths,
                                                      omni: [Float](repeating: 0, count: omni.count), hrtf: binaural.hrtf, field: binaural.field)
        if let wave = propagation.wave {
            specularEars = AudioBuffer(sampleRate: ears.sampleRate, channels: [joined(specularEars.channels[0], wave: wave.left),
                                                                              joined(specularEars.channels[1], wave: wave.right)])
        }
        specularEars = shaped(specularEars, onAxis)
        let mix = speaker.position.distance(to: scene.listener.position) / scene.air.speedOfSound + speaker.delaySeconds
            + BinauralSynthesizer.earlySeconds
        let iacc = ExpectedEarlyCoherence.iaccEarly(specular: specularEars, tail: propagation.rays?.field, mix: mix,
                                                    onset: ImpulseResponseAnalyzer.onset(energy: ImpulseResponseAnalyzer.sumOfSquares(ears.channels)),
                                                    hrtf: binaural.hrtf, field: binaural.field,
                                                    equalizer: scene.listener.hrtfEqualization == .diffuseField ? DiffuseFieldEqualizer(field: binaural.field) : nil)
        let metrics = SpeakerMetrics.compute(speaker: speaker.name, rir: omni, sampleRate: plan.sampleRate, brir: ears, specular: shaped(parts.specular, onAxis),
                                             deterministic: deterministic,
                                             expected: expectedEnergy(propagation), expectedIACCEarly: iacc,
                                             envelopment: SpeakerMetrics.envelopment(lateEnergy: images.lateEnergy, lateLateralEnergy: images.lateLateralEnergy))
        return SpeakerSimulation(speaker: speaker, propagation: propagation, rir: rir, brir: brir, metrics: metrics, deterministic: deterministic)
    }

    /// A measured speaker's on-axis response as a minimum-phase FIR (`MeasuredDirectivity.onAxisFilter`;
    /// nil for the presets). It is common to every path leaving the speaker — image sources, rays and
    /// the wave part alike — so, the system being linear, it is applied once to each of the speaker's
    /// responses rather than path by path.
    func onAxisFilter(speaker index: Int) -> [Float]? {
        scene.speakers[index].directivity.measurement?.onAxisFilter(sampleRate: Double(plan.sampleRate))
    }

    func shaped(_ x: [Float], _ filter: [Float]?) -> [Float] {
        guard let filter else { return x }
        return convolveTruncated(x, filter)
    }

    func shaped(_ x: AudioBuffer, _ filter: [Float]?) -> AudioBuffer {
        guard let filter else { return x }
        return AudioBuffer(sampleRate: x.sampleRate, channels: x.channels.map { convolveTruncated($0, filter) })
    }

    /// The expected energy response of a speaker (`EnergyResponse`) in the units of the RIR's
    /// octave-filtered energy, and its half-sample replicates (`HalfSamples`): the image sources' and the ray
    /// field's energies per band, each band weighted by what its octave filter passes of a flat
    /// spectrum (`EnergyResponse.bandWeight`), with the wave part the geometric share above the
    /// crossover, plus the wave response's own energy through the crossover's low-pass and the
    /// octave filter (the two parts are joined by complementary zero-phase weights; their cross
    /// term, confined to the one-octave transition, is left out).
    func expectedEnergy(_ propagation: SpeakerResponse) -> (response: EnergyResponse, replicates: [EnergyResponse]) {
        let fs = Double(plan.sampleRate), octaves = FrequencyBands.octaves
        let crossover = propagation.wave == nil ? nil : wavePlan?.crossover
        let low = propagation.wave.map { WaveCrossover.merge(geometric: [], wave: $0.omni, crossover: crossover!, sampleRate: fs) }
        var weights: [Int: Double] = [:], waveBands: [Int: [Float]] = [:]
        for b in 0..<min(EnergyResponse.bandCount, octaves.count) where octaves.centres[b] < OctaveFilter.limit(sampleRate: fs) {
            let filter = OctaveFilter(centreHertz: octaves.centres[b], sampleRate: fs)
            weights[b] = EnergyResponse.bandWeight(filter, sampleRate: fs, crossover: crossover)
            if let low, let crossover, octaves.centres[b] / 2 < crossover { waveBands[b] = filter.apply(low) }
        }
        func finished(_ raw: EnergyResponse) -> EnergyResponse {
            var energy = raw
            for (b, w) in weights { energy.scale(band: b, by: w) }
            for (b, x) in waveBands { energy.add(bandSignal: x, sampleRate: fs, band: b) }
            return energy
        }
        let images = propagation.imageSources
        return (finished(images.energy), images.energyReplicates.map(finished))
    }

    /// The BRIRs of every speaker for every head orientation (`[speaker][orientation]`), for
    /// head-tracked renderers (`SOFAFile.write`). Propagation — paths, the energy
    /// field and the wave part (with its ring of ear points) — runs once per speaker; per orientation
    /// only the early part's directions and the wave part's ears turn (`BinauralSynthesizer.render`
    /// with `orientations`, `WaveResponse.ears(yawDegrees:)`). Orientation `.straight` gives exactly
    /// the BRIR `run` makes.
    public func headOrientationBRIRs(_ orientations: [HeadOrientation], binaural: Binaural,
                                     events: (@Sendable (SimulationEvent) -> Void)? = nil) -> [[AudioBuffer]] {
        precondition(binaural.hrtf.sampleRate == Double(plan.sampleRate), "HRTF loaded at another sample rate")
        let total = plan.rays * scene.speakers.count
        var shared = self
        shared.plan.threads = max(1, plan.threads / speakerConcurrency)
        shared.plan.tallyEnergy = true // as in a binaural `run`, so orientation 0 is its BRIR to the bit
        let worker = shared
        let raysDone = Mutex([Int](repeating: 0, count: scene.speakers.count))
        let results = Slots<[AudioBuffer]>(count: scene.speakers.count)
        parallelFor(scene.speakers.count, threads: speakerConcurrency) { i in
            let propagation = worker.propagate(speaker: i, headRadius: binaural.headRadius, earRing: orientations.contains { $0.yawDegrees != 0 }) { n in
                let sum = raysDone.withLock { done in done[i] = n; return done.reduce(0, +) }
                events?(.rays(done: sum, total: total))
            }
            let parts = ImpulseSynthesis.omniParts(propagation.imageSources, tail: propagation.tail, scene: worker.scene, plan: worker.plan)
            let omni = worker.joined(parts.full, wave: propagation.wave?.omni)
            let onAxis = worker.onAxisFilter(speaker: i)
            let ears = BinauralSynthesizer.render(scene: worker.scene, speakerIndex: i, plan: worker.plan, paths: propagation.imageSources.paths,
                                                  omni: omni, hrtf: binaural.hrtf, field: binaural.field, tail: propagation.tail.arrivals,
                                                  orientations: orientations)
            results[i] = zip(orientations, ears).map { orientation, buffer in
                guard let wave = propagation.wave else { return worker.shaped(buffer, onAxis) }
                let turned = wave.ears(yawDegrees: orientation.yawDegrees)
                return worker.shaped(AudioBuffer(sampleRate: buffer.sampleRate, channels: [worker.joined(buffer.channels[0], wave: turned.left),
                                                                                           worker.joined(buffer.channels[1], wave: turned.right)]), onAxis)
            }
        }
        return results.all
    }

    /// Every stage for every speaker.
    public func run(events: (@Sendable (SimulationEvent) -> Void)? = nil) throws -> RoomSimulation {
        try run(binaural: loadHRTF(), events: events)
    }

    /// Every stage for every speaker with an HRTF already loaded at `plan.sampleRate` (a session that
    /// simulates edit after edit loads it once; nil for an omni-only run). `isCancelled` is asked
    /// between stages: once it answers true the run stops there and throws `CancellationError` (a
    /// newer edit has made this one stale).
    ///
    /// With several threads and several speakers the speakers run side by side, the threads shared
    /// out among them (`speakerConcurrency`): every stage's result is independent of its thread
    /// count, so the output is the same, and the stages that run on one thread (synthesis, analysis)
    /// no longer wait for each other. `speakerFinished` events come in speaker order.
    public func run(binaural: Binaural?, isCancelled: @Sendable () -> Bool = { false },
                    events: (@Sendable (SimulationEvent) -> Void)? = nil) throws -> RoomSimulation {
        precondition(binaural == nil || binaural?.hrtf.sampleRate == Double(plan.sampleRate), "HRTF loaded at another sample rate")
        let total = plan.rays * scene.speakers.count
        let concurrent = speakerConcurrency
        var shared = self
        shared.plan.threads = max(1, plan.threads / concurrent)
        shared.plan.tallyEnergy = binaural != nil // only the binaural metrics read them
        let worker = shared
        let raysDone = Mutex([Int](repeating: 0, count: scene.speakers.count))
        let results = Slots<Result<Finished, CancellationError>>(count: scene.speakers.count)
        parallelFor(scene.speakers.count, threads: concurrent) { i in
            let start = Date()
            guard !isCancelled() else { results[i] = .failure(CancellationError()); return }
            let propagation = worker.propagate(speaker: i, headRadius: binaural?.headRadius ?? 0.0875) { n in
                let sum = raysDone.withLock { done in done[i] = n; return done.reduce(0, +) }
                events?(.rays(done: sum, total: total))
            }
            guard !isCancelled() else { results[i] = .failure(CancellationError()); return }
            let result = worker.synthesize(propagation, speaker: i, binaural: binaural)
            results[i] = .success(Finished(simulation: result, seconds: Date().timeIntervalSince(start)))
        }
        var done: [SpeakerSimulation] = []
        for outcome in results.all {
            let finished = try outcome.get()
            events?(.speakerFinished(finished.simulation, seconds: finished.seconds))
            done.append(finished.simulation)
        }
        return RoomSimulation(scene: scene, plan: plan, keySource: keySource, speakers: done, wavePlan: wavePlan)
    }

    private struct Finished: Sendable { var simulation: SpeakerSimulation; var seconds: Double }

    /// How many speakers `run` simulates at once: as many as there are threads, while the wave
    /// fields they hold at the same time stay within the wave part's memory budget.
    var speakerConcurrency: Int {
        var n = max(1, min(plan.threads, scene.speakers.count))
        if let wavePlan, wavePlan.enabled { n = max(1, min(n, WavePlan.memoryBudget / max(1, wavePlan.memoryBytes))) }
        return n
    }

    /// The warning for an order-limited run without rays, whose image sources end before the
    /// response does (nil when they cover it). Order-limited image sources cover about
    /// order × mean free path (4V/S, Kuttruff, *Room Acoustics*, eq. 4.5).
    public var truncationWarning: String? {
        guard plan.maxOrder != Int.max && plan.rays == 0 else { return nil }
        let covered = Double(plan.maxOrder) * 4 * scene.volume / scene.surfaceArea / scene.air.speedOfSound
        guard covered < plan.durationSeconds else { return nil }
        return String(format: "with rays 0, image sources up to order %d cover only about the first %.0f ms of %.0f ms; T20/T30/C80 describe that truncated response, not the room",
                      plan.maxOrder, covered * 1000, plan.durationSeconds * 1000)
    }
}

/// HRTF sets loaded once per SOFA file and sample rate, for clients that simulate scene after scene
/// (the studio's edits, a batch's scenes): `Simulator.loadHRTF` resamples the whole set, which costs
/// more than a small simulation.
public final class HRTFCache: Sendable {
    private let loaded = Mutex<[String: Simulator.Binaural]>([:])

    public init() {}

    /// `simulator`'s HRTF at its sample rate (nil for an omni-only run); errors as `loadHRTF`'s.
    public func binaural(for simulator: Simulator) throws -> Simulator.Binaural? {
        guard let path = simulator.hrtfPath else { return nil }
        let key = "\(simulator.plan.sampleRate)@\(path)"
        return try loaded.withLock { cache in
            if let cached = cache[key] { return cached }
            let made = try simulator.loadHRTF()
            cache[key] = made
            return made
        }
    }
}

/// The wave grid of one simulator, built once on first use (voxelizing is the costly part).
final class GridCache: Sendable {
    private let stored = Mutex<WaveGrid?>(nil)
    func grid(_ make: () -> WaveGrid) -> WaveGrid {
        stored.withLock { g in
            if let g { return g }
            let made = make()
            g = made
            return made
        }
    }
}
