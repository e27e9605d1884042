import Foundation

/// What the ray tracer returns for one speaker.
public struct RayTracingResult: Sendable {
    /// Energy at the listener per band × time × direction, air absorption applied.
    public var field: EnergyField
    public var rays: Int
    /// Wall reflections traced, over all rays.
    public var reflections: Int
    /// Rays that escaped through a gap in the geometry (should be 0 for a closed room).
    public var lostRays: Int
    /// Extra rays made by splitting (see `RayTracer`).
    public var splitRays: Int = 0
    /// The field as eight independent estimates (rays k, k + 8, k + 16, …), whose
    /// sum is `field` up to rounding: their scatter measures the counting noise (`HalfSamples`).
    public var batches: [EnergyField] = []
}

/// Stochastic ray tracing of the energy that the image sources do not carry (Krokstad, Strøm &
/// Sørsdal 1968; Vorländer, *Auralization*, 2008, §11.2; the hybrid split of Vorländer 1989).
///
/// - Emission: N stratified rays, importance-sampled by the speaker's directivity (`Emitter`),
///   each carrying D_b(θ)²·g²/(N·4π·p(θ)) per band (directivity D, speaker gain g, sampling
///   density p): an omni source's rays carry 1/N each.
/// - Reflection: energy × (1 − α_b). The reflected energy is split per the surface's scattering
///   coefficient s_b: the scattered part (1 − α_b)s_b reaches the listener by *diffuse rain*
///   (Schröder 2011, §5.3: a Lambert source at the hit point sends the fraction
///   2 cos γ (1 − cos β) into the cone of a small sphere at the listener's point, sin β = r/d,
///   r = `Scene.rainRadius`, if the way is clear).
/// - One ray carries every band (*hero-band sampling*: Wilkie et al. 2014, "Hero wavelength spectral
///   sampling", with Veach 1997 §9.2's one-sample balance heuristic). Ray i has a hero band h (all
///   bands equally often in each batch) and continues in a Lambert direction with probability s_h,
///   specularly otherwise. Band b's share of the path is f_b = Π q_b (q = s for a diffuse turn,
///   1 − s for a specular one); the path was drawn with density (1/B) Σ_k Π q_k, so band b carries
///   f_b / ((1/B) Σ_k f_k): exact in expectation for every band, and never more than B times
///   its unweighted energy however the bands' scattering differs — where it is the same in all bands
///   (every built-in material) the weight is 1. Diffraction makes the low bands scatter and the high
///   ones not; a per-reflection choice with weights s_b/s̄ and (1 − s_b)/(1 − s̄) would compound
///   without bound over a late path, and so would a band's noise.
/// - Reception: a segment is counted by the receiver sphere (radius R, the listening area of
///   `Scene.autoReceiverRadius`; volume estimator: energy × chord / V_R, V_R its air volume) unless
///   it leaves a diffuse reflection (the rain already carried that leg's expectation) or the ray's
///   history so far is purely specular with order ≤ the transition order, or purely specular off the walls of a shoebox whose wall images are complete
///   (`ResolvedSimulation.shellEveryOrder`): the image sources carry those paths exactly. Counting
///   such high-order specular paths by rays is what makes a late decay depend on the seed: a
///   floor–ceiling flutter is a column of point images that a 0.4 m sphere catches from one or two
///   rays in tens of thousands. Energy is converted to SPEC §2's units by 1/(4π).
/// - Termination: at the end of the response, or by Russian roulette once the energy is below
///   10⁻⁶ of the emitted (survivors continue with 10× the energy: unbiased).
/// - Splitting (the weight windows of Monte Carlo transport): where absorption is uneven (an
///   audience floor, a treated ceiling) the late decay rides on the few rays that keep missing the
///   absorbing surfaces: in the example hall at 50 000 rays one seed's 1 kHz T30 read 2.84 s
///   against ≈ 1.6–1.8 s for the others. A ray carrying more than 2× what the strongest emitted
///   ray keeps after as many reflections of the room's mean absorption, e₀(1 − ᾱ)ⁿ, becomes up to
///   4 rays sharing its energy that continue independently (at most 15 extra per emitted ray;
///   unbiased: each copy's expectation is 1/k of the ray's). Rooms with even absorption hardly split (BRAS CR2: no change in time or result).
///   Specular-only rooms never do: their copies would retrace one path.
/// - Air absorption exp(−m_b·c·t) depends only on the arrival time, so it is applied per time bin.
/// - Determinism: ray i's random stream is derived from (seed, speaker, pass, i); rays are split into fixed
///   slots merged in a fixed order, so the field is bit-identical for any thread count.
public enum RayTracer {
    static let slotCount = 8
    static let rouletteThreshold: Float = 1e-6
    static let rouletteSurvival: Float = 0.1
    /// Splitting: a ray carrying more than 2^splitExcess times what the strongest emitted ray keeps
    /// after as many reflections of the room's mean absorption becomes up to `maximumCopies` rays
    /// sharing its energy, at most `splitBudget` extra copies per emitted ray (see above).
    static let splitExcess = 1.0
    static let maximumCopies = 4
    static let splitBudget = 15

