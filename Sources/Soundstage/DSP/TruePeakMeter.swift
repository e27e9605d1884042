import Foundation

/// True peak after ITU-R BS.1770-4 Annex 2: the largest magnitude of the signal 4× oversampled by
/// an interpolating low-pass, so peaks between the samples count.
///
/// The interpolator is a Kaiser-windowed sinc (β = 8, sidelobes ≈ −80 dB) of 129 taps at the 4×
/// rate, split into four polyphase branches of 33 taps; phase 0 is the original sample. Its
/// transition band spans about 0.42–0.58 of the sample rate (20–28 kHz at 48 kHz), so content up to
/// 20 kHz reads at its full peak; Annex 2's example filter has 48 taps and a wider one. The branches
/// run eight output samples at a time (`SIMD8<Float>`), several times faster than a scalar meter,
/// which matters because the renderer meters every sample it writes; groups of samples whose
/// interpolation cannot exceed the peak so far (Σ|h|·max|x| below it) are skipped, exactly.
public final class TruePeakMeter: @unchecked Sendable {
    static let factor = 4
    static let tapsPerPhase = 33
    /// branches[p][k]: tap k of phase p (output sample 4n + p uses x[n − k]).
    static let branches: [[Float]] = {
        let length = factor * (tapsPerPhase - 1) + 1 // 129
        let centre = Double(length - 1) / 2           // 64
        let beta = 8.0
        func besselI0(_ x: Double) -> Double {
            var sum = 1.0, term = 1.0, k = 1.0
            while term > 1e-12 * sum { term *= (x / (2 * k)) * (x / (2 * k)); sum += term; k += 1 }
            return sum
        }
        let h: [Double] = (0..<length).map { m in
            let t = (Double(m) - centre) / Double(factor)
            let sinc = t == 0 ? 1 : sin(.pi * t) / (.pi * t)
            let r = (Double(m) - centre) / centre
            return sinc * besselI0(beta * max(0, 1 - r * r).squareRoot()) / besselI0(beta)
        }
        return (0..<factor).map { p in
            // Each branch normalized to unit DC gain (a constant signal reads its own level).
            var taps = (0..<tapsPerPhase).map { k -> Double in
                let m = factor * k + p
                return m < length ? h[m] : 0
            }
            let sum = taps.reduce(0, +)
            taps = taps.map { $0 / sum }
            return taps.map(Float.init)
        }
    }()

    /// max over the branches of Σ|h| — the most an interpolated sample can exceed its inputs by.
    static let gainBound: Float = branches.map { $0.reduce(0) { $0 + abs($1) } }.max()!

    private var history: [[Float]]
    private var peak: [Float]

    public init(channels: Int) {
        history = Array(repeating: [Float](repeating: 0, count: TruePeakMeter.tapsPerPhase - 1), count: channels)
        peak = Array(repeating: 0, count: channels)
    }

    /// Meters channel `c`'s next samples (channels may be fed from different threads).
    public func add(channel c: Int, _ x: [Float]) {
        let k = TruePeakMeter.tapsPerPhase, n = x.count
        guard n > 0 else { return }
        // Work buffer: the last k − 1 samples of the previous block, then this block.
        var buffer = history[c]
        buffer.append(contentsOf: x)
        var best = SIMD8<Float>(repeating: 0)
        var level = peak[c] // the running peak: groups that cannot exceed it are skipped
        let bound = TruePeakMeter.gainBound
        buffer.withUnsafeBufferPointer { b in
            let base = b.baseAddress!
            // Largest |x| per 8 samples of the buffer (the last group may be short).
            let groups = (b.count + 7) / 8
            let groupMax = [Float](unsafeUninitializedCapacity: groups) { g, count in
                for q in 0..<groups {
                    var m: Float = 0
                    for i in (8 * q)..<min(b.count, 8 * q + 8) { m = max(m, abs(base[i])) }
                    g[q] = m
                }
                count = groups
            }
            var i = 0
            // Output i (input sample i of this block) uses buffer[i + k − 1 − j] for tap j: the
            // samples i … i + k + 6 for eight outputs, i.e. the 8-sample groups i/8 … i/8 + 5.
            while i + 8 <= n {
                var window: Float = 0
                for q in (i / 8)...min(groups - 1, i / 8 + (k + 6) / 8) { window = max(window, groupMax[q]) }
                // An interpolated value never exceeds Σ|h|·max|x| over its taps: skip exactly when
                // that cannot beat the peak so far.
                if window * bound > level {
                    for branch in TruePeakMeter.branches {
                        branch.withUnsafeBufferPointer { h in
                            var acc = SIMD8<Float>(repeating: 0)
                            for j in 0..<k {
                                let p = UnsafeRawPointer(base + i + k - 1 - j)
                                acc += h[j] * p.loadUnaligned(as: SIMD8<Float>.self)
                            }
                            // |acc| by masking, then the running maximum (blends, no generic calls).
                            let magnitude = acc.replacing(with: -acc, where: acc .< 0)
                            best.replace(with: magnitude, where: magnitude .> best)
                        }
                    }
                    let b4 = best.lowHalf.replacing(with: best.highHalf, where: best.highHalf .> best.lowHalf)
                    level = max(level, max(max(b4.x, b4.y), max(b4.z, b4.w)))
                }
                i += 8
            }
            while i < n {
                for branch in TruePeakMeter.branches {
                    var acc: Float = 0
                    for j in 0..<k { acc += branch[j] * base[i + k - 1 - j] }
                    best[0] = max(best[0], abs(acc))
                }
                i += 1
            }
        }
        peak[c] = max(peak[c], level, best.max())
        history[c] = Array(buffer.suffix(k - 1))
    }

    /// The true peak over everything metered, dBTP (−∞ for silence).
    public var truePeakDBTP: Double {
        let p = peak.max() ?? 0
        return p > 0 ? 20 * log10(Double(p)) : -.infinity
    }
}
