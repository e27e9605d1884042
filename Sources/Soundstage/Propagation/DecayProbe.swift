import Foundation

/// A quick measurement of how long a room rings, before the real run: 4 000 rays from the first
/// speaker counted by the receiver sphere alone (no image sources), over a horizon of three times
/// the Sabine RT60, and per octave the reverberation time of the field's decay fitted from −5 to
/// −25 dB (T20, ISO 3382-1 §5.3.3, which the probe's counting noise still resolves). It serves the
/// automatic duration: statistical formulas assume a diffuse field and miss the slow decay of sound
/// travelling between the harder surfaces of a room whose absorption is uneven. The probe traces
/// with its own seed, so the plan it shapes (duration, image-source order, ray count) is the
/// room's and the same for every `simulation.seed`: another seed changes only the run's rays.
enum DecayProbe {
    static let rays = 4000
    /// The probe's own seed ("PROB"), whatever the room file's.
    static let seed: UInt64 = 0x5052_4F42

    /// The longest T20 over the octaves, seconds (nil when no band could be fitted or the room has
    /// no speaker).
    static func longestDecay(scene: Scene, horizon: Double, threads: Int) -> Double? {
        guard !scene.speakers.isEmpty, scene.surfaces.count >= 4 else { return nil }
        var plan = ResolvedSimulation(sampleRate: scene.simulation.sampleRate, durationSeconds: horizon, maxOrder: -1,
                                      maxOrderNote: "", threads: max(1, threads), detailOrder: 0)
        plan.rays = rays
        plan.receiverRadius = scene.autoReceiverRadius()
        // The probe's rays are the room's, not the seed's: the plan (duration, image-source order,
        // ray count) is then the same for every seed, and another seed moves only the rays of the run.
        var probe = scene
        probe.simulation.seed = seed
        let field = RayTracer.run(scene: probe, speakerIndex: 0, plan: plan).field
        let speaker = scene.speakers[0]
        let onset = Int((speaker.position.distance(to: scene.listener.position) / scene.air.speedOfSound + speaker.delaySeconds) / field.binSeconds)
        var longest: Double?
        for band in 0..<field.bandCount {
            let energy = (min(onset, field.binCount)..<field.binCount).map { field.energy(band: band, bin: $0) }
            guard energy.contains(where: { $0 > 0 }) else { continue }
            if let t = DecayCurve(energy: energy, sampleRate: 1 / field.binSeconds, noiseless: true).decayFit(upper: -5, lower: -25).time.value {
                longest = max(longest ?? 0, t)
            }
        }
        return longest
    }
}
