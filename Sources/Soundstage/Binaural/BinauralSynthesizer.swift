import Foundation

/// Binaural room impulse responses: what the listener's two ears receive from one speaker.
///
/// - Equalization: by default the HRTF set is diffuse-field equalized (`DiffuseFieldEqualizer`):
///   one minimum-phase filter on the early part, the same gain per frequency on the late part.
/// - Early part (the direct sound, every image-source path and every arrival of the ray-traced tail
///   up to `earlySeconds` after it): each arrival through the HRIR pair of its direction (head
///   frame), normalized so the diffuse-field HRIR energy is 1, shaped by its per-band amplitudes
///   (1/(4πr) included), and placed at its exact
///   fractional delay minus the set's own frontal arrival (so a frontal source reaches both ears at
///   r/c; a lateral one reaches the near ear earlier and the far ear later).
/// - Late part: the omni response after the early part and a decorrelated copy of it are mixed per
///   frequency to the HRTF set's diffuse-field interaural coherence and weighted by each ear's
///   diffuse-field power (the coherence-matching of Menzer & Faller 2009, "Binaural reverberation
///   using a modified Jot reverberator"; Jot, Larcher & Warusfel 1995). It takes over from the early
///   part with a ±`fadeSeconds` raised-cosine cross-fade, so energy is neither lost nor counted twice.
public enum BinauralSynthesizer {
    public static let earlySeconds = 0.08
    public static let fadeSeconds = 0.005

    /// Raised-cosine weight of the early part at time `t` for a transition at `mix`.
    static func earlyWeight(_ t: Double, mix: Double) -> Double {
        if t <= mix - fadeSeconds { return 1 }
        if t >= mix + fadeSeconds { return 0 }
        return 0.5 * (1 + cos(.pi * (t - (mix - fadeSeconds)) / (2 * fadeSeconds)))
    }

    public static func render(scene: Scene, speakerIndex: Int, plan: ResolvedSimulation, paths: [Path], omni: [Float],
                              hrtf: HRTFSet, field: DiffuseFieldStatistics, tail: [Arrival] = [],
                              orientation: HeadOrientation = .straight) -> AudioBuffer {
        var (left, right) = earlyPart(scene: scene, speakerIndex: speakerIndex, plan: plan, paths: paths, hrtf: hrtf, field: field,
                                      tail: tail, orientation: orientation)
        addLateTail(omni: omni, mix: mixTime(scene: scene, speakerIndex: speakerIndex), fs: Double(plan.sampleRate), field: field,
                    equalizer: equalizer(scene: scene, field: field), seed: scene.simulation.seed, speakerIndex: speakerIndex,
                    left: &left, right: &right)
        return AudioBuffer(sampleRate: plan.sampleRate, channels: [left, right])
    }

    /// The BRIRs of one speaker for every head orientation (`orientations`, one buffer each): the
    /// late part is diffuse — the same for any orientation — and is made once; only the early part's
    /// directions turn. Each buffer equals `render` with that orientation.
    public static func render(scene: Scene, speakerIndex: Int, plan: ResolvedSimulation, paths: [Path], omni: [Float],
                              hrtf: HRTFSet, field: DiffuseFieldStatistics, tail: [Arrival] = [],
                              orientations: [HeadOrientation]) -> [AudioBuffer] {
        var lateL = [Float](repeating: 0, count: plan.frames), lateR = lateL
        addLateTail(omni: omni, mix: mixTime(scene: scene, speakerIndex: speakerIndex), fs: Double(plan.sampleRate), field: field,
                    equalizer: equalizer(scene: scene, field: field), seed: scene.simulation.seed, speakerIndex: speakerIndex,
                    left: &lateL, right: &lateR)
        return orientations.map { orientation in
            var (left, right) = earlyPart(scene: scene, speakerIndex: speakerIndex, plan: plan, paths: paths, hrtf: hrtf, field: field,
                                          tail: tail, orientation: orientation)
            for i in 0..<plan.frames { left[i] += lateL[i]; right[i] += lateR[i] }
            return AudioBuffer(sampleRate: plan.sampleRate, channels: [left, right])
        }
    }

