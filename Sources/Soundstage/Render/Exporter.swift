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

public enum Exporter {
    /// The channels of `format` from BRIRs by speaker channel (0 = FL, 1 = FR, 2 = FC, 4/5 = the
    /// surrounds of a 5.1 room or the rears of a 7.1 room, 6/7 = the 7.1 sides). `length` frames each.
    public static func channels(_ format: ExportFormat, brirs: [Int: AudioBuffer], length: Int) -> [[Float]] {
        let silent = [Float](repeating: 0, count: length)
        func ear(_ channel: Int?, _ e: Int) -> [Float] {
            guard let c = channel, let b = brirs[c] else { return silent }
            return Array((b.channels[e] + silent).prefix(length))
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
}
