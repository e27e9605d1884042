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

/// K-weighting (ITU-R BS.1770-4 §2.1): a high shelf of about +4 dB above 1.7 kHz (the head's
/// acoustic effect) followed by the RLB high-pass at 38 Hz, as two biquads. BS.1770 tabulates them at
/// 48 kHz only; these are their analog prototypes taken through the bilinear transform at any rate,
/// with the prototype constants (f₀, Q, gain) that reproduce the 48-kHz table — the derivation
/// libebur128 and pyloudnorm use. At 48 kHz the coefficients equal the table to 10⁻⁸ (tested).
public enum KWeighting {
    public static func filters(sampleRate fs: Double) -> (shelf: Biquad, highPass: Biquad) {
        var k = tan(Double.pi * 1681.974450955533 / fs)
        let q1 = 0.7071752369554196
        let vh = pow(10, 3.999843853973347 / 20), vb = pow(vh, 0.4996667741545416)
        var a0 = 1 + k / q1 + k * k
        let shelf = Biquad(b0: (vh + vb * k / q1 + k * k) / a0, b1: 2 * (k * k - vh) / a0, b2: (vh - vb * k / q1 + k * k) / a0,
                           a1: 2 * (k * k - 1) / a0, a2: (1 - k / q1 + k * k) / a0)
        k = tan(Double.pi * 38.13547087602444 / fs)
        let q2 = 0.5003270373238773
        a0 = 1 + k / q2 + k * k
        let highPass = Biquad(b0: 1, b1: -2, b2: 1, a1: 2 * (k * k - 1) / a0, a2: (1 - k / q2 + k * k) / a0)
        return (shelf, highPass)
    }
}

/// One channel's loudness measured as it streams by (BS.1770-4): the K-weighted signal's mean
/// square over each complete 100-ms segment, from which `LoudnessMeter.integrated` forms the gated
/// 400-ms blocks. Each channel is fed on its own thread (the renderer meters each ear in the task
/// that convolved it); memory is 8 bytes per 100 ms. Replaces libebur128 in the render path, which
/// took every channel on one thread and was, with the true peak, the render's largest cost; the
/// tests hold it to libebur128 within 0.01 LU and to EBU Tech 3341's reference signals.
public final class LoudnessChannel: @unchecked Sendable {
    private let shelf: Biquad, highPass: Biquad
    private var z1 = 0.0, z2 = 0.0, w1 = 0.0, w2 = 0.0
    let segmentLength: Int
    private var sum = 0.0, filled = 0
    /// The K-weighted mean square of each complete 100-ms segment so far.
    public private(set) var segments: [Double] = []

    public init(sampleRate: Int) {
        (shelf, highPass) = KWeighting.filters(sampleRate: Double(sampleRate))
        segmentLength = (sampleRate + 5) / 10
    }

    public func add(_ x: UnsafeBufferPointer<Float>) {
        let s = shelf, h = highPass
        var z1 = self.z1, z2 = self.z2, w1 = self.w1, w2 = self.w2
        var i = 0
        while i < x.count {
            let run = min(x.count - i, segmentLength - filled)
            var sum = 0.0
            for j in i..<(i + run) {
                let input = Double(x[j])
                let y = s.b0 * input + z1
                z1 = s.b1 * input - s.a1 * y + z2
                z2 = s.b2 * input - s.a2 * y
                let v = y + w1 // the high-pass has b = (1, −2, 1)
                w1 = -2 * y - h.a1 * v + w2
                w2 = y - h.a2 * v
                sum += v * v
            }
            self.sum += sum
            filled += run
            i += run
            if filled == segmentLength {
                segments.append(self.sum / Double(segmentLength))
                self.sum = 0
                filled = 0
            }
        }
        (self.z1, self.z2, self.w1, self.w2) = (z1, z2, w1, w2)
    }

    public func add(_ x: [Float]) { x.withUnsafeBufferPointer { add($0) } }
}

extension LoudnessMeter {
    /// Integrated loudness (BS.1770-4 §2.6–2.8) from the channels' 100-ms segment mean squares:
    /// 400-ms blocks stepping by 100 ms (75 % overlap), l_j = −0.691 + 10 log₁₀ Σ_c G_c z_cj; the
    /// blocks above the absolute gate (−70 LKFS) set the relative gate 10 LU below their mean
    /// loudness; the result is the mean over the blocks above both gates. −∞ when none is.
    public static func integrated(_ channels: [LoudnessChannel], weights: [Double]? = nil) -> Double {
        let weights = weights ?? Array(repeating: 1, count: channels.count)
        let segments = channels.map(\.segments.count).min() ?? 0
        guard segments >= 4 else { return -.infinity }
        // Σ_c G_c z_cj per block j (segments j … j + 3).
        let blocks: [Double] = (0...(segments - 4)).map { j in
            zip(channels, weights).reduce(0.0) { total, cw in total + cw.1 * (cw.0.segments[j..<(j + 4)].reduce(0, +) / 4) }
        }
        func loudness(_ z: Double) -> Double { -0.691 + 10 * log10(z) }
        let absolute = blocks.filter { loudness($0) > -70 }
        guard !absolute.isEmpty else { return -.infinity }
        let relativeGate = loudness(absolute.reduce(0, +) / Double(absolute.count)) - 10
        let gated = absolute.filter { loudness($0) > relativeGate }
        guard !gated.isEmpty else { return -.infinity }
        return loudness(gated.reduce(0, +) / Double(gated.count))
    }
}