    /// Traces `plan.rays` rays from speaker `speakerIndex`. `progress` is called with the number of
    /// rays finished so far (from any thread).
    public static func run(scene: Scene, speakerIndex: Int, plan: ResolvedSimulation,
                           progress: (@Sendable (Int) -> Void)? = nil) -> RayTracingResult {
        run(scene: scene, speakerIndex: speakerIndex, plan: plan, progress: progress, splitting: nil)
    }

    /// Pass `pass` of `plan.rays` rays: pass 0 is `run`'s; every other pass draws its rays (the
    /// emission lattice's turn and every ray's random stream) from its own seed, so passes are
    /// independent estimates of the same field and their mean is one too (`HybridSimulator`).
    public static func run(scene: Scene, speakerIndex: Int, plan: ResolvedSimulation, pass: Int,
                           progress: (@Sendable (Int) -> Void)? = nil) -> RayTracingResult {
        run(scene: scene, speakerIndex: speakerIndex, plan: plan, progress: progress, splitting: nil, pass: pass)
    }

    /// `splitting` overrides the splitting rule (threshold in log₂ above the reference, extra copies
    /// per emitted ray; budget 0 turns it off): for tests.
    static func run(scene: Scene, speakerIndex: Int, plan: ResolvedSimulation, progress: (@Sendable (Int) -> Void)?,
                    splitting: (excess: Double, budget: Int)?, pass: Int = 0) -> RayTracingResult {
        var configured = Setup(scene: scene, speakerIndex: speakerIndex, plan: plan, pass: pass)
        if let splitting { (configured.splitExcess, configured.splitBudget) = splitting }
        let setup = configured
        let n = plan.rays
        let shape = EnergyField(bandCount: setup.bandCount, binSeconds: plan.binSeconds, binCount: setup.binCount)
        // One pass, split into fixed slots.
        let items = slotCount
        let slots = Slots<(EnergyField, Int, Int, Int)>(count: items)
        let done = Counter()
        parallelFor(items, threads: plan.threads) { item in
            let slot = item
            let field = EnergyFieldAccumulator(shape: shape)
            var reflections = 0, lost = 0, copies = 0
            var ray = slot
            var sinceReport = 0
            while ray < n {
                let r = setup.trace(ray: ray, into: field)
                reflections += r.reflections
                copies += r.copies
                if r.lost { lost += 1 }
                ray += slotCount
                sinceReport += 1
                if sinceReport == 256, let progress { progress(done.add(sinceReport)); sinceReport = 0 }
            }
            if sinceReport > 0, let progress { progress(done.add(sinceReport)) }
            // The worker's raw accumulator becomes a value here; the values are summed in slot order.
            var partial = shape
            partial.add(field)
            slots[item] = (partial, reflections, lost, copies)
        }
        let all = slots.all
        // Slot k traces rays k, k + 8, …: eight independent batches.
        var batches = [EnergyField](repeating: shape, count: slotCount)
        for (item, s) in all.enumerated() { batches[item].add(s.0) }
        var field = shape
        for b in batches { field.add(b) }
        setup.applyAir(&field)
        for k in batches.indices { setup.applyAir(&batches[k]) }
        return RayTracingResult(field: field, rays: n, reflections: all.reduce(0) { $0 + $1.1 }, lostRays: all.reduce(0) { $0 + $1.2 },
                                splitRays: all.reduce(0) { $0 + $1.3 }, batches: batches)
    }
}

