import Foundation

/// What the image-source stage returns for one speaker.
public struct ImageSourceResult: Sendable {
    /// Paths of order ≤ the detail order, and every path within the early window of the binaural
    /// synthesis, sorted by arrival. Only the listed orders carry surfaces and reflection points.
    public var paths: [Path]
    /// Every image source's arrival at the omnidirectional receiver, per band: each path's
    /// `bandGains / (4π r)` placed at its fractional delay (`FractionalDelayTable`), before the band
    /// filters — the input of the synthesis stage (`ImpulseSynthesis`). Sample `offset` is time 0.
    public var arrivals: BandAccumulator
    /// The shoebox's image sources, likewise, on the finer grid (`ArrivalGrid`: `arrivals` then
    /// holds the paths via objects, if any); nil for other rooms.
    public var grid: ArrivalGrid?
    /// Number of valid image sources that contributed to the RIR (a shoebox's images whose walls
    /// attenuate them by more than 180 dB are left out: `ShoeboxImageSources.AxisFactors`).
    public var imageCount: Int
    /// The largest reflection order used (shoebox: every image within the duration; with objects,
    /// the order of the paths that touch them).
    public var maxOrder: Int
    /// Whether the analytic shoebox enumeration was used.
    public var usedShoebox: Bool
    /// Per band: energy of the paths arriving more than 80 ms after the direct sound, and the part
    /// of it along the listener's ear axis (Σ E cos²φ, φ the angle to the ear axis).
    public var lateEnergy: [Double]
    public var lateLateralEnergy: [Double]
    /// The paths' energies per band at their delays (`EnergyResponse`; the hybrid adds the ray field).
    public var energy: EnergyResponse
    /// With rays: `energy` recomputed from each balanced half of the ray tracer's eight batches, in
    /// complementary pairs, for the estimate of the counting noise of every parameter
    /// (`HalfSamples`); empty without.
    public var energyReplicates: [EnergyResponse] = []
}

/// Settings of a run after defaults and "auto" are resolved.
public struct ResolvedSimulation: Sendable {
    public var sampleRate: Int
    public var durationSeconds: Double
    public var frames: Int { Int((durationSeconds * Double(sampleRate)).rounded()) }
    /// Image-source order limit; `Int.max` = every image within the duration (plain shoebox).
    public var maxOrder: Int
    /// The room's own walls have image sources at every order within the duration (a shoebox with
    /// "auto" order: Allen–Berkley, objects occluding) — up to `shellOrder` — while paths that touch
    /// an object stop at `maxOrder`. The ray tracer then leaves every specular path of the walls up
    /// to `shellOrder` alone.
    public var shellEveryOrder: Bool = false
    /// The walls' image order limit when `shellEveryOrder`: `Int.max` (every image within the
    /// duration) unless that is more than `Scene.shellImageBudget` images.
    public var shellOrder: Int = .max
    /// How the order was chosen, for the user.
    public var maxOrderNote: String
    public var threads: Int
    /// Paths up to this order are kept for reflections.json and the plots.
    public var detailOrder: Int
    /// Paths arriving up to this long after the speaker's direct sound are also kept (the early
    /// part the binaural synthesis renders through HRIRs, plus its cross-fade).
    public var keepEarlySeconds: Double = BinauralSynthesizer.earlySeconds + BinauralSynthesizer.fadeSeconds
    /// Rays per speaker (0 = image sources only).
    public var rays: Int = 0
    /// How the ray count was chosen, for the user.
    public var raysNote: String = ""
    /// Up to this many independent passes of `rays` rays per speaker: another pass while the
    /// counting noise leaves a parameter short of decision grade (`RayPasses`). 1 for a ray count
    /// given in the room file or on the command line.
    public var rayPasses: Int = 1
    /// Radius of the ray tracer's receiver sphere, metres.
    public var receiverRadius: Double = 0.3
    /// Time resolution of the ray tracer's energy field, seconds.
    public var binSeconds: Double = 0.001
    /// Whether the image sources also tally their expected energy response and late sums
    /// (`ImageSourceResult.energy`, `lateEnergy`: the inputs of the binaural metrics). A run without
    /// an HRTF leaves them out (empty and zero), which saves a third of the image-source work.
    public var tallyEnergy: Bool = true
    /// Whether a shoebox's images go to the finer arrival grid (`ArrivalGrid`) or through the
    /// sample-rate kernel; nil: whichever costs less (`ArrivalGrid.pays`).
    public var arrivalGrid: Bool? = nil
}

