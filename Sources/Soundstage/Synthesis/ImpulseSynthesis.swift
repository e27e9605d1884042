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
        omniParts(specular, tail: tail, scene: scene, plan: plan).full
    }

    /// The omni RIR (`full`) and its specular part alone (the image-source arrivals, without the
    /// tail), both high-passed: the band synthesis of the arrivals is done once for both.
    public static func omniParts(_ specular: ImageSourceResult, tail: ReverbTail?, scene: Scene,
                                 plan: ResolvedSimulation) -> (full: [Float], specular: [Float]) {
        let fs = Double(plan.sampleRate)
        let arrivals = specular.arrivals
        let pad = arrivals.offset
        let early = BandFilterBank.combine(arrivals, grid: specular.grid, sampleRate: fs)
        var signal = early
        if let tail, !tail.arrivals.isEmpty {
            let late = tail.signal(sampleRate: fs, frames: plan.frames, threads: plan.threads)
            for i in late.indices { signal[pad + i] += late[i] }
        }
        func finished(_ x: [Float]) -> [Float] {
            var x = x
            if scene.simulation.highpassHertz > 0 {
                Biquad.highpass(cutoff: scene.simulation.highpassHertz, sampleRate: fs).process(&x)
            }
            return Array(x[pad..<(pad + plan.frames)])
        }
        return (finished(signal), finished(early))
    }
}