/// Band energies of one ray: one lane per band (bands beyond the engine's count stay zero).
typealias BandEnergy = SIMD8<Float>

/// The largest lane, by halving (see `lanesMax`).
@inline(__always) func largest(_ e: BandEnergy) -> Float {
    let a = lanesMax(e.lowHalf, e.highHalf)
    let b = a.lowHalf.replacing(with: a.highHalf, where: a.highHalf .> a.lowHalf)
    return max(b.x, b.y)
}

extension RayTracer {
    /// Everything a ray needs, prepared once per speaker.
    struct Setup: Sendable {
        struct SurfaceData: Sendable {
            var normal: Vec3, u: Vec3, v: Vec3
            var keep: BandEnergy          // 1 − α
            var scattering: BandEnergy    // s
            /// s is the same in every band: a turn leaves the bands' weights as they were.
            var uniformScattering: Bool
            var scatters: Bool            // s > 0 in some band
            /// Sides of the equivalent rectangle of the flat wall the polygon belongs to (metres,
            /// `PlanarRegions`), for the diffraction of a finite surface, and whether that wall has an
            /// edge that diffracts at all (`PlanarRegions.diffracting`).
            var width: Double, length: Double
            var diffracts: Bool
            /// Whether the surface is one of the room's own walls (not an object's face).
            var isShell: Bool
        }
        let caster: RayCaster
        /// The surfaces in raw memory: the hot loop reads them in place instead of copying them.
        let surfaceTable: SurfaceTable
        var surfaces: UnsafePointer<SurfaceData> { UnsafePointer(surfaceTable.pointer) }
        let needsVisibility: Bool
        let inverseSpeed: Double
        let source: Vec3, receiver: Vec3
        /// The receiver sphere (the listening area the rays' legs are counted over) and the small
        /// sphere at the listener's point the diffuse rain aims at (`Scene.autoReceiverRadius`,
        /// `Scene.rainRadius`).
        let radius: Double, radius2: Double, rainRadius2: Double
        let sphereScale: Float, rainScale: Float
        let speed: Double, delay: Double, maxLength: Double
        let transitionOrder: Int
        /// The walls' specular paths are image sources at every order (see `ResolvedSimulation`).
        let shellEveryOrder: Bool
        let shellOrder: Int
        let bandCount: Int, binCount: Int, binSeconds: Double
        let head: (forward: Vec3, left: Vec3, up: Vec3)
        let grid = SphereGrid()
        let rayCount: Int
        let streamSeed: UInt64
        let airCoefficients: [Double]
        /// Finite-surface (diffraction) scattering on (see `diffractionFactor`).
        let diffraction: Bool
        /// Band centre frequencies (Hz), zero in unused lanes; 1 in used lanes.
        let frequencies: BandEnergy, bandMask: BandEnergy

