import Foundation

/// Which speakers each channel of the music drives (SPEC §3): mono → every speaker; stereo → the
/// speakers on channels 0 and 1; more channels by the file's WAV channel mask when it has one, else
/// by WAV order (FL FR FC LFE BL BR SL SR), to the speakers with that channel. A channel with no
/// speaker of its own is folded down as ITU-R BS.775 does: centre → L and R at −3 dB, surrounds →
/// their side's front at −3 dB, LFE → L and R at −3 dB (the front pair stands in for a subwoofer).
public enum ChannelRouting {
    /// The speaker channel (WAV-order slot) each position prefers, then its fallback: a 5.1 file's
    /// "side" surrounds go to 5.1 surround speakers (slots 4, 5) when the room has no side pair, and
    /// "back" surrounds to the side pair when it has no back pair.
    static func slots(_ p: ChannelPosition) -> [Int] {
        switch p {
        case .frontLeft, .frontLeftOfCenter: return [0]
        case .frontRight, .frontRightOfCenter: return [1]
        case .frontCenter: return [2]
        case .lfe: return [3]
        case .backLeft: return [4, 6]
        case .backRight: return [5, 7]
        case .sideLeft: return [6, 4]
        case .sideRight: return [7, 5]
        case .backCenter, .mono, .other: return []
        }
    }

    public static func route(inputChannels: Int, speakers: [Speaker], positions: [ChannelPosition]? = nil) -> [[(speaker: Int, gain: Double)]] {
        let byChannel = Dictionary(grouping: speakers.indices, by: { speakers[$0].channel })
        let halfPower = 0.5.squareRoot()
        if inputChannels == 1 { return [speakers.indices.map { ($0, 1.0) }] }
        // The WAV-order slot of each input channel: from the mask when it names a known position,
        // else the channel's index.
        let mapped: [Int?] = (0..<inputChannels).map { ch in
            guard let positions, positions.count == inputChannels else { return ch }
            let preferred = slots(positions[ch])
            if preferred.isEmpty { return nil }
            return preferred.first { byChannel[$0] != nil } ?? preferred[0]
        }
        return (0..<inputChannels).map { ch in
            guard let slot = mapped[ch] else {
                // Back centre or an unknown position: both fronts at −3 dB.
                let fronts = (byChannel[0] ?? []) + (byChannel[1] ?? [])
                return (fronts.isEmpty ? Array(speakers.indices) : fronts).map { ($0, halfPower) }
            }
            if let own = byChannel[slot] { return own.map { ($0, 1.0) } }
            let left = byChannel[0] ?? [], right = byChannel[1] ?? []
            let leftSide = [4, 6].contains(slot), rightSide = [5, 7].contains(slot)
            var fold: [Int]
            if leftSide { fold = left } else if rightSide { fold = right } else { fold = left + right }
            if fold.isEmpty { fold = Array(speakers.indices) } // a room without a front pair: every speaker
            return fold.map { ($0, halfPower) }
        }
    }

    /// One filter pair per input channel: the BRIRs (per speaker, 2-channel) of the speakers
    /// `route` sends it to, summed with their gains and × `scale`; `[input][ear]`.
    public static func filters(inputChannels: Int, speakers: [Speaker], positions: [ChannelPosition]? = nil,
                               brirs: [AudioBuffer], scale: Float = 1) -> [[[Float]]] {
        let length = brirs.map(\.frameCount).max() ?? 1
        return route(inputChannels: inputChannels, speakers: speakers, positions: positions).map { route in
            (0..<2).map { ear in
                var h = [Float](repeating: 0, count: length)
                for (s, g) in route { for i in 0..<brirs[s].frameCount { h[i] += Float(g) * scale * brirs[s].channels[ear][i] } }
                return h
            }
        }
    }
}