extension Scene {
    /// SPEC §2 `duration: "auto"`: long enough for the energy to fall 60 dB in every band — the
    /// farthest speaker's direct-sound delay plus the longer of the longest Sabine RT60 over the
    /// bands and 1.1 × the longest decay a quick ray-traced probe measures (`DecayProbe`: rooms
    /// whose absorption sits on some surfaces decay more slowly than any diffuse-field formula says —
    /// the L-shaped den's T30 is twice its Sabine RT60) — at least 0.2 s and at most 10 s.
    public func autoDurationSeconds(threads: Int = defaultThreadCount) -> Double {
        let rt = statisticalRT60().sabine.values.max() ?? 1
        let direct = speakers.map { $0.position.distance(to: listener.position) / air.speedOfSound + $0.delaySeconds }.max() ?? 0
        let measured = DecayProbe.longestDecay(scene: self, horizon: min(10, max(0.3, 3 * rt + direct)), threads: threads)
        return min(10, max(0.2, max(rt, 1.1 * (measured ?? 0)) + direct))
    }

    /// True for a rectangular room (with or without objects).
    public var isShoebox: Bool {
        if case .shoebox = shape { return true }
        return false
    }

    /// The largest order whose image tree over `surfaceCount` surfaces stays within `budget` candidates (1…40).
    static func largestOrder(surfaceCount: Int, budget: Double) -> Int {
        var k = 1
        while k < 40 && PolyhedralImageSources.treeSize(surfaceCount: surfaceCount, order: k + 1) <= budget { k += 1 }
        return k
    }

    /// True when the analytic shoebox engine applies (a shoebox without objects).
    public var isPlainShoebox: Bool {
        if case .shoebox = shape { return objects.isEmpty }
        return false
    }

    /// Images of a shoebox's walls an "auto" order computes per speaker (each costs a few hundred
    /// nanoseconds: shading and placing its arrival in every band).
    public static let shellImageBudget = 2e7

    /// The number of shoebox images of order ≤ k: the lattice points (u, v, w) ∈ ℤ³ with
    /// |u| + |v| + |w| ≤ k (an image u cells along an axis has |u| reflections off that axis' walls;
    /// Allen & Berkley 1979), the octahedral number (2k + 1)(2k² + 2k + 3) / 3.
    static func shellImages(order k: Int) -> Double {
        let k = Double(k)
        return (2 * k + 1) * (2 * k * k + 2 * k + 3) / 3
    }

