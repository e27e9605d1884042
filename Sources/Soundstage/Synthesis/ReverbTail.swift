import Foundation

/// One impulse reaching the listener: a time, a pressure amplitude per band (spreading included)
/// and a direction in the head frame. Specular paths and the synthesized reverberant tail are
/// both lists of arrivals for the synthesis.
public struct Arrival: Sendable {
    public var delaySeconds: Double
    /// Pressure amplitude per band (SPEC §2 units: an omni direct sound at r has 1/(4πr)).
    public var amplitudes: [Float]
    public var azimuth: Double
    public var elevation: Double
}

extension Path {
    /// The path as an arrival: amplitude bandGains/(4π·distance).
    public var arrival: Arrival {
        let spread = 1 / (4 * Double.pi * distance)
        return Arrival(delaySeconds: delaySeconds, amplitudes: bandGains.values.map { Float($0 * spread) },
                       azimuth: azimuth, elevation: elevation)
    }
}

/// The reverberant part of the response synthesized from an `EnergyField`: a Poisson sequence of
/// impulses with random signs whose per-band amplitudes follow the field's energy envelope
/// (Heinz 1996, "Binaural room simulation based on an image source model with addition of
/// statistical methods to include the diffuse sound scattering of walls"; Schröder 2011, §5.4).
///
/// - Density: a room of volume V has reflections at the rate dN/dt = 4πc³t²/V (Kuttruff, *Room
///   Acoustics*, eq. 4.12); the sequence follows it, at least `minimumDensity` (so the few early
///   scattered arrivals are not all lumped in one impulse) and at most `maximumDensity` per second
///   (beyond which the ear hears noise either way).
/// - Envelope: the field's energy per band and bin, smoothed over a window that grows with time
///   (2 % of the arrival time, at least one bin) so the ray tracer's counting noise is not doubled by
///   the sequence's own randomness; directions of arrival follow the field's direction histogram
///   over the same window.
/// - Energy: within each bin the impulses share the bin's energy per band equally (n impulses of
///   amplitude √(E/n)), so the synthesized energy per bin is exactly the envelope's; a bin without an
///   impulse hands its energy to the next one.
public enum ReverbTail {
    public static let minimumDensity = 2000.0
    public static let maximumDensity = 20000.0

    public static func synthesize(field: EnergyField, volume: Double, speedOfSound c: Double, seed: UInt64, speakerIndex: Int,
                                  onlyAfter start: Double = 0) -> [Arrival] {
        let bands = field.bandCount, cells = field.grid.cellCount, dt = field.binSeconds
        // Per bin: band energies (summed over cells) and broadband energy per cell.
        var bandEnergy = [Double](repeating: 0, count: field.binCount * bands)
        var cellEnergy = [Double](repeating: 0, count: field.binCount * cells)
        for bin in 0..<field.binCount {
            for cell in 0..<cells {
                for b in 0..<bands {
                    let e = field.energy(band: b, bin: bin, cell: cell)
                    bandEnergy[bin * bands + b] += e
                    cellEnergy[bin * cells + cell] += e
                }
            }
        }
        guard let first = (0..<field.binCount).first(where: { bin in (0..<bands).contains { bandEnergy[bin * bands + $0] > 0 } }) else { return [] }
        let smoothBands = smooth(bandEnergy, width: bands, bins: field.binCount, dt: dt)
        let smoothCells = smooth(cellEnergy, width: cells, bins: field.binCount, dt: dt)
        var rng = SplitMix64Generator(seed: RandomStream.derive(seed, UInt64(speakerIndex), 0x5441_494C)) // "TAIL"
        var arrivals: [Arrival] = []
        var carry = [Double](repeating: 0, count: bands)
        var t = max(Double(first) * dt, start)
        var times: [Double] = []
        for bin in first..<field.binCount {
            let end = Double(bin + 1) * dt
            times.removeAll(keepingCapacity: true)
            // Poisson arrivals within the bin at the local density.
            while true {
                let density = min(maximumDensity, max(minimumDensity, 4 * .pi * c * c * c * t * t / volume))
                t += -log(max(1e-300, 1 - rng.nextDouble())) / density
                if t >= end { t = end; break }
                times.append(t)
            }
            for b in 0..<bands { carry[b] += smoothBands[bin * bands + b] }
            guard !times.isEmpty, Double(bin + 1) * dt > start else { continue }
            let n = Double(times.count)
            let amplitudes = carry.map { Float(($0 / n).squareRoot()) }
            carry = [Double](repeating: 0, count: bands)
            let weights = Array(smoothCells[(bin * cells)..<((bin + 1) * cells)])
            let total = weights.reduce(0, +)
            for time in times {
                let sign: Float = rng.next() & 1 == 0 ? 1 : -1
                let cell = pick(weights, total: total, rng.nextDouble())
                let v = field.grid.direction(cell: cell, rng.nextDouble(), rng.nextDouble())
                let azimuth = degrees(atan2(v.y, v.x)), elevation = degrees(asin(max(-1, min(1, v.z))))
                arrivals.append(Arrival(delaySeconds: time, amplitudes: amplitudes.map { $0 * sign }, azimuth: azimuth, elevation: elevation))
            }
        }
        return arrivals
    }

    /// Moving average over ±w(t) bins with w(t) = 1 % of the bin's time (so the window spans 2 %),
    /// applied to `width` interleaved columns.
    static func smooth(_ x: [Double], width: Int, bins: Int, dt: Double) -> [Double] {
        // Prefix sums per column make each window O(1).
        var prefix = [Double](repeating: 0, count: (bins + 1) * width)
        for bin in 0..<bins {
            for k in 0..<width { prefix[(bin + 1) * width + k] = prefix[bin * width + k] + x[bin * width + k] }
        }
        var out = [Double](repeating: 0, count: x.count)
        for bin in 0..<bins {
            let half = Int((0.01 * Double(bin) * dt / dt).rounded())
            let lo = max(0, bin - half), hi = min(bins - 1, bin + half)
            let count = Double(hi - lo + 1)
            for k in 0..<width { out[bin * width + k] = (prefix[(hi + 1) * width + k] - prefix[lo * width + k]) / count }
        }
        return out
    }

    /// Index i with probability weights[i]/total (the last non-zero one for u → 1).
    static func pick(_ weights: [Double], total: Double, _ u: Double) -> Int {
        guard total > 0 else { return Int(u * Double(weights.count)) % weights.count }
        var acc = 0.0
        let target = u * total
        for (i, w) in weights.enumerated() {
            acc += w
            if target < acc { return i }
        }
        return weights.lastIndex { $0 > 0 } ?? weights.count - 1
    }
}
