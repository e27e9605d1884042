import Foundation

/// Which speakers each channel of the music drives (SPEC §3): mono → every speaker; stereo → the
/// speakers on channels 0 and 1; more channels by WAV order (FL FR FC LFE BL BR SL SR) to the
/// speakers with that channel. A channel with no speaker of its own is folded down as ITU-R BS.775
/// does: centre → L and R at −3 dB, surrounds → their side's front at −3 dB, LFE → L and R at −3 dB
/// (the front pair stands in for a subwoofer).
public enum ChannelRouting {
    public static func route(inputChannels: Int, speakers: [Speaker]) -> [[(speaker: Int, gain: Double)]] {
        let byChannel = Dictionary(grouping: speakers.indices, by: { speakers[$0].channel })
        let halfPower = 0.5.squareRoot()
        if inputChannels == 1 { return [speakers.indices.map { ($0, 1.0) }] }
        return (0..<inputChannels).map { ch in
            if let own = byChannel[ch] { return own.map { ($0, 1.0) } }
            let left = byChannel[0] ?? [], right = byChannel[1] ?? []
            let leftSide = [4, 6].contains(ch), rightSide = [5, 7].contains(ch)
            var fold: [Int]
            if leftSide { fold = left } else if rightSide { fold = right } else { fold = left + right }
            if fold.isEmpty { fold = Array(speakers.indices) } // a room without a front pair: every speaker
            return fold.map { ($0, halfPower) }
        }
    }
}
