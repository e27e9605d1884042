import Foundation

/// Schroeder backward integration (Schroeder 1965) of an impulse response's energy, with the
/// noise-floor handling of Lundeby, Vigran, Bietz & Vorländer (1995): the decay is integrated only
/// up to the crosspoint where it meets the background noise, and the energy an exponential decay
/// would have had beyond that point is added back.
public struct DecayCurve: Sendable {
    /// Decay level in dB re the total energy, per sample from the onset.
    public let levels: [Double]
    public let sampleRate: Double
    /// Background noise level in dB re the peak energy, when a noise floor was found.
    public let noiseFloorDB: Double?
    /// Samples after the onset where the decay meets the noise (the integration limit).
    public let crosspoint: Int
    /// Where a noiseless response (no noise floor found: a simulation) ends, the level its energy
    /// has fallen to (dB re the strongest 10-ms window, over the last 10 ms); nil when a noise floor
    /// was found. A decay fitted down to L dB needs the response to go on to L − 10 dB (ISO 3382-1
    /// §5.3.2): a response cut sooner bends the backward integral and shortens the time.
    public let endLevelDB: Double?

    /// `energy`: squared impulse response from the onset on. `noiseless`: a simulated energy
    /// response, which has no noise floor to look for (Lundeby's search would take the sparse end
    /// of a ray-traced decay for one).
    public init(energy: [Double], sampleRate fs: Double, noiseless: Bool = false) {
        sampleRate = fs
        let n = energy.count
        var limit = n, correction = 0.0, noise: Double?
        if !noiseless, let l = Lundeby.analyse(energy: energy, sampleRate: fs) {
            limit = l.crosspoint
            correction = l.tailEnergy
            noise = l.noiseDB
        }
        crosspoint = limit
        noiseFloorDB = noise
        let window = max(1, Int(0.01 * fs))
        if noise == nil, n >= 2 * window {
            var strongest = 0.0, running = energy[0..<window].reduce(0, +)
            strongest = running
            for i in window..<n { running += energy[i] - energy[i - window]; strongest = max(strongest, running) }
            endLevelDB = strongest > 0 ? 10 * log10(max(running, 1e-300) / strongest) : nil
        } else {
            endLevelDB = nil
        }
        var levels = [Double](repeating: -.infinity, count: limit)
        var sum = correction
        for i in stride(from: limit - 1, through: 0, by: -1) {
            sum += energy[i]
            levels[i] = sum
        }
        let total = levels.first ?? 0
        // 10·log10(E/E₀) as (10/ln 10)·ln(E/E₀): the natural logarithm is the faster of the two in
        // glibc, and this runs on every sample of every band.
        let scale = 10 / M_LN10
        self.levels = total > 0 ? levels.map { scale * log(max($0, 1e-300) / total) } : levels.map { _ in -.infinity }
    }

    /// Reverberation time from the regression of the decay between `upper` and `lower` dB,
    /// extrapolated to 60 dB (ISO 3382-1 §5.3.3), and ISO 3382-2:2008 Annex B.2's non-linearity
    /// ξ = 1000 (1 − r²) in per mille of that regression (r its correlation coefficient): 0 for a
    /// straight decay; above 10 ‰ the decay is curved over the range (a double slope, or a direct
    /// sound that dominates its start) and the reverberation time is doubtful. Both missing when
    /// the decay does not reach `lower` with 10 dB to spare above the noise floor (ISO 3382-1
    /// §5.3.2 / Table 1).
    public func decayFit(upper: Double, lower: Double) -> (time: Parameter, nonLinearity: Parameter) {
        func missing(_ reason: String) -> (Parameter, Parameter) { (.missing(reason), .missing(reason)) }
        guard let start = levels.firstIndex(where: { $0 <= upper }) else { return missing("no decay") }
        guard let end = levels.firstIndex(where: { $0 <= lower }) else {
            let reached = levels.last.map { String(format: "%.1f", $0) } ?? "-inf"
            return missing("decay range too small (the decay curve reaches \(reached) dB, \(format(lower)) dB needed)")
        }
        if let noise = noiseFloorDB, lower < noise + 10 {
            return missing(String(format: "decay range too small (noise floor at %.1f dB, %@ dB needed)", noise, format(lower - 10)))
        }
        guard end - start >= 3 else { return missing("too few samples in the evaluation range") }
        let points = (start..<end).map { (x: Double($0) / sampleRate, y: levels[$0]) }
        guard let line = leastSquaresLine(points), line.slope < 0 else { return missing("the decay does not fall") }
        // r² = 1 − residual / total sum of squares about the mean.
        let mean = points.reduce(0.0) { $0 + $1.y } / Double(points.count)
        var residual = 0.0, total = 0.0
        for p in points {
            let r = p.y - (line.intercept + line.slope * p.x), d = p.y - mean
            residual += r * r
            total += d * d
        }
        return (.of(-60 / line.slope), total > 0 ? .of(1000 * residual / total) : .missing("flat decay"))
    }

