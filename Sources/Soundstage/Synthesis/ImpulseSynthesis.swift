import Foundation

/// The synthesis stage of the omnidirectional response: the specular arrivals per band through the
/// complementary band filters (`BandFilterBank`, summing to one), the synthesized tail added, and
/// the room file's high-pass (SPEC §2: it removes the DC that image sources build up). Sample n is
/// time n / fs after the speaker emits; the direct sound of an omni source at r has amplitude
/// 1/(4πr) at r/c.
public enum ImpulseSynthesis {
    /// The omni RIR of one speaker from its propagation result, `plan.frames` samples.
    public static func omni(_ response: SpeakerResponse, scene: Scene, plan: ResolvedSimulation) -> [Float] {
        omni(response.imageSources, tail: response.tail, scene: scene, plan: plan)
    }

    /// The omni RIR from image-source arrivals and an optional tail.
    public static func omni(_ specular: ImageSourceResult, tail: ReverbTail? = nil, scene: Scene, plan: ResolvedSimulation) -> [Float] {
        let fs = Double(plan.sampleRate)
        let arrivals = specular.arrivals
        var signal = BandFilterBank.combine(arrivals, sampleRate: fs)
        let pad = arrivals.offset
        if let tail, !tail.arrivals.isEmpty {
            let late = tail.signal(sampleRate: fs, frames: plan.frames, threads: plan.threads)
            for i in late.indices { signal[pad + i] += late[i] }
        }
        if scene.simulation.highpassHertz > 0 {
            Biquad.highpass(cutoff: scene.simulation.highpassHertz, sampleRate: fs).process(&signal)
        }
        return Array(signal[pad..<(pad + plan.frames)])
    }
}
