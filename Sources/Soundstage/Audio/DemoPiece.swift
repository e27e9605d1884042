import Foundation

/// The demo piece of `make demo` and the studio: 8 seconds of stereo at 48 kHz — a plucked line on
/// the left, percussive noise in the centre, a bass line on the right, then all three — so that each
/// speaker and the phantom centre are heard alone before the mix. Fixed seed: the same samples
/// every time.
public enum DemoPiece {
    public static func make() -> AudioBuffer {
        let fs = 48000.0, n = Int(8 * fs)
        var left = [Float](repeating: 0, count: n), right = left
        var rng = SplitMix64Generator(seed: 2026)
        func pluck(_ f0: Double, at t0: Double, amp: Double, into: inout [Float]) {
            for i in Int(t0 * fs)..<min(n, Int((t0 + 0.5) * fs)) {
                let t = Double(i) / fs - t0
                var v = 0.0
                for h in 1...6 { v += sin(2 * .pi * f0 * Double(h) * t) / Double(h * h) * exp(-t * (3 + Double(h))) }
                into[i] += Float(amp * v)
            }
        }
        func hit(at t0: Double, amp: Double, left l: Double, right r: Double) {
            for i in Int(t0 * fs)..<min(n, Int((t0 + 0.15) * fs)) {
                let t = Double(i) / fs - t0, v = rng.gaussian() * exp(-t * 35) * amp
                left[i] += Float(v * l); right[i] += Float(v * r)
            }
        }
        let melody = [220.0, 277.2, 329.6, 440, 329.6, 277.2, 246.9, 220]
        let bass = [55.0, 55, 73.4, 65.4, 55, 55, 82.4, 73.4]
        for section in 0..<4 {
            let t = Double(section) * 2
            for k in 0..<8 {
                let tk = t + Double(k) * 0.25
                if section == 0 || section == 3 { pluck(melody[k], at: tk, amp: 0.25, into: &left) }
                if section == 1 || section == 3 { hit(at: tk, amp: k % 2 == 0 ? 0.25 : 0.12, left: 0.7, right: 0.7) }
                if section == 2 || section == 3 { pluck(bass[k], at: tk, amp: 0.35, into: &right) }
            }
        }
        return AudioBuffer(sampleRate: Int(fs), channels: [left, right])
    }
}
