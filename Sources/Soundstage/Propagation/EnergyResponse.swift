import Foundation

/// The expected energy response of one speaker at the listener, per octave band: the energy of
/// every image-source arrival placed at its delay, plus the ray tracer's energy field spread over
/// its bins. It is what the synthesized response is one random realization of — the mean over the
/// tail's random signs and over the sub-wavelength position of the ear, where arrivals interfere —
/// and the quantity the ISO 3382-1 parameters of a simulation are computed from in energy-based
/// room acoustics (Vorländer, *Auralization*, 2008, §11.3; ODEON and CATT-Acoustic report their
/// parameters from this energy response, not from an auralized realization).
///
/// Units as `EnergyField`: per band, Σ p² over the samples of the omni RIR (an arrival of amplitude
/// A contributes A²).
public struct EnergyResponse: Sendable {
    /// Bin width: 0.1 ms, fine enough for the 50/80 ms limits and the ±1.25 ms direct-sound window.
    public static let binSeconds = 1e-4
    public static let bandCount = 8
    public let binCount: Int
    /// values[bin · bandCount + band].
    public private(set) var values: [Double]

    public init(durationSeconds: Double) {
        binCount = max(1, Int((durationSeconds / EnergyResponse.binSeconds).rounded(.up)))
        values = [Double](repeating: 0, count: binCount * EnergyResponse.bandCount)
    }

    /// Adds a work slot's bins (those within this response).
    mutating func add(_ tallies: SlotTallies) {
        let n = EnergyResponse.bandCount
        for i in 0..<tallies.count where tallies.firstBin + i < binCount {
            let e = tallies.planes[i]
            for b in 0..<n { values[(tallies.firstBin + i) * n + b] += Double(e[b]) }
        }
    }

    /// Adds another response of the same length (merging work slots in a fixed order).
    mutating func add(_ other: EnergyResponse) {
        precondition(other.values.count == values.count)
        for i in values.indices { values[i] += other.values[i] }
    }

    /// Adds the ray tracer's field, each bin's energy shared evenly by the bins it covers.
    mutating func add(field: EnergyField) {
        let n = EnergyResponse.bandCount
        let perBin = max(1, Int((field.binSeconds / EnergyResponse.binSeconds).rounded()))
        for bin in 0..<field.binCount {
            for b in 0..<min(n, field.bandCount) {
                let e = field.energy(band: b, bin: bin) / Double(perBin)
                guard e > 0 else { continue }
                for k in 0..<perBin {
                    let i = bin * perBin + k
                    if i < binCount { values[i * n + b] += e }
                }
            }
        }
    }

    /// The energy of band `band` per bin.
    public func band(_ band: Int) -> [Double] {
        (0..<binCount).map { values[$0 * EnergyResponse.bandCount + band] }
    }

    /// Multiplies band `band` by `factor`.
    mutating func scale(band: Int, by factor: Double) {
        for bin in 0..<binCount { values[bin * EnergyResponse.bandCount + band] *= factor }
    }

    /// Adds the energy of a deterministic signal already filtered to band `band` (sample n at
    /// time n / `sampleRate`): its squared samples summed per bin.
    mutating func add(bandSignal x: [Float], sampleRate fs: Double, band: Int) {
        for (n, v) in x.enumerated() {
            let bin = Int(Double(n) / fs / EnergyResponse.binSeconds)
            guard bin < binCount else { break }
            values[bin * EnergyResponse.bandCount + band] += Double(v) * Double(v)
        }
    }

