import CMySofa
import Foundation

/// What the binaural synthesis needs to know about an HRTF set as a whole.
public struct DiffuseFieldStatistics: Sendable {
    /// Amplitude factor applied to every HRIR so that the diffuse-field (direction-averaged) energy
    /// of an HRIR, averaged over both ears, is 1: a path then keeps its 1/(4πr) level whatever the
    /// set's measurement distance and its own scaling ("near-field honesty").
    public var normalization: Double
    /// Diffuse-field power of each ear per octave band after normalization (≈ 1 on average).
    public var powerLeft: BandValues
    public var powerRight: BandValues
    /// Diffuse-field interaural coherence per band: Re Σ H_L H_R* / √(Σ|H_L|² Σ|H_R|²) over all
    /// directions (solid-angle weighted) and the band's frequencies, each weighted by the engine's
    /// band response W_b(f)² (Jacobsen & Roisin 2000; Menzer & Faller 2009 use the same quantity for
    /// binaural reverberation).
    public var coherence: BandValues
    /// The same quantities per frequency: bin k is at k · `binHertz` (normalized powers, coherence).
    public var binHertz: Double
    public var powerLeftSpectrum: [Double]
    public var powerRightSpectrum: [Double]
    public var coherenceSpectrum: [Double]

    /// Linear interpolation of a per-bin spectrum at `hertz`.
    func interpolate(_ spectrum: [Double], hertz f: Double) -> Double {
        let x = f / binHertz
        let i = min(spectrum.count - 2, max(0, Int(x)))
        let t = min(1, max(0, x - Double(i)))
        return spectrum[i] * (1 - t) + spectrum[i + 1] * t
    }
    /// Arrival time of the frontal HRIR pair (peak, samples): removed so that a frontal source
    /// reaches the ears at r/c exactly (no added latency, SPEC §2).
    public var commonDelaySamples: Double
}

extension HRTFSet {
    /// Solid-angle weights of the measured directions: the set's elevation rings each get the solid
    /// angle of their band of elevations, shared equally among the ring's azimuths. (For sets that
    /// are not on rings every direction forms its own ring, a coarser approximation.)
    func directionWeights() -> [(x: Float, y: Float, z: Float, weight: Double)] {
        let hrtf = easyHandle.pointee.hrtf!
        let m = Int(hrtf.pointee.M), c = Int(hrtf.pointee.C)
        let pos = hrtf.pointee.SourcePosition.values!
        var dirs: [(Float, Float, Float, Int)] = []
        for i in 0..<m {
            let x = pos[i * c], y = pos[i * c + 1], z = pos[i * c + 2]
            let r = max(1e-9, (x * x + y * y + z * z).squareRoot())
            dirs.append((x, y, z, Int((asin(Double(z / r)) * 180 / .pi).rounded())))
        }
        let rings = Dictionary(grouping: dirs.indices, by: { dirs[$0].3 })
        let elevations = rings.keys.sorted()
        var weights = [Double](repeating: 0, count: m)
        for (k, el) in elevations.enumerated() {
            let lower = k == 0 ? Double(el) - 5 : Double(el + elevations[k - 1]) / 2
            let upper = k == elevations.count - 1 ? min(90, Double(el) + 5) : Double(el + elevations[k + 1]) / 2
            let solid = 2 * Double.pi * (sin(min(90, upper) * .pi / 180) - sin(max(-90, lower) * .pi / 180))
            for i in rings[el]! { weights[i] = solid / Double(rings[el]!.count) }
        }
        return dirs.indices.map { (dirs[$0].0, dirs[$0].1, dirs[$0].2, weights[$0]) }
    }

