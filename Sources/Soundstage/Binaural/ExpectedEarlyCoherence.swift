import Foundation

/// IACC_E of a simulated BRIR as the mean over its tail's random realizations (ISO 3382-1 A.3.5's
/// max over |τ| ≤ 1 ms of the normalized interaural cross-correlation over 0–80 ms, per octave).
///
/// The BRIR's early part is its specular arrivals plus the synthesized tail's arrivals, each with a
/// random sign and a direction drawn from the ray field's direction histogram (`ReverbTail`). Over
/// those signs the cross terms between different arrivals vanish, so the expected cross-correlation
/// of the ears is the specular part's own plus, for each tail arrival i of per-band amplitude aᵢ,
/// aᵢ² times its HRIR pair's cross-correlation; over the directions, Σ aᵢ² becomes the field's
/// energy per direction cell, each cell's HRIRs averaged over it; the ears' energies likewise. In the frequency domain, with F_b the octave filter, E the diffuse-field
/// equalizer and H_L, H_R the arrival's HRIRs (its ear delays as phase):
///   S_b(ω) = |F_b|² [ L̄_s R_s + |E|² Σᵢ aᵢ,b² H̄_L,i H_R,i ],  XC_b(τ) = F⁻¹{S_b}(τ),
/// and IACC_E,b = max_|τ|≤1ms |XC_b(τ)| / √(E_L,b E_R,b) (Parseval for the energies). One
/// realization's IACC_E also carries the chance correlation of a few hundred random arrivals
/// (of order 1/√(B·T), B the bandwidth and T the window); this is the value those realizations
/// scatter around.
enum ExpectedEarlyCoherence {
    /// Per octave label (bands below the filters' limit): IACC_E from `specular`, the BRIR rendered
    /// without the tail (sample n at time n/fs), and the ray field `tail` the tail's arrivals are
    /// drawn from (`ReverbTail`: per bin and band its energy, per frame its directions), before the
    /// early/late cross-fade at `mix` seconds. `onset` is the analysis onset (sample) of the full BRIR.
    static func iaccEarly(specular: AudioBuffer, tail: EnergyField?, mix: Double, onset: Int, hrtf: HRTFSet,
                          field: DiffuseFieldStatistics, equalizer: DiffuseFieldEqualizer?) -> [String: Parameter] {
        let fs = Double(specular.sampleRate)
        let octaves = FrequencyBands.octaves
        let start = max(0, onset - Int(0.001 * fs)), end = min(specular.frameCount, onset + Int(0.08 * fs))
        guard end > start + 1 else { return [:] }
        // Long enough that the circular cross-correlation at |τ| ≤ 1 ms does not wrap: the window and the
        // HRIRs twice, plus the octave filters' own correlation (≈ ±40 ms at 63 Hz) both ways.
        let size = FFTSize.good(atLeast: 2 * (end - start) + 2 * hrtf.filterLength + Int(0.1 * fs))
        let fft = RealFFT(size: size)
        let bins = fft.binCount
        func spectrum(_ x: ArraySlice<Float>, shift: Int = 0) -> [Float] {
            var padded = [Float](repeating: 0, count: size)
            for (i, v) in x.enumerated() where i + shift < size { padded[i + shift] = v }
            return fft.forward(padded)
        }
        // The specular part's cross- and auto-spectra over the early window.
        let ls = spectrum(specular.channels[0][start..<end]), rs = spectrum(specular.channels[1][start..<end])
        // The tail's, per band (one SIMD lane each): Σ aᵢ² H̄_L H_R, Σ aᵢ² |H_L|², Σ aᵢ² |H_R|².
        let bandCount = min(EnergyResponse.bandCount, octaves.count)
        var crossRe = [SIMD8<Double>](repeating: .zero, count: bins), crossIm = crossRe, powerL = crossRe, powerR = crossRe
        // The tail's energy per band and direction cell in the window, from the ray field it is drawn
        // from (frames of 8 ms, weighted by their overlap with the window and the early/late cross-fade).
        let onsetDelay = field.commonDelaySamples
        if let tail {
            let grid = tail.grid
            let frameSeconds = tail.binSeconds * Double(tail.binsPerFrame)
            let t0 = (Double(start) + onsetDelay) / fs, t1 = (Double(end) + onsetDelay) / fs
            var cellEnergy = [SIMD8<Double>](repeating: .zero, count: grid.cellCount)
            for frame in 0..<tail.frameCount {
                let f0 = Double(frame) * frameSeconds, f1 = f0 + frameSeconds
                let a = max(f0, t0), b = min(f1, t1)
                guard b > a else { continue }
                let w = BinauralSynthesizer.earlyWeight((a + b) / 2, mix: mix) * field.normalization
                let scale = (b - a) / frameSeconds * w * w
                for cell in 0..<grid.cellCount {
                    for band in 0..<min(bandCount, tail.bandCount) { cellEnergy[cell][band] += tail.energy(band: band, frame: frame, cell: cell) * scale }
                }
            }
            // Within a cell the tail's arrivals are spread uniformly: its HRIR cross-spectrum is
            // averaged over a 3 × 3 grid of directions in it.
            let points = [1.0 / 6, 0.5, 5.0 / 6]
            for cell in 0..<grid.cellCount where cellEnergy[cell].sum() > 0 {
                let e = cellEnergy[cell] / Double(points.count * points.count)
                for u in points {
                    for v in points {
                        let d = grid.direction(cell: cell, u, v)
                        let h = hrtf.hrir(azimuthDegrees: atan2(d.y, d.x) * 180 / .pi, elevationDegrees: asin(max(-1, min(1, d.z))) * 180 / .pi)
                        let dl = Int((h.leftDelaySeconds * fs).rounded()), dr = Int((h.rightDelaySeconds * fs).rounded())
                        let l = spectrum(h.left[...], shift: max(0, dl)), r = spectrum(h.right[...], shift: max(0, dr))
                        for k in 0..<bins {
                            let lr = Double(l[2 * k]), li = Double(l[2 * k + 1]), rr = Double(r[2 * k]), ri = Double(r[2 * k + 1])
                            crossRe[k] += e * (lr * rr + li * ri)
                            crossIm[k] += e * (lr * ri - li * rr)
                            powerL[k] += e * (lr * lr + li * li)
                            powerR[k] += e * (rr * rr + ri * ri)
                        }
                    }
                }
            }
        }
        let maxLag = Int(0.001 * fs)
        var result: [String: Parameter] = [:]
        for b in 0..<bandCount where octaves.centres[b] < OctaveFilter.limit(sampleRate: fs) {
            let filter = OctaveFilter(centreHertz: octaves.centres[b], sampleRate: fs)
            var s = [Float](repeating: 0, count: 2 * bins)
            var el = 0.0, er = 0.0
            for k in 0..<bins {
                let f = Double(k) * fs / Double(size)
                let m = filter.magnitude(hertz: f, sampleRate: fs)
                let g = equalizer?.gain(hertz: f) ?? 1
                let f2 = m * m, e2 = g * g
                let lr = Double(ls[2 * k]), li = Double(ls[2 * k + 1]), rr = Double(rs[2 * k]), ri = Double(rs[2 * k + 1])
                s[2 * k] = Float(f2 * ((lr * rr + li * ri) + e2 * crossRe[k][b]))
                s[2 * k + 1] = Float(f2 * ((lr * ri - li * rr) + e2 * crossIm[k][b]))
                // Parseval over the one-sided spectrum: bins 0 and N/2 once, the others twice.
                let weight = k == 0 || k == bins - 1 ? 1.0 : 2.0
                el += weight * f2 * ((lr * lr + li * li) + e2 * powerL[k][b])
                er += weight * f2 * ((rr * rr + ri * ri) + e2 * powerR[k][b])
            }
            el /= Double(size); er /= Double(size)
            let xc = fft.inverse(s)
            var best = 0.0
            for lag in -maxLag...maxLag { best = max(best, abs(Double(xc[(lag + size) % size]))) }
            result[octaves.labels[b]] = el > 0 && er > 0 ? .of(best / (el * er).squareRoot()) : .missing("no energy in the interval")
        }
        return result
    }
}