        init(scene: Scene, speakerIndex: Int, plan: ResolvedSimulation, pass: Int = 0) {
            let bands = FrequencyBands.octaves.count
            precondition(bands <= BandEnergy.scalarCount, "the ray tracer carries at most \(BandEnergy.scalarCount) bands")
            bandCount = bands
            let speaker = scene.speakers[speakerIndex]
            caster = RayCaster(polygons: scene.surfaces.map(\.polygon))
            let useScattering = scene.simulation.scattering
            // Diffraction sees the flat wall a polygon belongs to, not the polygon (see PlanarRegions).
            let rectangles = PlanarRegions.equivalentRectangles(scene.surfaces.map(\.polygon))
            // Which walls have an edge that diffracts: only asked when diffraction could act at all.
            let mayDiffract = useScattering && scene.simulation.diffraction && plan.maxOrder != Int.max
            let diffracting = mayDiffract ? PlanarRegions.diffracting(scene.surfaces.map(\.polygon), isAir: scene.contains)
                                          : [Bool](repeating: false, count: scene.surfaces.count)
            let surfaceData = zip(zip(scene.surfaces, rectangles), diffracting).map { pair, diffracts in
                let (s, rectangle) = pair
                let (u, v) = s.polygon.planeAxes
                var keep = BandEnergy(repeating: 0), scat = BandEnergy(repeating: 0)
                for b in 0..<bands {
                    keep[b] = Float(1 - s.material.absorption[b])
                    scat[b] = useScattering ? Float(s.material.scattering[b]) : 0
                }
                let uniform = (0..<bands).allSatisfy { scat[$0] == scat[0] }
                return SurfaceData(normal: s.polygon.normal, u: u, v: v, keep: keep, scattering: scat, uniformScattering: uniform,
                                   scatters: scat.max() > 0, width: rectangle.width, length: rectangle.length,
                                   diffracts: diffracts, isShell: s.objectName == nil)
            }
            // With every image source within the duration (plain shoebox, "auto") the image sources
            // carry all specular paths and diffraction would only touch already-diffuse rays.
            // A room whose every edge is a concave joint (a shoebox, any box-walled floor plan without
            // inner corners or objects) has nothing that diffracts.
            diffraction = mayDiffract && diffracting.contains(true)
            var f = BandEnergy(repeating: 0), mask = BandEnergy(repeating: 0)
            for b in 0..<bands { f[b] = Float(FrequencyBands.octaves.centres[b]); mask[b] = 1 }
            frequencies = f
            bandMask = mask
            surfaceTable = SurfaceTable(surfaceData)
            needsVisibility = !caster.isConvex
            source = speaker.position
            receiver = scene.listener.position
            radius = plan.receiverRadius
            radius2 = radius * radius
            let rain = min(radius, scene.rainRadius(max: 1))
            rainRadius2 = rain * rain
            // SPEC §2 units: fluence / (4π) (see EnergyField). The sphere's volume is its air part.
            sphereScale = Float(1 / scene.receiverAirVolume(radius: radius) / (4 * .pi))
            rainScale = Float(1 / (.pi * rainRadius2) / (4 * .pi))
            speed = scene.air.speedOfSound
            inverseSpeed = 1 / scene.air.speedOfSound
            delay = speaker.delaySeconds
            maxLength = max(0, (plan.durationSeconds - speaker.delaySeconds) * speed)
            transitionOrder = plan.maxOrder
            shellEveryOrder = plan.shellEveryOrder
            shellOrder = plan.shellOrder
            binSeconds = plan.binSeconds
            binCount = max(1, Int((plan.durationSeconds / plan.binSeconds).rounded(.up)))
            let o = scene.listener.orientation
            head = (o.forward, o.up.cross(o.forward), o.up)
            rayCount = plan.rays
            streamSeed = RandomStream.derive(scene.simulation.seed, UInt64(speakerIndex), 0x5241_5953 ^ (UInt64(pass) << 32)) // "RAYS"
            var rng = SplitMix64Generator(seed: RandomStream.derive(streamSeed, UInt64.max, 0))
            airCoefficients = scene.simulation.airAbsorption ? AirAbsorption.energyCoefficients(air: scene.air).values
                : Array(repeating: 0, count: bands)
            emitter = Emitter(scene: scene, speaker: speaker, bands: bands, rays: plan.rays, turn: 2 * .pi * rng.nextDouble())
            let area = scene.surfaceArea
            let absorptionArea = scene.absorptionArea
            var decay = BandEnergy(repeating: 0)
            for b in 0..<bands {
                let alpha = min(0.999, max(0, absorptionArea[b] / max(area, 1e-9)))
                decay[b] = Float(-log2(1 - alpha))
            }
            splitDecay = decay
            splitBudget = diffraction || surfaceData.contains { $0.scatters } ? RayTracer.splitBudget : 0
        }
        let emitter: Emitter
        /// What an average reflection takes from a ray, per band, in log₂: −log₂(1 − ᾱ_b), ᾱ_b the
        /// area-weighted mean absorption. The splitting reference: a ray with n reflections behind
        /// it that carries much more than e₀(1 − ᾱ)ⁿ has kept missing the absorbing surfaces.
        let splitDecay: BandEnergy
        /// Splitting threshold (log₂ above the reference) and extra copies allowed per emitted ray;
        /// budget 0 where no surface scatters (copies of a specular ray would retrace one path).
        var splitExcess = RayTracer.splitExcess
        var splitBudget: Int