    /// When the early part hands over to the late part for speaker `speakerIndex`: `earlySeconds` after its direct sound.
    static func mixTime(scene: Scene, speakerIndex: Int) -> Double {
        let speaker = scene.speakers[speakerIndex]
        return speaker.position.distance(to: scene.listener.position) / scene.air.speedOfSound + speaker.delaySeconds + earlySeconds
    }

    static func equalizer(scene: Scene, field: DiffuseFieldStatistics) -> DiffuseFieldEqualizer? {
        scene.listener.hrtfEqualization == .diffuseField ? DiffuseFieldEqualizer(field: field) : nil
    }

    /// The early part of both ears (`plan.frames` samples each), with the head turned by `orientation`.
    static func earlyPart(scene: Scene, speakerIndex: Int, plan: ResolvedSimulation, paths: [Path], hrtf: HRTFSet,
                          field: DiffuseFieldStatistics, tail: [Arrival], orientation: HeadOrientation) -> ([Float], [Float]) {
        let speaker = scene.speakers[speakerIndex]
        let fs = Double(plan.sampleRate)
        let table = FractionalDelayTable.shared
        let pad = max(table.halfWidth + 1, Int(0.1 * fs)) + hrtf.filterLength
        let frames = plan.frames, length = frames + 2 * pad
        let bands = scene.synthesisBandCount(for: speaker)
        let mix = mixTime(scene: scene, speakerIndex: speakerIndex)
        // Specular paths and the synthesized tail's arrivals of the early window, each through the
        // HRIR pair of its direction.
        let early = paths.filter { $0.delaySeconds < mix + fadeSeconds }.map(\.arrival) + tail.filter { $0.delaySeconds < mix + fadeSeconds }
        let fir = equalizer(scene: scene, field: field)?.minimumPhaseFilter(sampleRate: fs)
        // The set's own frontal arrival (the raw frontal pair's peak), removed so a frontal source
        // arrives at r/c. The equalizer is minimum phase — causal, with the least delay a filter of its
        // magnitude can have — so it moves no arrival (its +20 dB bass lift only adds a slow tail).
        let onset = field.commonDelaySamples
        // Early part: fixed slots merged in a fixed order (deterministic for any thread count).
        let slotCount = ImageSourceEngine.slotCount
        let slots = Slots<(BandAccumulator, BandAccumulator)>(count: slotCount)
        parallelFor(slotCount, threads: plan.threads) { slot in
            var left = BandAccumulator(bandCount: bands, length: length, offset: pad)
            var right = left
            var gains = [Float](repeating: 0, count: bands)
            for (i, p) in early.enumerated() where i % slotCount == slot {
                let w = earlyWeight(p.delaySeconds, mix: mix)
                let direction = orientation.turned(azimuth: p.azimuth, elevation: p.elevation, listener: scene.listener)
                let pair = hrtf.hrir(azimuthDegrees: direction.azimuth, elevationDegrees: direction.elevation)
                for b in 0..<bands { gains[b] = Float(Double(p.amplitudes[b]) * w * field.normalization) }
                for (ear, h, extra) in [(0, pair.left, pair.leftDelaySeconds), (1, pair.right, pair.rightDelaySeconds)] {
                    let position = (p.delaySeconds + extra) * fs - onset + Double(pad)
                    var n0 = Int(position.rounded(.down))
                    var phase = Int(((position - Double(n0)) * Double(table.phases)).rounded())
                    if phase == table.phases { phase = 0; n0 += 1 }
                    let kernel = convolve(table.table, offset: phase * table.taps, count: table.taps, h)
                    gains.withUnsafeBufferPointer { g in
                        if ear == 0 { left.add(kernel: kernel, start: n0 - table.halfWidth, gains: g.baseAddress!) }
                        else { right.add(kernel: kernel, start: n0 - table.halfWidth, gains: g.baseAddress!) }
                    }
                }
            }
            slots[slot] = (left, right)
        }
        let all = slots.all
        var accL = all[0].0, accR = all[0].1
        for s in all.dropFirst() { accL.add(s.0); accR.add(s.1) }
        var earlyL = BandFilterBank.combine(accL, sampleRate: fs), earlyR = BandFilterBank.combine(accR, sampleRate: fs)
        if let fir {
            // Every HRIR gets the same correction, so it is applied once to the summed early part.
            earlyL = convolveTruncated(earlyL, fir)
            earlyR = convolveTruncated(earlyR, fir)
        }
        if scene.simulation.highpassHertz > 0 {
            let hp = Biquad.highpass(cutoff: scene.simulation.highpassHertz, sampleRate: fs)
            hp.process(&earlyL)
            hp.process(&earlyR)
        }
        return (Array(earlyL[pad..<(pad + frames)]), Array(earlyR[pad..<(pad + frames)]))
    }