    /// Resolves `simulation`'s "auto" values. For a shoebox "auto" order means every image of its
    /// walls within the duration (exact; objects occlude them) — when those are more than
    /// `shellImageBudget` (a long response of a small room: their number grows as (cT)³/V), the
    /// images up to the order that holds the budget, and the rays carry the walls' higher specular
    /// orders — and for the paths that touch an object — and for every other room — the largest
    /// order whose image tree stays within `imageBudget` candidates.
    public func resolve(threads: Int = defaultThreadCount, detailOrder: Int = 3, imageBudget: Double = 5e7,
                        shellImageBudget: Double = Scene.shellImageBudget) -> ResolvedSimulation {
        let duration: Double
        switch simulation.durationSeconds { case .auto: duration = autoDurationSeconds(threads: threads); case .value(let d): duration = d }
        let order: Int, note: String
        switch simulation.maxOrder {
        case .value(let n):
            order = n
            note = "maxOrder \(n) (from the room file or --max-order)"
        case .auto where isPlainShoebox:
            order = Int.max
            note = "maxOrder auto: every image source within \(String(format: "%.2f", duration)) s (shoebox, Allen–Berkley)"
        case .auto where isShoebox:
            // The shell's images at every order; the objects' paths (Borish) up to the budget.
            let k = Scene.largestOrder(surfaceCount: surfaces.count, budget: imageBudget)
            order = k
            note = String(format: "maxOrder auto: every wall image within %.2f s (shoebox, Allen–Berkley, objects occluding); paths via objects to order %d",
                          duration, k)
        case .auto:
            let k = Scene.largestOrder(surfaceCount: surfaces.count, budget: imageBudget)
            order = k
            note = String(format: "maxOrder auto: %d (about %.2g candidate images over %d surfaces)", k,
                          PolyhedralImageSources.treeSize(surfaceCount: surfaces.count, order: k), surfaces.count)
        }
        var plan = ResolvedSimulation(sampleRate: simulation.sampleRate, durationSeconds: duration, maxOrder: order,
                                      maxOrderNote: note, threads: max(1, threads), detailOrder: detailOrder)
        if case .auto = simulation.maxOrder, isShoebox {
            plan.shellEveryOrder = true
            // Images within c·T: the sphere's volume over the room's (one image per room volume).
            let reach = air.speedOfSound * duration
            if 4.0 / 3 * .pi * reach * reach * reach / volume > shellImageBudget {
                var k = 1
                while Scene.shellImages(order: k + 1) <= shellImageBudget { k += 1 }
                plan.shellOrder = k
                if isPlainShoebox { plan.maxOrder = k }
                plan.maxOrderNote = String(format: "maxOrder auto: wall images to order %d (about %.0e, the budget; every image within %.2f s would be %.0e), the rays carry higher orders",
                                           k, Scene.shellImages(order: k), duration, 4.0 / 3 * .pi * reach * reach * reach / volume)
                    + (isPlainShoebox ? "" : String(format: "; paths via objects to order %d", order))
            }
        }
        switch simulation.receiverRadius {
        case .auto: plan.receiverRadius = autoReceiverRadius(raysAlone: plan.maxOrder < 0)
        case .value(let r): plan.receiverRadius = r
        }
        switch simulation.rays {
        case .value(let n):
            plan.rays = n
            plan.raysNote = n == 0 ? "rays 0: image sources only" : "rays \(n) (from the room file or --rays)"
        case .auto:
            plan.rays = autoRayCount(durationSeconds: duration, receiverRadius: plan.receiverRadius)
            // As many passes as the work budget holds (`WorkEstimate`), at most `RayPasses.maximum`.
            let perPass = Double(plan.rays) * Double(speakers.count) * max(1, air.speedOfSound * duration * surfaceArea / (4 * volume))
            plan.rayPasses = max(1, min(RayPasses.maximum, Int(WorkEstimate.reflectionBudget / max(perPass, 1))))
            plan.raysNote = String(format: "rays auto: %d per speaker and pass, up to %d passes (%.0f m³, %.2f s, receiver sphere %.2f m)",
                                   plan.rays, plan.rayPasses, volume, duration, plan.receiverRadius)
        }
        return plan
    }

    /// The receiver sphere: the *listening area* over which the ray tracer's share of the response
    /// is evaluated, 0.25·V^⅓ between 0.3 and 3 m. Its volume estimator (energy × chord / volume)
    /// counts the specular legs the rays carry beyond the image sources; the count it sees grows as
    /// R², so its noise falls as 1/R, and the late field it measures is the room's reverberation,
    /// which is the same over such a region in expectation (ISO 3382-1's measurements likewise
    /// average several positions). The direct sound, the image sources and the diffuse rain stay at the
    /// listener's point (`rainRadius`). Where the sphere reaches through a surface or into an object
    /// its volume is the air part (`receiverAirVolume`). With rays alone (transition order −1) the
    /// direct sound is counted by the sphere too: a sphere around the listener's point then,
    /// `rainRadius`.
    public func autoReceiverRadius(raysAlone: Bool = false) -> Double {
        raysAlone ? rainRadius(max: 1) : max(0.3, min(3, 0.25 * cbrt(volume)))
    }