    /// Diffuse-field power, coherence and normalization of the set at its sample rate.
    public func diffuseField(bands: FrequencyBands = .octaves) -> DiffuseFieldStatistics {
        let hrtf = easyHandle.pointee.hrtf!
        let m = Int(hrtf.pointee.M), r = Int(hrtf.pointee.R), n = Int(hrtf.pointee.N)
        let ir = hrtf.pointee.DataIR.values!
        let size = FFTSize.good(atLeast: 2 * n)
        let fft = RealFFT(size: size)
        let bins = fft.binCount
        var pl = [Double](repeating: 0, count: bins), pr = pl, cross = pl
        var totalWeight = 0.0
        var x = [Float](repeating: 0, count: size), sl = [Float](repeating: 0, count: 2 * bins), sr = sl
        for (i, d) in directionWeights().enumerated() where r >= 2 {
            for k in 0..<n { x[k] = ir[(i * r) * n + k] }
            x.withUnsafeBufferPointer { a in sl.withUnsafeMutableBufferPointer { fft.forward(a.baseAddress!, $0.baseAddress!) } }
            for k in 0..<n { x[k] = ir[(i * r + 1) * n + k] }
            x.withUnsafeBufferPointer { a in sr.withUnsafeMutableBufferPointer { fft.forward(a.baseAddress!, $0.baseAddress!) } }
            for k in 0..<bins {
                let lr = Double(sl[2 * k]), li = Double(sl[2 * k + 1]), rr = Double(sr[2 * k]), ri = Double(sr[2 * k + 1])
                pl[k] += d.weight * (lr * lr + li * li)
                pr[k] += d.weight * (rr * rr + ri * ri)
                cross[k] += d.weight * (lr * rr + li * ri) // Re(H_L · conj H_R)
            }
            totalWeight += d.weight
        }
        // Mean HRIR energy over directions and both ears = mean |H|² over bins (Parseval) → normalize to 1.
        let meanPower = (pl.reduce(0, +) + pr.reduce(0, +)) / (2 * Double(bins) * totalWeight)
        let normalization = 1 / meanPower.squareRoot()
        var powerL = [Double](), powerR = [Double](), coherence = [Double]()
        for b in bands.indices {
            var sL = 0.0, sR = 0.0, sC = 0.0, sW = 0.0
            for k in 0..<bins {
                let w = BandFilterBank.weight(band: b, hertz: Double(k) * sampleRate / Double(size))
                let w2 = w * w
                sL += w2 * pl[k]; sR += w2 * pr[k]; sC += w2 * cross[k]; sW += w2
            }
            powerL.append(sL / (sW * totalWeight) / meanPower)
            powerR.append(sR / (sW * totalWeight) / meanPower)
            coherence.append(sL > 0 && sR > 0 ? sC / (sL * sR).squareRoot() : 1)
        }
        let coherenceSpectrum = (0..<bins).map { k in pl[k] > 0 && pr[k] > 0 ? cross[k] / (pl[k] * pr[k]).squareRoot() : 1 }
        let front = hrir(azimuthDegrees: 0, elevationDegrees: 0)
        let delay = (HRTFSet.peakPosition(front.left) + HRTFSet.peakPosition(front.right)) / 2
        return DiffuseFieldStatistics(normalization: normalization, powerLeft: BandValues(powerL), powerRight: BandValues(powerR),
                                      coherence: BandValues(coherence), binHertz: sampleRate / Double(size),
                                      powerLeftSpectrum: pl.map { $0 / totalWeight / meanPower },
                                      powerRightSpectrum: pr.map { $0 / totalWeight / meanPower },
                                      coherenceSpectrum: coherenceSpectrum, commonDelaySamples: delay)
    }

    /// Position of the largest |h| with parabolic refinement (samples).
    static func peakPosition(_ h: [Float]) -> Double {
        guard let i = h.indices.max(by: { abs(h[$0]) < abs(h[$1]) }) else { return 0 }
        guard i > 0, i < h.count - 1 else { return Double(i) }
        let a = Double(abs(h[i - 1])), b = Double(abs(h[i])), c = Double(abs(h[i + 1]))
        let d = a - 2 * b + c
        return Double(i) + (d != 0 ? 0.5 * (a - c) / d : 0)
    }
}