    /// The reverberation time of `decayFit(upper:lower:)`.
    public func reverberationTime(upper: Double, lower: Double) -> Parameter { decayFit(upper: upper, lower: lower).time }

    /// Least-squares line (dB = intercept + slope · t, t in s from the onset) through the decay
    /// between `upper` and `lower` dB, or nil when the decay does not span that range.
    public func regression(upper: Double, lower: Double) -> (slope: Double, intercept: Double)? {
        guard let start = levels.firstIndex(where: { $0 <= upper }), let end = levels.firstIndex(where: { $0 <= lower }),
              end - start >= 3 else { return nil }
        return leastSquaresLine((start..<end).map { (x: Double($0) / sampleRate, y: levels[$0]) })
    }
}

/// Lundeby et al. (1995), "Uncertainties of measurements in room acoustics", Acustica 81: the
/// iterative estimate of the noise floor and the crosspoint of decay and noise.
enum Lundeby {
    struct Result { var crosspoint: Int; var noiseDB: Double; var tailEnergy: Double }

    /// Nil when the response has no measurable noise floor (e.g. a simulated, noise-free IR).
    static func analyse(energy e: [Double], sampleRate fs: Double) -> Result? {
        let n = e.count
        guard n > Int(0.1 * fs), let peak = e.max(), peak > 0 else { return nil }
        func db(_ x: Double) -> Double { 10 * log10(max(x, 1e-300) / peak) }
        func mean(_ a: Int, _ b: Int) -> Double { a < b ? e[a..<b].reduce(0, +) / Double(b - a) : 0 }
        // 1–2: noise from the last 10 %. A noise floor is stationary: over the last 20 % of the
        // response its level has no trend. When a line fitted to that part's 10 ms block levels falls
        // by more than 1.5 dB across it, the response is still decaying (a noise-free simulated
        // response, or the slow second slope of a double-slope decay) and there is no noise to handle.
        var noise = mean(n - n / 10, n)
        guard db(noise) > -150 else { return nil }
        let tailBlock = max(1, Int(0.01 * fs))
        let tail = stride(from: n - n / 5, to: n - tailBlock, by: tailBlock).map { (t: Double($0), l: db(mean($0, $0 + tailBlock))) }
        if tail.count >= 4, let fit = leastSquaresLine(tail.map { (x: $0.t, y: $0.l) }), -fit.slope * Double(n / 5) > 1.5 {
            return nil
        }
        // Averages over blocks of `block` samples.
        func blocks(_ block: Int, upTo end: Int) -> [(t: Double, l: Double)] {
            stride(from: 0, to: max(0, end - block), by: block).map { (Double($0 + block / 2), db(mean($0, $0 + block))) }
        }
        func regression(_ pts: [(t: Double, l: Double)]) -> (a: Double, b: Double)? {
            guard let fit = leastSquaresLine(pts.map { (x: $0.t, y: $0.l) }), fit.slope < 0 else { return nil }
            return (fit.intercept, fit.slope)
        }
        // 3: a first regression from 0 dB to 10 dB above the noise, on 10 ms blocks.
        var block = max(1, Int(0.01 * fs))
        var pts = blocks(block, upTo: n)
        guard let firstAbove = pts.lastIndex(where: { $0.l > db(noise) + 10 }),
              var line = regression(Array(pts[0...firstAbove])) else { return nil }
        // A decay that meets the "noise" only in the last tenth is still the decay itself.
        guard (db(noise) - line.a) / line.b < 0.9 * Double(n) else { return nil }
        var crosspoint = n
        for _ in 0..<5 {
            // 4: crosspoint of the regression line with the noise level.
            let cross = Int(((db(noise) - line.a) / line.b).rounded())
            guard cross > 0 else { return nil }
            let previous = crosspoint
            crosspoint = min(n, cross)
            // 5–6: blocks giving about 5 per 10 dB of decay.
            block = max(1, min(n / 10, Int(-10 / line.b / 5)))
            // 7: noise from 10 dB of decay past the crosspoint (at least the last 10 %).
            let noiseStart = min(n - n / 10, crosspoint + Int(-10 / line.b))
            noise = mean(noiseStart, n)
            // 8: late-decay regression from 5 dB to 25 dB above the noise.
            pts = blocks(block, upTo: crosspoint)
            let late = pts.filter { $0.l > db(noise) + 5 && $0.l < db(noise) + 25 }
            guard let l = regression(late) else { break }
            line = l
            if abs(crosspoint - previous) < block { break }
        }
        let cross = min(n, max(1, Int(((db(noise) - line.a) / line.b).rounded())))
        // Energy of the decay beyond the crosspoint: ∫ ρ(t) e^{−k(t−tc)} dt with k from the slope.
        let k = -line.b * log(10) / 10 // per sample
        let density = peak * pow(10, (line.a + line.b * Double(cross)) / 10)
        return Result(crosspoint: cross, noiseDB: db(noise), tailEnergy: density / k)
    }
}