    /// The radius of the small sphere the diffuse rain aims at, and the sphere of a rays-alone run:
    /// 0.1·V^⅓ between 0.1 m and `max`, at most 0.9 × the listener's distance to the nearest surface
    /// (the rain's cone formula assumes the whole sphere in front of the surface).
    public func rainRadius(max limit: Double) -> Double {
        max(0.02, min(max(0.1, min(limit, 0.1 * cbrt(volume))), 0.9 * (listenerClearance ?? 1)))
    }

    /// The listener's distance to the nearest surface (wall or object face); nil for no surfaces.
    var listenerClearance: Double? { surfaces.map { $0.polygon.distance(to: listener.position) }.min() }

    /// The air volume inside the receiver sphere of radius `r` about the listener: 4πr³/3 when no
    /// surface is nearer than r, else that times the share of 32 768 points of the sphere's cube that
    /// lie in the room's air (`contains`) among those in the sphere. The points are the R₃ sequence
    /// (Roberts 2018, "The unreasonable effectiveness of quasirandom sequences": the Kronecker
    /// sequence of 1/g, 1/g², 1/g³, g⁴ = g + 1), which no wall is aligned with (within 1.5 % of
    /// the spherical cap's exact volume in the tests), and deterministic.
    public func receiverAirVolume(radius r: Double) -> Double {
        let full = 4.0 / 3 * .pi * r * r * r
        let centre = listener.position
        guard let nearest = listenerClearance, nearest < r else { return full }
        let g = 1.2207440845519208
        let step = Vec3(1 / g, 1 / (g * g), 1 / (g * g * g))
        var inside = 0, air = 0
        for i in 0..<32_768 {
            let u = Vec3(repeating: 0.5) + Double(i) * step
            let q = 2 * (u - Vec3(u.x.rounded(.down), u.y.rounded(.down), u.z.rounded(.down))) - Vec3(repeating: 1)
            guard q.dot(q) <= 1 else { continue }
            inside += 1
            if contains(centre + r * q) { air += 1 }
        }
        return full * Double(max(air, 1)) / Double(inside)
    }

    /// `rays: "auto"`: enough rays that the receiver sphere sees about 1 000 ray crossings per 1-ms
    /// bin of the late field (a random ray crosses a sphere of radius R at the rate c·πR²/V,
    /// Vorländer 2008 §11.2.3; the late decay of a room with uneven absorption rides on a small
    /// share of them), between 2 000 and 1 000 000, and at most what keeps the traced reflections
    /// (rays × duration × c·S/4V, the mean-free-path rate) under 4·10⁷.
    public func autoRayCount(durationSeconds: Double, receiverRadius r: Double) -> Int {
        let c = air.speedOfSound
        let crossingsPerRayPerBin = c * .pi * r * r / volume * 0.001
        var n = 1000 / max(crossingsPerRayPerBin, 1e-9)
        let reflectionsPerRay = durationSeconds * c * surfaceArea / (4 * volume)
        n = min(n, 4e7 / max(reflectionsPerRay, 1))
        return Int(max(2000, min(1_000_000, n)).rounded())
    }

    /// Number of bands the synthesis needs: 1 when every path's gains are the same in every band
    /// (band-flat absorption and scattering, no air absorption, omni speaker), else the octave bands.
    func synthesisBandCount(for speaker: Speaker) -> Int {
        let flat = surfaces.allSatisfy { s in
            s.material.absorption.values.allSatisfy { $0 == s.material.absorption[0] }
                && s.material.scattering.values.allSatisfy { $0 == s.material.scattering[0] }
        }
        return flat && !simulation.airAbsorption && speaker.directivity.isOmni ? 1 : FrequencyBands.octaves.count
    }
}

/// The image-source stage: the specular paths of one speaker and their arrivals per band at the
/// listener (Allen & Berkley 1979 for the shoebox; Borish 1984 for any polyhedron).
public enum ImageSourceEngine {
    /// Work slots: fixed, so the summation order (and the output, bit for bit) does not depend on
    /// the thread count. A shoebox's slot s takes the images in its shell s of distance
    /// (`ShoeboxImageSources.enumerate(shell:of:)`), and its grid covers only that stretch of time.
    static let slotCount = 8