        /// Air absorption exp(−m_b·c·(t − speaker delay)) at each bin's (and frame's) centre.
        func applyAir(_ field: inout EnergyField) {
            guard airCoefficients.contains(where: { $0 > 0 }) else { return }
            let m = airCoefficients, speed = speed, delay = delay, bands = bandCount
            field.scale { t in
                let length = max(0, (t - delay) * speed)
                var f = BandEnergy(repeating: 1)
                for b in 0..<bands { f[b] = Float(exp(-m[b] * length)) }
                return f
            }
        }

        /// Head-frame cell of a world-frame arrival direction (unit vector pointing toward where the
        /// sound comes from).
        @inline(__always)
        func cell(_ from: Vec3) -> Int {
            grid.cell(Vec3(from.dot(head.forward), from.dot(head.left), from.dot(head.up)))
        }

        /// A ray waiting to be traced further: a copy made by splitting (see `trace`).
        struct PendingRay {
            var o: Vec3, d: Vec3, raw: BandEnergy, density: BandEnergy, weight: BandEnergy
            var travelled: Double
            var order: Int
            var specularHistory: Bool, shellOnly: Bool, countSegment: Bool
            var from: Int
            var rng: SplitMix64Generator
        }

        /// Traces ray `i`, adding what the listener receives to `field`.
        ///
        /// The ray's energy is `raw` × `weight`: `raw` the emitted energy times every (1 − α_b) (and
        /// roulette's and splitting's factors), `weight` the hero-band balance weight
        /// f_b / ((1/B) Σ_k f_k) of its turns so far, kept as `density` (f_k scaled to a largest lane
        /// of 1, which the ratio does not see).
        func trace(ray i: Int, into field: EnergyFieldAccumulator) -> (reflections: Int, lost: Bool, copies: Int) {
            var rng = SplitMix64Generator(seed: RandomStream.derive(streamSeed, UInt64(i), 1))
            // Every batch (slot i mod 8) holds every hero band equally often.
            let hero = (i / RayTracer.slotCount) % bandCount
            var (d, raw) = emitter.ray(i)
            var density = bandMask, weight = bandMask
            var e = raw
            let reference = emitter.referenceEnergy * RayTracer.rouletteThreshold
            // Splitting reference: log₂ of what the strongest emitted ray carries after n average
            // reflections at the least absorbing band, log₂ e₀ − n·λ.
            let splitOrigin = Double(log2(emitter.referenceEnergy))
            var slowest = Float.greatestFiniteMagnitude
            for b in 0..<bandCount { slowest = min(slowest, splitDecay[b]) }
            let splitSlope = Double(slowest)
            var budget = splitBudget
            var pending: [PendingRay] = []
            var o = source
            var travelled = 0.0
            var order = 0
            var specularHistory = true
            // Every reflection so far specular and off a wall (not an object).
            var shellOnly = true
            // The direct sound belongs to the image sources unless the transition order is −1
            // (rays alone).
            var countSegment = transitionOrder < 0
            var from = -1
            var reflections = 0
            var lost = false
            while true {
                while true {
                    guard let hit = caster.firstHit(origin: o, direction: d, skip: from) else { lost = true; break }
                    if countSegment { receive(origin: o, direction: d, length: hit.t, travelled: travelled, energy: e, into: field) }
                    travelled += hit.t
                    if travelled >= maxLength { break }
                    let p = o + hit.t * d
                    let s = surfaces + hit.surface
                    order += 1
                    reflections += 1
                    raw *= s.pointee.keep
                    e = raw * weight
                    var scattering = s.pointee.scattering
                    var uniform = s.pointee.uniformScattering
                    let n = s.pointee.normal
                    shellOnly = shellOnly && s.pointee.isShell
                    // Whether the image sources carry this ray's path so far (specular, within their orders).
                    let imaged = specularHistory && (order <= transitionOrder || (shellEveryOrder && shellOnly && order <= shellOrder))
                    // Beyond the image sources' share, a finite surface also scatters by diffraction.
                    if diffraction && s.pointee.diffracts && !imaged {
                        let k = diffractionFactor(s, incidence: hit.t, cosine: abs(d.dot(n)))
                        scattering = bandMask - (bandMask - scattering) * k
                        uniform = false
                    }
                    if uniform ? s.pointee.scatters : largest(scattering) > 0 {
                        rain(from: p, surface: s, index: hit.surface, travelled: travelled, energy: e * scattering, into: field)
                    }
                    let turn: BandEnergy
                    if scattering[hero] > 0 && rng.nextFloat() < scattering[hero] {
                        d = lambert(s, &rng)
                        turn = scattering
                        specularHistory = false
                        countSegment = false
                    } else {
                        d = d - 2 * d.dot(n) * n
                        turn = bandMask - scattering
                        countSegment = !imaged
                    }
                    if !uniform {
                        // The hero's lane is > 0 (its own choice had probability q_h > 0).
                        density *= turn
                        density *= 1 / largest(density)
                        weight = density * (Float(bandCount) / density.sum())
                        e = raw * weight
                    }
                    o = p
                    from = hit.surface
                    let strongest = largest(e)
                    if strongest < reference {
                        if rng.nextFloat() >= RayTracer.rouletteSurvival { break }
                        raw *= 1 / RayTracer.rouletteSurvival
                        e = raw * weight
                    } else if budget > 0 {
                        // log₂ of the energy from the float's bits, exponent + mantissa fraction (within
                        // 0.09; the energy is a normal number here, above the roulette's floor). The
                        // unweighted energy: a hero-band weight says how the bands' scattering
                        // differed along the path, not that it kept missing the absorbers.
                        let kept = largest(raw)
                        let excess = Double(kept.bitPattern) * 0x1p-23 - 127 - (splitOrigin - splitSlope * Double(order))
                        if excess > splitExcess {
                            let copies = min(RayTracer.maximumCopies, budget + 1, max(2, Int(exp2(excess))))
                            raw *= 1 / Float(copies)
                            e = raw * weight
                            for _ in 1..<copies {
                                pending.append(PendingRay(o: o, d: d, raw: raw, density: density, weight: weight, travelled: travelled, order: order,
                                                          specularHistory: specularHistory, shellOnly: shellOnly, countSegment: countSegment,
                                                          from: from, rng: SplitMix64Generator(seed: rng.next())))
                            }
                            budget -= copies - 1
                        }
                    }
                }
                guard let next = pending.popLast() else { break }
                (o, d, raw, density, weight, travelled, order) = (next.o, next.d, next.raw, next.density, next.weight, next.travelled, next.order)
                (specularHistory, shellOnly, countSegment, from, rng) = (next.specularHistory, next.shellOnly, next.countSegment, next.from, next.rng)
                e = raw * weight
            }
            return (reflections, lost, splitBudget - budget)
        }