    /// The energy an octave filter passes of an impulse of unit amplitude in every band (Parseval):
    /// (2/fs) ∫₀^{fs/2} |H_b(f)|² (1 − H_x(f))² df, H_b the analysis filter and H_x the wave
    /// crossover's low-pass weight (`WaveCrossover.waveWeight`; none when `crossover` is nil), by the
    /// trapezoid rule in log frequency (48 points per octave from 5 Hz).
    public static func bandWeight(_ filter: OctaveFilter, sampleRate fs: Double, crossover: Double?) -> Double {
        let top = fs / 2, lowest = 5.0
        let steps = Int((log2(top / lowest) * 48).rounded(.up))
        let h = log2(top / lowest) / Double(steps)
        var sum = 0.0
        for k in 0...steps {
            let f = lowest * exp2(Double(k) * h)
            let m = filter.magnitude(hertz: f, sampleRate: fs)
            let g = 1 - (crossover.map { WaveCrossover.waveWeight(hertz: f, crossover: $0) } ?? 0)
            // df = f ln 2 d(log₂ f)
            sum += (k == 0 || k == steps ? 0.5 : 1) * m * m * g * g * f * log(2) * h
        }
        return 2 / fs * sum
    }
}

/// A work slot's share of the energy response while it runs: `EnergyResponse`'s bins
/// `firstBin ..< endBin` in three planes — every arrival's energy, the late arrivals' (after the
/// slot's `lateStart`), and theirs weighted by cos² of the angle to the ear axis — band b in lane b.
/// A bin sums few arrivals, so Float lanes hold it to Float precision; the slot's late totals are
/// summed over the bins in Double.
final class SlotTallies: @unchecked Sendable { // written by one work slot, read after it has finished
    let firstBin: Int
    let count: Int
    /// Plane k at planes[k · count + i] for bin firstBin + i.
    let planes: UnsafeMutablePointer<SIMD8<Float>>

    init(firstBin: Int, endBin: Int) {
        self.firstBin = firstBin
        count = max(1, endBin - firstBin)
        planes = .allocate(capacity: 3 * count)
        planes.initialize(repeating: SIMD8<Float>(), count: 3 * count)
    }

    deinit { planes.deallocate() }

    /// Adds an arrival at `seconds` of energy `energy` per band; `lateCosineSquared` (cos² to the
    /// ear axis) for a late one. Arrivals outside the bins are not counted.
    @inline(__always)
    func add(seconds: Double, energy: SIMD8<Float>, lateCosineSquared: Float?) {
        let i = Int(seconds * (1 / EnergyResponse.binSeconds)) - firstBin
        guard seconds >= 0, i >= 0, i < count else { return }
        planes[i] += energy
        if let c2 = lateCosineSquared {
            planes[count + i] += energy
            planes[2 * count + i] += energy * c2
        }
    }

    /// Multiplies band b of every bin by exp(−m_b · d), d the path length at the bin's centre:
    /// `metresAtZero` + (bin + ½) · `metresPerBin` (0 for negative lengths) — air absorption of the
    /// energy applied by path length (0.1 ms is 3.4 cm of path: the factor differs from an
    /// arrival's own by at most m_b · 1.7 cm, 5·10⁻⁴ relative at 8 kHz).
    func attenuate(perMetre m: SIMD8<Double>, metresAtZero: Double, metresPerBin: Double) {
        for i in 0..<count {
            let metres = max(0, metresAtZero + (Double(firstBin + i) + 0.5) * metresPerBin)
            var f = SIMD8<Double>()
            for b in 0..<8 { f[b] = exp(-m[b] * metres) }
            let factor = SIMD8<Float>(f)
            for plane in 0..<3 { planes[plane * count + i] *= factor }
        }
    }

    /// Per band: Σ E r²·(4π)² = Σ (gain/r)² over the late arrivals, and the same weighted by cos².
    func lateSums() -> (late: [Double], lateral: [Double]) {
        var late = SIMD8<Double>(), lateral = SIMD8<Double>()
        for i in 0..<count {
            late += SIMD8<Double>(planes[count + i])
            lateral += SIMD8<Double>(planes[2 * count + i])
        }
        let scale = 16 * Double.pi * Double.pi
        return ((0..<8).map { late[$0] * scale }, (0..<8).map { lateral[$0] * scale })
    }
}