    public static func run(scene: Scene, speakerIndex: Int, plan: ResolvedSimulation) -> ImageSourceResult {
        let speaker = scene.speakers[speakerIndex]
        let fs = Double(plan.sampleRate)
        let bands = scene.synthesisBandCount(for: speaker)
        let table = FractionalDelayTable.shared
        // Arrivals up to the end of the IR, plus half a kernel so the last samples are complete.
        let reach = scene.air.speedOfSound * (plan.durationSeconds - speaker.delaySeconds + Double(table.halfWidth + 1) / fs)
        let shader = PathShader(scene: scene, speaker: speaker, bandCount: bands)
        let pad = max(table.halfWidth + 1, Int(0.1 * fs))
        let length = plan.frames + 2 * pad
        let listener = scene.listener
        let keepUntil = speaker.position.distance(to: listener.position) / scene.air.speedOfSound + speaker.delaySeconds + plan.keepEarlySeconds
        // A shoebox's shell at every order (Allen–Berkley, objects occluding); the paths that touch an
        // object, and every path of any other room, from the general engine up to the transition order.
        let shoebox = ShoeboxImageSources(scene: scene, speaker: speaker, maxDistance: reach,
                                          maxOrder: plan.shellEveryOrder ? plan.shellOrder : plan.maxOrder,
                                          detailOrder: plan.detailOrder, bandCount: bands, withObjects: plan.shellEveryOrder)
        let objectFaces = scene.surfaces.map { $0.objectName != nil }
        let polyhedral = shoebox == nil || (plan.maxOrder >= 1 && objectFaces.contains(true))
            ? PolyhedralImageSources(scene: scene, speaker: speaker, maxDistance: reach, maxOrder: min(plan.maxOrder, 1000), bandCount: bands,
                                     onlyVia: shoebox == nil ? nil : objectFaces)
            : nil
        let slots = Slots<(BandAccumulator, [Path], Int, [Double], [Double], [SlotTallies], ArrivalGrid?)>(count: slotCount)
        let lateStart = speaker.position.distance(to: listener.position) / scene.air.speedOfSound + speaker.delaySeconds + 0.08
        let o = listener.orientation
        let earAxis = o.up.cross(o.forward)
        let c = scene.air.speedOfSound
        // A shoebox's images go to the finer grid when they are many (its transforms then cost less
        // than the sample-rate kernel per image; `ArrivalGrid.pays`), else to the sample-rate buffers.
        let shellOrder = plan.shellEveryOrder ? plan.shellOrder : plan.maxOrder
        let sphere = 4 / 3 * Double.pi * reach * reach * reach / scene.volume
        let useGrid = shoebox != nil && (plan.arrivalGrid ?? ArrivalGrid.pays(images: shellOrder == Int.max ? sphere : min(sphere, Scene.shellImages(order: shellOrder)),
                                                                              bands: bands, length: length))
        parallelFor(slotCount, threads: plan.threads) { slot in
            var acc = BandAccumulator(bandCount: bands, length: length, offset: pad, empty: polyhedral == nil && useGrid)
            var grid = shoebox.flatMap { sb -> ArrivalGrid? in
                guard useGrid else { return nil }
                let delays = (0...1).map { i in (sb.shellBound(slot + i, of: slotCount).squareRoot() / c + speaker.delaySeconds) * fs }
                return ArrivalGrid(length: length, offset: pad, range: ArrivalGrid.points(delaySamples: delays[0]...delays[1], offset: pad))
            }
            // The slot's energy bins: its shell's stretch of time, or all of it for the general engine.
            let distances = shoebox.map { sb in (sb.shellBound(slot, of: slotCount).squareRoot(), sb.shellBound(slot + 1, of: slotCount).squareRoot()) }
                ?? (0, reach)
            let bins = (0...1).map { i in Int(([distances.0, distances.1][i] / c + speaker.delaySeconds) / EnergyResponse.binSeconds) + 2 * i - 1 }
            let tallies = SlotTallies(firstBin: max(0, bins[0]), endBin: max(0, bins[1]))
            var work = SlotWork(shader: shader, speedOfSound: c, emissionDelay: speaker.delaySeconds, listener: listener.position,
                                earAxis: earAxis, secondsPerMetre: 1 / c, lateStart: lateStart, tallies: tallies, tallyEnergy: plan.tallyEnergy)
            if let shoebox, !useGrid {
                var visitor = ShoeboxVisitor(work: work, grid: nil, accumulator: acc, shoebox: shoebox, speaker: speaker, listener: listener,
                                             detailOrder: plan.detailOrder, keepUntil: keepUntil)
                shoebox.enumerate(shell: slot, of: slotCount, visitor: &visitor)
                visitor.finish()
                work = visitor.work
                acc = visitor.accumulator
            }
            if let shoebox, useGrid {
                grid!.withWriter { writer in
                    var visitor = ShoeboxVisitor(work: work, grid: writer, accumulator: acc, shoebox: shoebox, speaker: speaker, listener: listener,
                                                 detailOrder: plan.detailOrder, keepUntil: keepUntil)
                    shoebox.enumerate(shell: slot, of: slotCount, visitor: &visitor)
                    visitor.finish()
                    work = visitor.work
                }
                // Air absorption by path length, on the whole slot at once (the images above leave it out).
                if shader.hasAir && plan.tallyEnergy {
                    tallies.attenuate(perMetre: 2 * shader.airAmplitudeCoefficients, metresAtZero: -speaker.delaySeconds * c,
                                      metresPerBin: c * EnergyResponse.binSeconds)
                }
                if shader.hasAir {
                    let k = shader.airAmplitudeCoefficients
                    grid!.attenuate(perMetre: k, metresAtZero: -(Double(pad) / fs + speaker.delaySeconds) * c,
                                    metresPerPoint: c / (fs * Double(ArrivalGrid.oversampling)))
                }
            }
            // The general engine's paths carry their own air absorption: tallied apart.
            let pathTallies = polyhedral == nil ? tallies : SlotTallies(firstBin: 0, endBin: max(0, Int((reach / c + speaker.delaySeconds) / EnergyResponse.binSeconds) + 2))
            work = SlotWork(shader: shader, speedOfSound: c, emissionDelay: speaker.delaySeconds, listener: listener.position,
                            earAxis: earAxis, secondsPerMetre: 1 / c, lateStart: lateStart, tallies: pathTallies, tallyEnergy: plan.tallyEnergy,
                            kept: work.kept, count: work.count)
            if let polyhedral {
                var gains = [Float](repeating: 0, count: bands)
                gains.withUnsafeMutableBufferPointer { g in
                    let g = g.baseAddress!
                    polyhedral.enumerate(slot: slot, slots: slotCount) { surfaces, points, distance, emission, reflection in
                        shader.gains(reflection: reflection, emission: emission, distance: distance, into: g)
                        shader.accumulate(&acc, gains: g, distance: distance)
                        let arrival = points.last ?? speaker.position
                        work.tally(SIMD8<Float>((0..<8).map { g[min($0, bands - 1)] }), distance: distance,
                                   arrival: arrival, inverseArrivalDistance: 1 / arrival.distance(to: listener.position))
                        if surfaces.count <= plan.detailOrder || distance / c + speaker.delaySeconds <= keepUntil {
                            work.kept.append(makePath(order: surfaces.count, surfaces: surfaces, points: points, distance: distance,
                                                      gains: shader.bandValues(g), speaker: speaker, listener: listener, c: c,
                                                      arrival: points.last ?? speaker.position))
                        }
                    }
                }
            }
            let (late, lateral) = tallies.lateSums()
            let (pathLate, pathLateral) = pathTallies === tallies ? ([Double](repeating: 0, count: 8), [Double](repeating: 0, count: 8)) : pathTallies.lateSums()
            slots[slot] = (acc, work.kept, work.count, (0..<bands).map { late[$0] + pathLate[$0] }, (0..<bands).map { lateral[$0] + pathLateral[$0] },
                           pathTallies === tallies ? [tallies] : [tallies, pathTallies], grid)
        }
        let results = slots.all
        var total = results[0].0
        for r in results.dropFirst() { total.add(r.0) }
        // The whole grid only when the slots used it (otherwise the synthesis would transform a grid of zeros).
        var grid = useGrid ? ArrivalGrid(length: length, offset: pad) : nil
        for r in results { if let part = r.6 { grid?.add(part) } }
        let paths = results.flatMap(\.1).sorted { a, b in
            if a.delaySeconds != b.delaySeconds { return a.delaySeconds < b.delaySeconds }
            if a.order != b.order { return a.order < b.order }
            return a.surfaces.lexicographicallyPrecedes(b.surfaces)
        }
        var energy = EnergyResponse(durationSeconds: plan.durationSeconds)
        for r in results { for t in r.5 { energy.add(t) } } // fixed order of slots
        func sum(_ pick: ((BandAccumulator, [Path], Int, [Double], [Double], [SlotTallies], ArrivalGrid?)) -> [Double]) -> [Double] {
            // Fixed order of slots: deterministic.
            FrequencyBands.octaves.indices.map { b in results.reduce(0.0) { $0 + pick($1)[min(b, bands - 1)] } }
        }
        return ImageSourceResult(paths: paths, arrivals: total, grid: grid, imageCount: results.reduce(0) { $0 + $1.2 },
                                 maxOrder: plan.maxOrder, usedShoebox: shoebox != nil,
                                 lateEnergy: sum { $0.3 }, lateLateralEnergy: sum { $0.4 }, energy: energy)
    }

