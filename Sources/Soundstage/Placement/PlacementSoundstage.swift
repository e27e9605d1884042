import Foundation

/// The soundstage figures of a placement (`SoundstageFigures`' width and envelopment), estimated for
/// the candidates `soundstage optimize` reports. They are shown beside the objective's terms, not
/// weighted into its cost: a wider or more enveloping stage is a matter of taste, where a bass notch
/// is not.
public struct PlacementFigures: Sendable, Codable, Equatable {
    /// 1 − IACC_E3, the mean of speakers L and R (`SoundstageFigures.width`).
    public var width: Double?
    /// The late lateral energy fraction, the mean of L and R (`SoundstageFigures.envelopment`).
    public var envelopment: Double?
}

extension Simulator {
    /// Where `figures` ends the late window (s after the direct sound). The lateral fraction is a
    /// ratio of late energies, and what arrives later — 25 dB down and more where T ≤ 1.2 s —
    /// moves it little; the image sources within it cost (1.4 / 0.5)³ ≈ 20 times fewer than a
    /// living room's whole 1.4 s.
    public static let figuresLateWindow = 0.5

    /// Width and envelopment of `placed` — this simulator's scene with its speakers and listener
    /// moved (`Scene.placing`) — without tracing rays again: the image sources are computed for the
    /// placement itself (every specular path of the early window, and the late paths' lateral
    /// energy), and the scattered field is `shared`'s, a full simulation of the same room. The
    /// diffuse late field changes little with the positions in a room (Kuttruff, *Room Acoustics*,
    /// 6th ed., §5.1; Vorländer's hybrid, Acustica 1989, shares it the same way), so the figures
    /// differ from a full simulation of `placed` by about its own seed spread. Left out: the wave
    /// part, whose one-octave transition above the crossover (≤ 300 Hz by default) touches only the
    /// lower edge of IACC_E's 500 Hz band.
    public func figures(of placed: Scene, sharing shared: RoomSimulation, binaural: Binaural) -> PlacementFigures {
        var widths: [Double] = [], envelopments: [Double] = []
        for index in placed.speakers.indices {
            let rays = index < shared.speakers.count ? shared.speakers[index].propagation.rays : nil
            let speaker = placed.speakers[index]
            let direct = speaker.position.distance(to: placed.listener.position) / placed.air.speedOfSound + speaker.delaySeconds
            // The late window ends `lateWindow` after the direct sound, for the image sources and the field alike.
            var shortened = plan
            shortened.durationSeconds = min(plan.durationSeconds, direct + Simulator.figuresLateWindow)
            var images = ImageSourceEngine.run(scene: rays == nil ? placed : placed.specularPart, speakerIndex: index, plan: shortened)
            if let field = rays?.field {
                let late = field.lateEnergy(after: direct + 0.08, before: shortened.durationSeconds)
                for b in images.lateEnergy.indices {
                    images.lateEnergy[b] += late.total[min(b, late.total.count - 1)]
                    images.lateLateralEnergy[b] += late.lateral[min(b, late.lateral.count - 1)]
                }
            }
            if let e = SpeakerMetrics.envelopment(lateEnergy: images.lateEnergy, lateLateralEnergy: images.lateLateralEnergy).value {
                envelopments.append(e)
            }
            let ears = BinauralSynthesizer.render(scene: placed, speakerIndex: index, plan: shortened, paths: images.paths,
                                                  omni: [Float](repeating: 0, count: shortened.frames), hrtf: binaural.hrtf, field: binaural.field)
            let iacc = ExpectedEarlyCoherence.iaccEarly(specular: ears, tail: rays?.field, mix: direct + BinauralSynthesizer.earlySeconds,
                                                        onset: ImpulseResponseAnalyzer.onset(energy: ImpulseResponseAnalyzer.sumOfSquares(ears.channels)),
                                                        hrtf: binaural.hrtf, field: binaural.field,
                                                        equalizer: placed.listener.hrtfEqualization == .diffuseField ? DiffuseFieldEqualizer(field: binaural.field) : nil)
            let values = ["500", "1k", "2k"].compactMap { iacc[$0]?.value }
            if values.count == 3 { widths.append(1 - values.reduce(0, +) / 3) }
        }
        func mean(_ x: [Double]) -> Double? { x.count == placed.speakers.count && !x.isEmpty ? x.reduce(0, +) / Double(x.count) : nil }
        return PlacementFigures(width: mean(widths), envelopment: mean(envelopments))
    }
}

extension PlacementSearch {
    /// The result with `PlacementCandidate.figures` filled in for the current placement and the
    /// `count` best (the ones the ranked table reports), from `simulator` — built on the searched
    /// scene — and `current`, its full simulation, whose scattered field every placement shares
    /// (`Simulator.figures`). Each candidate is placed by itself; the order of work does not change a value.
    public static func attachFigures(_ result: PlacementSearchResult, simulator: Simulator, current: RoomSimulation,
                                     binaural: Simulator.Binaural, count: Int = 10, threads: Int = defaultThreadCount) -> PlacementSearchResult {
        var out = result
        let reported = [result.current] + result.ranked.prefix(count)
        var figures = [PlacementFigures?](repeating: nil, count: reported.count)
        figures.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let buffer = buffer
            parallelFor(reported.count, threads: threads) { i in
                let c = reported[i]
                guard let placed = c.stage == "current" ? simulator.scene : try? simulator.scene.placing(c.layout) else { return }
                buffer[i] = simulator.figures(of: placed, sharing: current, binaural: binaural)
            }
        }
        func same(_ a: PlacementCandidate, _ b: PlacementCandidate) -> Bool {
            a.stage == b.stage && a.left == b.left && a.right == b.right && a.seat == b.seat && a.layout.toeIn == b.layout.toeIn
        }
        out.current.figures = figures[0]
        for (i, c) in out.ranked.enumerated() {
            if let k = reported.firstIndex(where: { same($0, c) }) { out.ranked[i].figures = figures[k] }
        }
        for (i, c) in out.candidates.enumerated() {
            if let k = reported.firstIndex(where: { same($0, c) }) { out.candidates[i].figures = figures[k] }
        }
        return out
    }
}