    /// Full linear convolution of a table row with `h` (eight outputs at a time).
    static func convolve(_ table: [Float], offset: Int, count: Int, _ h: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: count + h.count - 1)
        let m = h.count
        table.withUnsafeBufferPointer { t in
            h.withUnsafeBufferPointer { hh in
                out.withUnsafeMutableBufferPointer { o in
                    let hp = hh.baseAddress!, op = o.baseAddress!
                    for i in 0..<count {
                        let a = t[offset &+ i]
                        if a == 0 { continue }
                        let a8 = SIMD8<Float>(repeating: a), row = op + i
                        var j = 0
                        while j &+ 8 <= m {
                            let y = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
                                + a8 * UnsafeRawPointer(hp + j).loadUnaligned(as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(row + j).storeBytes(of: y, as: SIMD8<Float>.self)
                            j &+= 8
                        }
                        while j < m { row[j] += a * hp[j]; j &+= 1 }
                    }
                }
            }
        }
        return out
    }

    /// Adds the decorrelated late tail (see the type's documentation) into `left`/`right`.
    ///
    /// O is the omni response after the early part (the cross-fade applied). Its decorrelated copy Õ
    /// is made by phase randomization in a short-time Fourier transform (frames of ≈ 21 ms, √Hann
    /// windows, 50 % overlap): every (frame, bin) cell keeps O's magnitude with an independent random
    /// phase (Kendall 1995, "The decorrelation of audio signals"), so E[O Õ*] = 0 and Õ follows O's
    /// short-time spectrum; its energy is then matched to O's per octave band. Per frequency bin,
    /// with the HRTF set's diffuse-field coherence ρ(f) and ear powers P(f):
    /// L = √P_L (cos θ O + sin θ Õ), R = √P_R (cos θ O − sin θ Õ), cos 2θ = ρ(f).
    static func addLateTail(omni: [Float], mix: Double, fs: Double, field: DiffuseFieldStatistics, equalizer: DiffuseFieldEqualizer?,
                            seed: UInt64, speakerIndex: Int, left: inout [Float], right: inout [Float]) {
        let n = omni.count
        var x = [Float](repeating: 0, count: n)
        for i in 0..<n { x[i] = Float(1 - earlyWeight(Double(i) / fs, mix: mix)) * omni[i] }
        guard x.contains(where: { $0 != 0 }) else { return }
        var rng = SplitMix64Generator(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(speakerIndex) &* 1_000_003 &+ 17)
        var decorrelated = phaseRandomized(x, fs: fs, rng: &rng)
        // Match Õ's energy to O's per octave band.
        let pad = Int(0.1 * fs)
        let bandsO = BandFilterBank.split(x, sampleRate: fs, padding: pad)
        let bandsD = BandFilterBank.split(decorrelated, sampleRate: fs, padding: pad)
        decorrelated = [Float](repeating: 0, count: n)
        for b in bandsO.indices {
            let eo = bandsO[b].reduce(0.0) { $0 + Double($1) * Double($1) }, ed = bandsD[b].reduce(0.0) { $0 + Double($1) * Double($1) }
            let g = Float(ed > 0 ? (eo / ed).squareRoot() : 0)
            for i in 0..<n { decorrelated[i] += g * bandsD[b][i] }
        }
        // Mix per frequency bin.
        let size = FFTSize.good(atLeast: n + 2 * pad)
        let fft = RealFFT.shared(size: size)
        var padded = [Float](repeating: 0, count: size)
        for i in 0..<n { padded[pad + i] = x[i] }
        let o = fft.forward(padded)
        for i in 0..<n { padded[pad + i] = decorrelated[i] }
        let d = fft.forward(padded)
        var specL = [Float](repeating: 0, count: 2 * fft.binCount), specR = specL
        for k in 0..<fft.binCount {
            let f = Double(k) * fs / Double(size)
            let theta = acos(max(-1, min(1, field.interpolate(field.coherenceSpectrum, hertz: f)))) / 2
            // Diffuse-field equalized, each ear's diffuse power is by definition its share of the
            // mean: P_ear / ((P_L + P_R)/2) (1 for a symmetric set), even where the set has no data.
            let pl = max(0, field.interpolate(field.powerLeftSpectrum, hertz: f)), pr = max(0, field.interpolate(field.powerRightSpectrum, hertz: f))
            let mean = (pl + pr) / 2
            let gl = Float(equalizer == nil ? pl.squareRoot() : (mean > 0 ? (pl / mean).squareRoot() : 1))
            let gr = Float(equalizer == nil ? pr.squareRoot() : (mean > 0 ? (pr / mean).squareRoot() : 1))
            let c = Float(cos(theta)), sn = Float(sin(theta))
            for part in 0..<2 {
                specL[2 * k + part] = gl * (c * o[2 * k + part] + sn * d[2 * k + part])
                specR[2 * k + part] = gr * (c * o[2 * k + part] - sn * d[2 * k + part])
            }
        }
        let lateL = fft.inverse(specL), lateR = fft.inverse(specR)
        for i in 0..<n {
            left[i] += lateL[pad + i]
            right[i] += lateR[pad + i]
        }
    }