    /// A work slot's running sums over its paths.
    struct SlotWork {
        let shader: PathShader
        let speedOfSound: Double, emissionDelay: Double
        let listener: Vec3, earAxis: Vec3
        let secondsPerMetre: Double
        let lateStart: Double
        let tallies: SlotTallies
        let tallyEnergy: Bool
        var kept: [Path] = []
        var count = 0

        /// Counts a path of band gains `g` (without 1/(4πr)) arriving from `arrival`, which lies
        /// 1/`inverseArrivalDistance` from the listener; returns its amplitudes g/(4πr) and its time
        /// of arrival (seconds after time zero).
        @inline(__always) @discardableResult
        mutating func tally(_ g: SIMD8<Float>, distance: Double, arrival: Vec3, inverseArrivalDistance: Double) -> (SIMD8<Float>, Double) {
            count += 1
            let a = g * Float(1 / (4 * Double.pi * distance))
            let seconds = distance * secondsPerMetre + emissionDelay
            if tallyEnergy {
                let cosine = Float((arrival - listener).dot(earAxis) * inverseArrivalDistance)
                tallies.add(seconds: seconds, energy: a * a, lateCosineSquared: seconds > lateStart ? cosine * cosine : nil)
            }
            return (a, seconds)
        }
    }

    /// The shoebox's hot loop: one image at a time into the slot's grid (or, with no grid, its
    /// sample-rate buffers), energy bins and sums.
    ///
    /// Grid arrivals that need nothing but their distance and gains (no energy tally, not kept as
    /// paths) are held back and placed `batch` at a time: first every one's 1/(4πr) and delay, a
    /// loop of independent divisions the processor overlaps, then the grid additions. They reach
    /// the grid in the order they were visited (any other arrival first places those held), so the
    /// sums are the same to the bit. `finish()` places the rest and frees the buffers.
    struct ShoeboxVisitor: ShoeboxImageVisitor {
        var work: SlotWork
        let grid: ArrivalGrid.Writer?
        var accumulator: BandAccumulator
        let shoebox: ShoeboxImageSources
        let speaker: Speaker, listener: Listener
        let detailOrder: Int
        let keepUntil: Double
        static let batch = 32
        private let heldSquares = UnsafeMutablePointer<Double>.allocate(capacity: batch)
        private let heldGains = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: batch)
        private let heldScales = UnsafeMutablePointer<Float>.allocate(capacity: batch)
        private let heldStarts = UnsafeMutablePointer<Int>.allocate(capacity: batch)
        private let heldPhases = UnsafeMutablePointer<Int>.allocate(capacity: batch)
        private var held = 0
        /// Arrivals at most this far (squared, metres²) are kept as paths (`keepUntil`); −1: none by time.
        private let keptDistanceSquared: Double

