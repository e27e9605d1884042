import Foundation

/// What the propagation stages found for one speaker: the specular paths (image sources) and the
/// energy field of the ray tracer, turned into the arrivals of a synthesized tail. No signal yet:
/// `ImpulseSynthesis` and `BinauralSynthesizer` make the responses from it.
public struct SpeakerResponse: Sendable {
    /// Specular paths and their arrivals per band.
    public var imageSources: ImageSourceResult
    /// The ray tracer's field (nil with `rays` 0).
    public var rays: RayTracingResult?
    /// The tail synthesized from the field, as arrivals (empty with `rays` 0).
    public var tail: ReverbTail
    /// The wave solver's responses below the crossover (nil when the wave part is off).
    public var wave: WaveResponse? = nil
}

/// The hybrid of image sources and ray tracing (Vorländer 1989, "Simulation of the transient and
/// steady-state sound propagation in rooms using a new combined ray-tracing/image-source
/// algorithm"): each path's energy is counted once.
///
/// - Image sources carry the *specular* part of every reflection up to the transition order
///   (`maxOrder`; every image within the duration for a plain shoebox): each reflection scales the
///   pressure by √((1 − α)(1 − s)), the share that stays specular (ISO 17497-1's definition of s).
/// - The ray tracer carries the rest: the scattered share (1 − α)s of every reflection at any order,
///   and specular paths of higher order than the image sources (see `RayTracer`).
/// - The field becomes a Poisson tail (`ReverbTail`): its arrivals are added to the omni RIR and,
///   within the binaural early window, also go through HRIRs.
/// - With `rays: "auto"` the rays come in up to `ResolvedSimulation.rayPasses` independent passes
///   (at least two where the budget holds them), as many as the parameters' counting noise asks
///   for (`RayPasses`).
/// With `rays` 0 the image sources alone model the room, with the full reflection factor √(1 − α)
/// (scattered energy stays in the specular paths rather than being lost).
public enum HybridSimulator {
    public static func run(scene: Scene, speakerIndex: Int, plan: ResolvedSimulation,
                           progress: (@Sendable (Int) -> Void)? = nil) -> SpeakerResponse {
        guard plan.rays > 0 else {
            return SpeakerResponse(imageSources: ImageSourceEngine.run(scene: scene, speakerIndex: speakerIndex, plan: plan), rays: nil,
                                   tail: ReverbTail(arrivals: [], envelope: [], binSeconds: plan.binSeconds, bandCount: 1))
        }
        var result = ImageSourceEngine.run(scene: scene.specularPart, speakerIndex: speakerIndex, plan: plan)
        let specularEnergy = result.energy
        let speaker = scene.speakers[speakerIndex]
        let directBin = Int((speaker.position.distance(to: scene.listener.position) / scene.air.speedOfSound + speaker.delaySeconds)
                            / EnergyResponse.binSeconds)
        var traced = RayTracer.run(scene: scene, speakerIndex: speakerIndex, plan: plan, progress: progress)
        // More independent passes (at least `RayPasses.minimum`) while the counting noise says the
        // parameters are not yet decision grade; the result is their mean (field and batches alike).
        var records = plan.rayPasses > 1 ? [RayPasses.PassRecord(specular: specularEnergy, pass: traced, onsetBin: directBin)] : []
        func meanIsDecisionGrade() -> Bool {
            var response = specularEnergy
            response.add(field: traced.field)
            return RayPasses.isDecisionGrade(mean: RayPasses.checked(response, onsetBin: directBin), passes: records)
        }
        var passes = 1
        while passes < plan.rayPasses && (passes < RayPasses.minimum || !meanIsDecisionGrade()) {
            let more = RayTracer.run(scene: scene, speakerIndex: speakerIndex, plan: plan, pass: passes)
            records.append(RayPasses.PassRecord(specular: specularEnergy, pass: more, onsetBin: directBin))
            traced = RayPasses.mean(traced, weight: passes, more)
            passes += 1
        }
        let replicates = RayPasses.replicates(specular: specularEnergy, traced: traced)
        var tail = ReverbTail.synthesize(field: traced.field, volume: scene.volume, speedOfSound: scene.air.speedOfSound,
                                         seed: scene.simulation.seed, speakerIndex: speakerIndex)
        if scene.simulation.airAbsorption {
            tail.air = ReverbTail.AirPath(air: scene.air, delaySeconds: scene.speakers[speakerIndex].delaySeconds)
        }
        let lateStart = speaker.position.distance(to: scene.listener.position) / scene.air.speedOfSound + speaker.delaySeconds + 0.08
        let late = traced.field.lateEnergy(after: lateStart)
        result.energy.add(field: traced.field)
        result.energyReplicates = replicates
        for b in result.lateEnergy.indices {
            result.lateEnergy[b] += late.total[min(b, late.total.count - 1)]
            result.lateLateralEnergy[b] += late.lateral[min(b, late.lateral.count - 1)]
        }
        return SpeakerResponse(imageSources: result, rays: traced, tail: tail)
    }
}

extension Scene {
    /// The scene as the image sources of the hybrid see it: every material's absorption replaced by
    /// 1 − (1 − α)(1 − s), so a reflection keeps only its specular share (unchanged when the
    /// room file turns scattering off).
    public var specularPart: Scene {
        guard simulation.scattering else { return self }
        var copy = self
        for i in copy.surfaces.indices {
            let m = copy.surfaces[i].material
            copy.surfaces[i].material.absorption = BandValues(m.absorption.values.indices.map { b in
                1 - (1 - m.absorption[b]) * (1 - m.scattering[b])
            })
        }
        return copy
    }
}
