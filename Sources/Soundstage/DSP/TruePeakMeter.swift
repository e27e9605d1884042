import Foundation

/// True peak after ITU-R BS.1770-4 Annex 2: the largest magnitude of the signal 4× oversampled by
/// an interpolating low-pass, so peaks between the samples count.
///
/// The interpolator is a Kaiser-windowed sinc (β = 8, sidelobes ≈ −80 dB) of 129 taps at the 4×
/// rate, split into four polyphase branches of 33 taps; phase 0 is the original sample. Its
/// transition band spans about 0.42–0.58 of the sample rate (20–28 kHz at 48 kHz), so content up to
/// 20 kHz reads at its full peak; Annex 2's example filter has 48 taps and a wider one.
///
/// Speed matters because the renderer meters every sample it writes. Phase 0 is the sample itself;
/// the filter's symmetry folds the other three: branch 2 is symmetric and branch 3 is branch 1
/// reversed, so with u_j = x[c − j] + x[c − 31 + j] and v_j = x[c − j] − x[c − 31 + j] (j < 16),
/// y₂ = Σ h₂ u, y₁ + y₃ = Σ (h₁ + h₃) u and y₁ − y₃ = Σ (h₁ − h₃) v, and max(|y₁|, |y₃|) =
/// (|y₁ + y₃| + |y₁ − y₃|)/2 — 48 multiply-adds per sample instead of 132, eight samples at a time
/// (`SIMD8<Float>`). Runs whose interpolation cannot exceed the peak so far (Σ|h|·max|x| below it)
/// are skipped, exactly.
final class TruePeakMeter {
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

    /// The folded coefficients: h₂[j], h₁[j] + h₃[j], h₁[j] − h₃[j] for j < 16 (see above).
    static let folded: [Float] = {
        let b = branches, half = (tapsPerPhase - 1) / 2
        // The folding needs the structure it relies on; a changed design must fail loudly here.
        for j in 0..<tapsPerPhase {
            precondition(b[0][j] == (j == half ? 1 : 0) || abs(b[0][j] - (j == half ? 1 : 0)) < 1e-6, "phase 0 is not the sample")
        }
        for j in 0..<(2 * half) {
            precondition(abs(b[2][j] - b[2][2 * half - 1 - j]) < 1e-6 && abs(b[3][j] - b[1][2 * half - 1 - j]) < 1e-6, "branches not mirrored")
        }
        precondition(b[1][2 * half] == 0 && b[2][2 * half] == 0 && b[3][2 * half] == 0)
        return (0..<half).map { b[2][$0] } + (0..<half).map { b[1][$0] + b[3][$0] } + (0..<half).map { b[1][$0] - b[3][$0] }
    }()

    /// The last tapsPerPhase − 1 samples of the previous block, then the current block.
    private var buffer: [Float] = Array(repeating: 0, count: TruePeakMeter.tapsPerPhase - 1)
    /// The largest interpolated magnitude so far.
    public private(set) var peak: Float = 0

    public init() {}

    public func add(_ x: [Float]) { x.withUnsafeBufferPointer { add($0) } }

    /// Meters the channel's next samples.
    public func add(_ x: UnsafeBufferPointer<Float>) {
        let k = TruePeakMeter.tapsPerPhase, n = x.count
        guard n > 0 else { return }
        buffer.removeSubrange(0..<(buffer.count - (k - 1)))
        buffer.append(contentsOf: x)
        var level = peak // the running peak: samples that cannot exceed it are skipped
        let bound = TruePeakMeter.gainBound
        buffer.withUnsafeBufferPointer { b in
            TruePeakMeter.folded.withUnsafeBufferPointer { taps in
                let base = b.baseAddress!, h = taps.baseAddress!
                /// max |x| over buffer[from ..< to], eight at a time.
                func largest(_ from: Int, _ to: Int) -> Float {
                    var m = SIMD8<Float>(repeating: 0), i = from
                    while i + 8 <= to {
                        let v = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<Float>.self)
                        m = lanesMax(m, lanesAbs(v))
                        i += 8
                    }
                    var s = largestLane(m)
                    while i < to { s = max(s, abs(base[i])); i += 1 }
                    return s
                }
                // Phase 0: the samples themselves.
                level = max(level, largest(k - 1, k - 1 + n))
                // Output i (input sample i of this block, c = i + k − 1 in the buffer) reads
                // buffer[i ..< i + k]; outputs i ..< i + m read buffer[i ..< i + m + k − 1]. An
                // interpolated value never exceeds Σ|h|·max|x| over its taps: runs of 64, then of 8,
                // whose bound cannot beat the peak so far are skipped, exactly.
                let half = (k - 1) / 2
                var i = 0
                while i < n {
                    let run = min(64, n - i)
                    if largest(i, i + run + k - 1) * bound <= level { i += run; continue }
                    let end = i + run
                    while i < end {
                        if i + 8 <= end {
                            if largest(i, i + 8 + k - 1) * bound > level {
                                var y2 = SIMD8<Float>(repeating: 0), sum = y2, difference = y2
                                for j in 0..<half {
                                    let p = UnsafeRawPointer(base + i + k - 1 - j).loadUnaligned(as: SIMD8<Float>.self)
                                    let q = UnsafeRawPointer(base + i + 1 + j).loadUnaligned(as: SIMD8<Float>.self)
                                    let u = p + q, v = p - q
                                    y2 += h[j] * u
                                    sum += h[half + j] * u
                                    difference += h[2 * half + j] * v
                                }
                                let best = lanesMax(lanesAbs(y2), 0.5 * (lanesAbs(sum) + lanesAbs(difference)))
                                level = max(level, largestLane(best))
                            }
                            i += 8
                        } else {
                            var y2: Float = 0, sum: Float = 0, difference: Float = 0
                            for j in 0..<half {
                                let p = base[i + k - 1 - j], q = base[i + 1 + j]
                                y2 += h[j] * (p + q)
                                sum += h[half + j] * (p + q)
                                difference += h[2 * half + j] * (p - q)
                            }
                            level = max(level, abs(y2), 0.5 * (abs(sum) + abs(difference)))
                            i += 1
                        }
                    }
                }
            }
        }
        peak = level
    }

    /// The true peak over everything metered, dBTP (−∞ for silence).
    public var truePeakDBTP: Double { peak > 0 ? 20 * log10(Double(peak)) : -.infinity }
}