        init(work: SlotWork, grid: ArrivalGrid.Writer?, accumulator: BandAccumulator, shoebox: ShoeboxImageSources,
             speaker: Speaker, listener: Listener, detailOrder: Int, keepUntil: Double) {
            (self.work, self.grid, self.accumulator, self.shoebox) = (work, grid, accumulator, shoebox)
            (self.speaker, self.listener, self.detailOrder, self.keepUntil) = (speaker, listener, detailOrder, keepUntil)
            let reach = (keepUntil - work.emissionDelay) / work.secondsPerMetre
            keptDistanceSquared = reach >= 0 ? reach * reach : -1
        }

        @inline(__always)
        mutating func visit(image: Vec3, emission: Vec3, order: Int, distanceSquared: Double, reflection: SIMD8<Float>) {
            // On the grid without air absorption: the slot applies it to its grid and bins by path length.
            var g = work.shader.gainsWithoutAir(reflection: reflection, emission: emission)
            let isKept = order <= detailOrder || distanceSquared <= keptDistanceSquared
            if grid != nil && !work.tallyEnergy && !isKept {
                heldSquares[held] = distanceSquared
                heldGains[held] = g
                held += 1
                if held == Self.batch { placeHeld() }
                return
            }
            placeHeld()
            let distance = distanceSquared.squareRoot()
            if grid == nil && work.shader.hasAir { g *= work.shader.airFactors(distance: distance) }
            let (amplitudes, seconds) = work.tally(g, distance: distance, arrival: image, inverseArrivalDistance: 1 / distance)
            var a = amplitudes
            if let grid {
                grid.add(delaySamples: seconds * work.shader.sampleRate, gains: a)
            } else {
                let table = work.shader.table, delay = seconds * work.shader.sampleRate
                withUnsafePointer(to: &a) { p in
                    p.withMemoryRebound(to: Float.self, capacity: 8) { accumulator.add(delaySamples: delay, gains: $0, table: table) }
                }
            }
            if isKept {
                // Reflection points only for the listed orders (the early rest needs directions only).
                let (surfaces, points) = order <= detailOrder ? shoebox.unfold(image: image) : ([], [])
                work.kept.append(ImageSourceEngine.makePath(order: order, surfaces: surfaces, points: points, distance: distance,
                                                            gains: work.shader.bandValues(grid != nil && work.shader.hasAir ? g * work.shader.airFactors(distance: distance) : g),
                                                            speaker: speaker, listener: listener,
                                                            c: work.speedOfSound, arrival: image))
            }
        }