        /// The specular share K_b left by diffraction at a finite surface (Rindel 1986, "Attenuation
        /// of sound reflections due to diffraction"; used as a scattering coefficient by Christensen
        /// & Rindel 2005, "A new scattering method that combines roughness and diffraction effects"):
        /// a reflector of side x, seen at the characteristic distance a* and incidence cos θ, reflects
        /// specularly above f_x = c·a*/(2(x cos θ)²) and only the share f/f_x below it; K = K_w·K_l,
        /// and the surface's scattering becomes 1 − (1 − s)·K. a* is the incoming leg (the outgoing
        /// one is not known yet), so K → 1 (specular) for large surfaces at moderate incidence, and
        /// small panels, beams and grazing incidence scatter the low frequencies.
        @inline(__always)
        func diffractionFactor(_ s: UnsafePointer<SurfaceData>, incidence: Double, cosine: Double) -> BandEnergy {
            let scale = 2 / (speed * max(incidence, 1e-3))
            let w = s.pointee.width * cosine, l = s.pointee.length * cosine
            let kw = lanesMin(frequencies * Float(scale * w * w), BandEnergy(repeating: 1))
            let kl = lanesMin(frequencies * Float(scale * l * l), BandEnergy(repeating: 1))
            return kw * kl
        }

        /// The receiver sphere's share of the segment o + t·d, 0 ≤ t ≤ length (d unit length).
        @inline(__always)
        func receive(origin o: Vec3, direction d: Vec3, length: Double, travelled: Double, energy e: BandEnergy, into field: EnergyFieldAccumulator) {
            let toR = receiver - o
            let tc = toR.dot(d)
            let miss2 = toR.dot(toR) - tc * tc
            guard miss2 < radius2 else { return }
            let half = (radius2 - miss2).squareRoot()
            let a = max(0, tc - half), b = min(length, tc + half)
            guard b > a else { return }
            let time = (travelled + max(0, min(length, tc))) * inverseSpeed + delay
            field.add(seconds: time, cell: cell(-d), energy: e * Float(b - a) * sphereScale)
        }

