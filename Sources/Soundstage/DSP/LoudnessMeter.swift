import CEBUR128
import Foundation

/// Loudness after ITU-R BS.1770-4 / EBU R128 through libebur128.
public enum LoudnessMeter {
    public struct Measurement: Sendable {
        /// Integrated (gated) loudness in LUFS; −∞ for silence.
        public var integratedLUFS: Double
        /// Largest true peak over the channels, dBTP.
        public var truePeakDBTP: Double
    }

    /// Measures `buffer`, channels in WAV order (stereo: L, R; more: L R C LFE Ls Rs … — the LFE
    /// channel is excluded, as BS.1770 requires).
    public static func measure(_ buffer: AudioBuffer) -> Measurement {
        let channels = buffer.channelCount
        guard channels > 0, let state = ebur128_init(UInt32(channels), UInt(buffer.sampleRate),
                                                     Int32(EBUR128_MODE_I.rawValue | EBUR128_MODE_TRUE_PEAK.rawValue)) else {
            return Measurement(integratedLUFS: -.infinity, truePeakDBTP: -.infinity)
        }
        var handle: UnsafeMutablePointer<ebur128_state>? = state
        defer { ebur128_destroy(&handle) }
        if channels >= 6 { ebur128_set_channel(state, 3, Int32(EBUR128_UNUSED.rawValue)) }
        let block = 65_536
        var interleaved = [Float](repeating: 0, count: block * channels)
        var start = 0
        while start < buffer.frameCount {
            let n = min(block, buffer.frameCount - start)
            for f in 0..<n { for c in 0..<channels { interleaved[f * channels + c] = buffer.channels[c][start + f] } }
            _ = interleaved.withUnsafeBufferPointer { ebur128_add_frames_float(state, $0.baseAddress, n) }
            start += n
        }
        var loudness = -Double.infinity
        _ = ebur128_loudness_global(state, &loudness)
        var peak = 0.0
        for c in 0..<channels {
            var p = 0.0
            if ebur128_true_peak(state, UInt32(c), &p) == 0 { peak = max(peak, p) }
        }
        return Measurement(integratedLUFS: loudness, truePeakDBTP: 20 * log10(peak))
    }
}

/// Loudness measured block by block (integrated LUFS and true peak), for streaming renders:
/// the integrated loudness through libebur128 (all channels in one state), the true peak through
/// `TruePeakMeter` (4× oversampled in SIMD; libebur128's scalar true-peak meter was the render's
/// largest cost), each channel on its own thread.
public final class LoudnessAccumulator: @unchecked Sendable {
    private var loudness: UnsafeMutablePointer<ebur128_state>?
    private let peaks: TruePeakMeter
    let channels: Int
    public init?(channels: Int, sampleRate: Int) {
        guard let s = ebur128_init(UInt32(channels), UInt(sampleRate), Int32(EBUR128_MODE_I.rawValue)) else { return nil }
        loudness = s
        if channels >= 6 { ebur128_set_channel(s, 3, Int32(EBUR128_UNUSED.rawValue)) }
        peaks = TruePeakMeter(channels: channels)
        self.channels = channels
    }
    deinit { ebur128_destroy(&loudness) }
    public func add(_ block: [[Float]]) {
        let n = block.first?.count ?? 0
        guard n > 0 else { return }
        let channels = self.channels
        parallelFor(channels + 1, threads: channels + 1) { task in
            if task == 0 {
                var interleaved = [Float](repeating: 0, count: n * channels)
                for c in 0..<channels { for f in 0..<n { interleaved[f * channels + c] = block[c][f] } }
                _ = interleaved.withUnsafeBufferPointer { ebur128_add_frames_float(self.loudness, $0.baseAddress, n) }
            } else {
                self.peaks.add(channel: task - 1, block[task - 1])
            }
        }
    }
    public var result: LoudnessMeter.Measurement {
        var value = -Double.infinity
        _ = ebur128_loudness_global(loudness, &value)
        return LoudnessMeter.Measurement(integratedLUFS: value, truePeakDBTP: peaks.truePeakDBTP)
    }
}