        /// Places the held arrivals: the same arithmetic as `SlotWork.tally` and `visit`, in two passes.
        @inline(__always)
        private mutating func placeHeld() {
            guard held > 0, let grid else { return }
            let n = held, spm = work.secondsPerMetre, delay = work.emissionDelay, fs = work.shader.sampleRate
            held = 0
            work.count += n
            for i in 0..<n {
                let d = heldSquares[i].squareRoot()
                heldScales[i] = Float(1 / (4 * Double.pi * d))
                (heldStarts[i], heldPhases[i]) = grid.place(delaySamples: (d * spm + delay) * fs)
            }
            for i in 0..<n { grid.add(start: heldStarts[i], phase: heldPhases[i], gains: heldGains[i] * heldScales[i]) }
        }

        /// Places what is held and frees the buffers; the visitor is not used after.
        mutating func finish() {
            placeHeld()
            heldSquares.deallocate(); heldGains.deallocate(); heldScales.deallocate(); heldStarts.deallocate(); heldPhases.deallocate()
        }
    }

    static func makePath(order: Int, surfaces: [Int], points: [Vec3], distance: Double, gains: BandValues, speaker: Speaker,
                         listener: Listener, c: Double, arrival: Vec3) -> Path {
        let d = listener.direction(of: arrival)
        return Path(order: order, surfaces: surfaces, reflectionPoints: points, distance: distance,
                    delaySeconds: distance / c + speaker.delaySeconds, bandGains: gains, azimuth: d.azimuth, elevation: d.elevation)
    }
}