        /// Diffuse rain: the scattered energy `e` leaving point `p` of a surface, sent straight to
        /// the receiver sphere when nothing blocks the way.
        @inline(__always)
        func rain(from p: Vec3, surface s: UnsafePointer<SurfaceData>, index: Int, travelled: Double, energy e: BandEnergy,
                  into field: EnergyFieldAccumulator) {
            let v = receiver - p
            let projection = s.pointee.normal.dot(v) // = cos γ · distance
            guard projection > 0 else { return }
            let dist2 = v.dot(v)
            let inverse = 1 / dist2.squareRoot()
            // Cone fraction 2 cos γ (1 − cos β), sin²β = R²/d²; 1 − √(1 − x) by its series for
            // small x (error < 3·10⁻⁶ relative below x = 0.1), exactly otherwise.
            let x = min(1, rainRadius2 * inverse * inverse)
            let cap = x < 0.1 ? x * (0.5 + x * (0.125 + x * (0.0625 + x * 0.0390625))) : 1 - (1 - x).squareRoot()
            let fraction = 2 * projection * inverse * cap
            if needsVisibility && !caster.isClear(p, receiver, skip: index) { return }
            let time = (travelled + dist2 * inverse) * inverseSpeed + delay
            field.add(seconds: time, cell: cell(v * -inverse), energy: e * Float(fraction) * rainScale)
        }

        /// A cosine-weighted (Lambert) direction about the surface normal, by Malley's method: a
        /// point uniform in the unit disk (rejection sampling, no trigonometry) lifted to the
        /// hemisphere (Pharr, Jakob & Humphreys, *Physically Based Rendering*, §13.6.3).
        @inline(__always)
        func lambert(_ s: UnsafePointer<SurfaceData>, _ rng: inout SplitMix64Generator) -> Vec3 {
            var x = 0.0, y = 0.0, r2 = 0.0
            repeat {
                x = 2 * rng.nextDouble() - 1
                y = 2 * rng.nextDouble() - 1
                r2 = x * x + y * y
            } while r2 >= 1
            return x * s.pointee.u + y * s.pointee.v + max(0, 1 - r2).squareRoot() * s.pointee.normal
        }
    }
}

extension RayTracer.Setup {
    /// The surfaces' ray data in raw memory, written once.
    final class SurfaceTable: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<SurfaceData>
        let count: Int
        init(_ surfaces: [SurfaceData]) {
            count = surfaces.count
            pointer = .allocate(capacity: max(1, count))
            pointer.initialize(from: surfaces, count: count)
        }
        deinit { pointer.deinitialize(count: count); pointer.deallocate() }
    }
}