    /// `x` with the phase of every short-time Fourier cell replaced by an independent random one.
    static func phaseRandomized(_ x: [Float], fs: Double, rng: inout SplitMix64Generator) -> [Float] {
        var frame = 16
        while Double(frame) < 0.02 * fs { frame *= 2 }
        let hop = frame / 2, n = x.count
        let fft = RealFFT.shared(size: frame)
        let window = (0..<frame).map { Float(sin(.pi * Double($0) / Double(frame))) } // √(periodic Hann)
        var padded = [Float](repeating: 0, count: n + 2 * frame)
        for i in 0..<n { padded[frame + i] = x[i] }
        var out = [Float](repeating: 0, count: padded.count)
        var buffer = [Float](repeating: 0, count: frame)
        var start = 0
        while start + frame <= padded.count {
            for i in 0..<frame { buffer[i] = padded[start + i] * window[i] }
            var s = fft.forward(buffer)
            for k in 0..<fft.binCount {
                let phi = 2 * Double.pi * Double(rng.next() >> 11) / Double(1 << 53)
                let re = s[2 * k], im = s[2 * k + 1], m = (re * re + im * im).squareRoot()
                if k == 0 || k == fft.binCount - 1 { s[2 * k] = phi < .pi ? m : -m; s[2 * k + 1] = 0 }
                else { s[2 * k] = m * Float(cos(phi)); s[2 * k + 1] = m * Float(sin(phi)) }
            }
            let y = fft.inverse(s)
            for i in 0..<frame { out[start + i] += y[i] * window[i] }
            start += hop
        }
        return Array(out[frame..<(frame + n)])
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): a small seedable generator, so every random stream is
/// derived from (seed, speaker, band) and never from a process-wide generator.
public struct SplitMix64Generator: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A standard normal deviate (Box–Muller).
    public mutating func gaussian() -> Double {
        let u = max(Double(next() >> 11) / Double(1 << 53), 1e-300), v = Double(next() >> 11) / Double(1 << 53)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}
