import Foundation

/// BRIRs in the layouts headphone convolvers load.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// HeSuVi / Equalizer APO (and Impulcifer) 14-channel order: FL→L, FL→R, SL→L, SL→R, BL→L, BL→R,
    /// FC→L, FR→R, FR→L, SR→R, SR→L, BR→R, BR→L, FC→R. Virtual speakers the room does not have are
    /// silent (a stereo room fills FL and FR only; nothing is invented).
    case hesuvi
    /// Two channels: the left input to the left ear (L→L) and the right input to the right ear (R→R),
    /// for convolvers that take one stereo impulse response without crossfeed. It loses the
    /// crossfeed that makes speakers sound outside the head: prefer true-stereo or hesuvi.
    case stereo
    /// EasyEffects / PipeWire true stereo, 4 channels: L→L, L→R, R→L, R→R.
    case trueStereo = "true-stereo"
}

/// How an export fills what the room does not have, and where its subwoofer plays.
public struct ExportOptions: Sendable {
    /// A room without a centre speaker gets a phantom centre: the FC slots hold the front pair's
    /// BRIRs summed at −3 dB each (ITU-R BS.775's fold-down of the centre, as `render` does), so a
    /// film's dialogue plays between the speakers instead of not at all.
    public var phantomCentre = false
    /// Bass management (Hz; nil: none) in a room with an LFE speaker (a subwoofer): below this
    /// crossover every channel plays from the subwoofer, as an AV receiver does with its speakers
    /// set "small" (80 Hz is THX's and Dolby's recommendation): each slot is the subwoofer's BRIR
    /// low-passed plus its speaker's high-passed by a 4th-order Linkwitz–Riley crossover (two
    /// Butterworth sections each side, whose sum is an all-pass: flat magnitude through the
    /// crossover; Linkwitz 1976, JAES 24). HeSuVi's 14 channels have no LFE slot: where the
    /// player or the convolver's configuration mixes the LFE into the front pair, it then plays
    /// from the subwoofer too.
    public var bassCrossover: Double? = 80

    public init(phantomCentre: Bool = false, bassCrossover: Double? = 80) {
        (self.phantomCentre, self.bassCrossover) = (phantomCentre, bassCrossover)
    }
}

public enum Exporter {
    /// The channels of `format` from BRIRs by speaker channel (0 = FL, 1 = FR, 2 = FC, 3 = LFE,
    /// 4/5 = the surrounds of a 5.1 room or the rears of a 7.1 room, 6/7 = the 7.1 sides), each
    /// `length` frames, with `options` applied (a phantom centre, the subwoofer's bass).
    public static func channels(_ format: ExportFormat, brirs given: [Int: AudioBuffer], length: Int,
                                options: ExportOptions = ExportOptions()) -> [[Float]] {
        let brirs = prepared(given, options: options)
        let silent = [Float](repeating: 0, count: length)
        func ear(_ channel: Int?, _ e: Int) -> [Float] {
            guard let c = channel, let b = brirs[c] else { return silent }
            return Array((b[e] + silent).prefix(length))
        }
        switch format {
        case .stereo: return [ear(0, 0), ear(1, 1)]
        case .trueStereo: return [ear(0, 0), ear(0, 1), ear(1, 0), ear(1, 1)]
        case .hesuvi:
            let sevenOne = brirs[6] != nil || brirs[7] != nil
            let sl = sevenOne ? 6 : 4, sr = sevenOne ? 7 : 5
            let bl: Int? = sevenOne ? 4 : nil, br: Int? = sevenOne ? 5 : nil
            return [ear(0, 0), ear(0, 1), ear(sl, 0), ear(sl, 1), ear(bl, 0), ear(bl, 1),
                    ear(2, 0), ear(1, 1), ear(1, 0), ear(sr, 1), ear(sr, 0), ear(br, 1), ear(br, 0), ear(2, 1)]
        }
    }

    /// Each speaker channel's two ears after the phantom centre and bass management.
    static func prepared(_ brirs: [Int: AudioBuffer], options: ExportOptions) -> [Int: [[Float]]] {
        var ears = brirs.mapValues(\.channels)
        if options.phantomCentre, ears[2] == nil, let l = ears[0], let r = ears[1] {
            let g = Float(0.5.squareRoot())
            ears[2] = (0..<2).map { e -> [Float] in
                var sum = [Float](repeating: 0, count: max(l[e].count, r[e].count))
                for (i, v) in l[e].enumerated() { sum[i] += g * v }
                for (i, v) in r[e].enumerated() { sum[i] += g * v }
                return sum
            }
        }
        if let fc = options.bassCrossover, let sub = ears[3], let rate = brirs[3]?.sampleRate {
            for (channel, speaker) in ears where channel != 3 {
                ears[channel] = (0..<2).map { e in linkwitzRiley(low: sub[e], high: speaker[e], crossover: fc, sampleRate: Double(rate)) }
            }
        }
        return ears
    }

    /// LR4 low-pass of `low` plus LR4 high-pass of `high` (causal), as long as the longer.
    static func linkwitzRiley(low: [Float], high: [Float], crossover fc: Double, sampleRate fs: Double) -> [Float] {
        let n = max(low.count, high.count)
        var l = low + [Float](repeating: 0, count: n - low.count), h = high + [Float](repeating: 0, count: n - high.count)
        let lp = Biquad.lowpass(cutoff: fc, sampleRate: fs), hp = Biquad.highpass(cutoff: fc, sampleRate: fs)
        var lowChain = BiquadChain([lp, lp]), highChain = BiquadChain([hp, hp])
        lowChain.process(&l)
        highChain.process(&h)
        for i in 0..<n { l[i] += h[i] }
        return l
    }
}
