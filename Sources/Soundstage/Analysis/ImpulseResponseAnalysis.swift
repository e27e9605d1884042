import Foundation

/// Room-acoustic parameters of one band (or broadband) of an impulse response, ISO 3382-1.
public struct BandParameters: Codable, Sendable, Equatable {
    /// Early decay time, T20, T30 (s).
    public var EDT, T20, T30: Parameter
    /// Clarity (dB) and definition (0…1).
    public var C50, C80, D50: Parameter
    /// Centre time (ms).
    public var Ts: Parameter
    /// Direct-to-reverberant ratio (dB): the direct sound within ±`directWindow` of its peak against the rest.
    public var DRR: Parameter
    /// How straight the decay is over T20's and T30's ranges (ISO 3382-2:2008 Annex B): the
    /// non-linearity ξ = 1000 (1 − r²) in ‰ (typically 0–5 ‰; above 10 ‰ the decay is curved) and
    /// the curvature C = 100 (T30/T20 − 1) in % (typically 0–5 %; above 10 % a bent decay).
    public var xi20, xi30, curvature: Parameter
    /// The level (dB re its strongest 10 ms) this band has decayed to where a noiseless
    /// (simulated) response ends; missing for a response with a noise floor.
    public var responseEnd: Parameter

    /// Every parameter missing, for the same reason.
    public static func missing(_ reason: String) -> BandParameters {
        let m = Parameter.missing(reason)
        return BandParameters(EDT: m, T20: m, T30: m, C50: m, C80: m, D50: m, Ts: m, DRR: m, xi20: m, xi30: m, curvature: m, responseEnd: m)
    }

    /// Whether T20 or T30 (whichever `range` names: 20 or 30) came from a decay too curved to trust
    /// (ξ above 10 ‰, ISO 3382-2 Annex B).
    public func isCurved(_ range: Int) -> Bool { ((range == 20 ? xi20 : xi30).value ?? 0) > 10 }

    /// Whether the response ends before this band's decay is 10 dB below T20's or T30's range
    /// (−35 or −45 dB; ISO 3382-1 §5.3.2).
    public func isCut(_ range: Int) -> Bool { (responseEnd.value ?? -.infinity) > -Double(range) - 15 }

    /// T20 or T30 formatted (with ±σ when simulated with rays, `Parameter.uncertainty`), with
    /// `curvedMark` when its decay is curved and `cutMark` when the response ends too soon for it.
    public func reverberationText(_ range: Int, _ format: String = "%.2f") -> String {
        (range == 20 ? T20 : T30).formattedWithUncertainty(format) + (isCurved(range) ? BandParameters.curvedMark : "")
            + (isCut(range) ? BandParameters.cutMark : "")
    }

    /// The mark of a reverberation time whose response ended too soon, and its note.
    public static let cutMark = "†"
    public static let cutNote = "† the response ends before this band's decay is 10 dB below the fitted range (ISO 3382-1 §5.3.2): "
        + "the reverberation time reads short; a longer `duration` (or --duration) gives the decay room"

    /// The mark of a doubtful reverberation time, and the note that explains it.
    public static let curvedMark = "*"
    public static let curvedNote = "* the decay is curved over this range (ISO 3382-2 non-linearity ξ > 10 ‰): a double slope — "
        + "sound lingering between hard surfaces while the rest has died — or a direct sound that dominates its start; the "
        + "reverberation time is doubtful, and so are differences in it"
}

/// Binaural parameters of a two-channel (left ear, right ear) response.
public struct BinauralParameters: Codable, Sendable, Equatable {
    /// Interaural cross-correlation coefficients, early (0–80 ms) and late (80 ms–end), per band and broadband.
    public var IACC_E: [String: Parameter]
    public var IACC_L: [String: Parameter]
    /// Interaural time difference of the direct sound, µs, positive when the left ear leads.
    public var ITD: Parameter
    /// Interaural level difference of the direct sound, dB, positive when the left ear is louder; per band and broadband.
    public var ILD: [String: Parameter]
}

/// Everything `soundstage analyze` reports for one impulse response.
public struct ImpulseResponseAnalysis: Codable, Sendable {
    public var sampleRate: Int
    public var channels: Int
    /// Time of the direct sound's onset (ISO 3382-1 A.3.4), seconds from the file's start.
    public var onsetSeconds: Double
    /// Per band ("63" … "8k" for octaves, "50" … "10k" for third-octaves) and "broadband"; for two
    /// channels, the energy sum of the ears.
    public var bands: [String: BandParameters]
    /// Initial time-delay gap: direct sound to the first reflection (ms).
    public var ITDG: Parameter
    /// Strongest reflection within 20 ms of the direct sound, dB re the direct sound.
    public var firstReflectionLevel: Parameter
    public var binaural: BinauralParameters?
    /// Background noise level found by the Lundeby analysis of the broadband response (dB re peak).
    public var noiseFloorDB: Double?
}

/// How the band filters are applied.
public enum BandFiltering: String, Sendable, CaseIterable {
    /// The recursive filters run forward (as a real-time analyzer does): each band's energy arrives
    /// later by the filter's group delay (≈ 8 ms for the 125 Hz octave, 31 ms for the 100 Hz third).
    case causal
    /// The filters' magnitude response with zero phase (applied in the frequency domain): no group
    /// delay, the ringing spread evenly before and after each arrival; energy that would precede the
    /// response's start is dropped. The ITA-Toolbox's `ita_roomacoustics` filters this way by default.
    case zeroPhase = "zero-phase"
}

/// ISO 3382-1 analysis of any impulse response, simulated or measured, mono or binaural.
public enum ImpulseResponseAnalyzer {
    /// Half-width of the direct-sound window for DRR, ITD/ILD and reflection levels (seconds).
    public static let directWindow = 0.00125

    /// `bands`: `.octaves` (default) or `.thirdOctaves`; the per-band results are keyed by their labels.
    /// `noiseless`: the response is a simulation with no background noise (`DecayCurve`): the decay
    /// is integrated to its end, with no Lundeby search for a noise floor that is not there.
    public static func analyze(_ buffer: AudioBuffer, bands: FrequencyBands = .octaves, filtering: BandFiltering = .causal,
                               noiseless: Bool = false) -> ImpulseResponseAnalysis {
        let fs = Double(buffer.sampleRate)
        let energy = sumOfSquares(buffer.channels)
        let onset = onset(energy: energy)
        var result = [String: BandParameters]()
        result["broadband"] = parameters(energy: energy, onset: onset, fs: fs, noiseless: noiseless)
        var filtered: [[[Float]]?] = [] // [band][channel]; nil above the usable bandwidth
        let zeroPhase = filtering == .zeroPhase ? ZeroPhaseBands(buffer.channels, sampleRate: fs) : nil
        for (b, label) in bands.labels.enumerated() {
            // A band centred at or above the filters' limit (0.49 fs, where a band-pass can still be
            // realized) does not exist in this file: every parameter is missing, never a filter artefact.
            guard bands.centres[b] < OctaveFilter.limit(sampleRate: fs) else {
                filtered.append(nil)
                result[label] = .missing(String(format: "band above the file's bandwidth (%.0f Hz sampling)", fs))
                continue
            }
            let filter = OctaveFilter(centreHertz: bands.centres[b], sampleRate: fs, bandsPerOctave: bands.bandsPerOctave)
            let channels = zeroPhase?.filtered(by: filter) ?? buffer.channels.map { filter.apply($0) }
            filtered.append(channels)
            result[label] = parameters(energy: sumOfSquares(channels), onset: onset, fs: fs, noiseless: noiseless)
        }
        let (itdg, firstLevel) = reflectionGap(energy: energy, onset: onset, fs: fs)
        var binaural: BinauralParameters?
        if buffer.channelCount == 2 {
            binaural = binauralParameters(broadband: buffer.channels, bands: filtered, labels: bands.labels, onset: onset, fs: fs)
        }
        return ImpulseResponseAnalysis(sampleRate: buffer.sampleRate, channels: buffer.channelCount, onsetSeconds: Double(onset) / fs,
                                       bands: result, ITDG: itdg, firstReflectionLevel: firstLevel, binaural: binaural,
                                       noiseFloorDB: noiseless ? nil : DecayCurve(energy: Array(energy[onset...]), sampleRate: fs).noiseFloorDB)
    }

    /// The onset (ISO 3382-1 A.3.4): where the broadband energy (summed over channels) first rises
    /// to within 20 dB of its maximum.
    static func onset(energy: [Double]) -> Int {
        let peak = energy.max() ?? 0
        return energy.firstIndex { $0 >= peak * 0.01 } ?? 0
    }

    /// Energy in a sliding window of ±0.25 ms around each sample: a fractionally delayed arrival
    /// keeps its whole energy in the window whatever its sub-sample position (a single sample does not).
    static func windowedEnergy(_ e: [Double], fs: Double, halfWidthSeconds: Double = 0.00025) -> (values: [Double], halfWidth: Int) {
        let w = max(1, Int(halfWidthSeconds * fs))
        var window = [Double](repeating: 0, count: e.count)
        var running = 0.0
        for i in 0..<(e.count + w) {
            if i < e.count { running += e[i] }
            if i >= 2 * w + 1, i - 2 * w - 1 < e.count { running -= e[i - 2 * w - 1] }
            if i >= w { window[i - w] = running }
        }
        return (window, w)
    }

    /// The direct sound: the window-energy maximum within 2 ms after the onset.
    static func directPeak(_ window: [Double], onset: Int, fs: Double) -> Int {
        let end = min(window.count, onset + Int(0.002 * fs) + 1)
        return (onset..<max(onset + 1, end)).max { window[$0] < window[$1] } ?? onset
    }

    static func sumOfSquares(_ channels: [[Float]]) -> [Double] {
        var e = [Double](repeating: 0, count: channels.first?.count ?? 0)
        for c in channels { for i in c.indices { e[i] += Double(c[i]) * Double(c[i]) } }
        return e
    }

    static func parameters(energy full: [Double], onset: Int, fs: Double, noiseless: Bool = false) -> BandParameters {
        let e = Array(full[onset...])
        let decay = DecayCurve(energy: e, sampleRate: fs, noiseless: noiseless)
        let total = e.prefix(decay.crosspoint).reduce(0, +)
        func energy(_ a: Double, _ b: Double) -> Double {
            let i = min(e.count, Int((a * fs).rounded())), j = min(e.count, Int((b * fs).rounded()))
            return i < j ? e[i..<j].reduce(0, +) : 0
        }
        func clarity(_ t: Double) -> Parameter {
            let early = energy(0, t), late = total - early
            return late > 0 && early > 0 ? .of(10 * log10(early / late)) : .missing("no energy on one side of \(Int(t * 1000)) ms")
        }
        let ts = total > 0 ? e.prefix(decay.crosspoint).enumerated().reduce(0.0) { $0 + Double($1.offset) / fs * $1.element } / total : .nan
        // Direct sound: ±1.25 ms around its peak (found by window energy, see `directPeak`).
        let p = directPeak(windowedEnergy(e, fs: fs).values, onset: 0, fs: fs)
        let w = Int(directWindow * fs)
        let direct = e[max(0, p - w)..<min(e.count, p + w + 1)].reduce(0, +)
        let reverberant = total - direct
        let (t20, xi20) = decay.decayFit(upper: -5, lower: -25), (t30, xi30) = decay.decayFit(upper: -5, lower: -35)
        let curvature: Parameter = {
            guard let a = t20.value, let b = t30.value else { return .missing(t20.missing ?? t30.missing ?? "no decay") }
            return .of(100 * (b / a - 1))
        }()
        return BandParameters(
            EDT: decay.reverberationTime(upper: 0, lower: -10),
            T20: t20,
            T30: t30,
            C50: clarity(0.05), C80: clarity(0.08),
            D50: total > 0 ? .of(energy(0, 0.05) / total) : .missing("no energy"),
            Ts: ts.isFinite ? .of(ts * 1000) : .missing("no energy"),
            DRR: reverberant > 0 && direct > 0 ? .of(10 * log10(direct / reverberant)) : .missing("no reverberant energy"),
            xi20: xi20, xi30: xi30, curvature: curvature,
            responseEnd: decay.endLevelDB.map { .of($0) } ?? .missing("the response has a noise floor"))
    }

    /// ITDG and the strongest reflection within 20 ms, from the energy in ±0.25 ms windows: the first
    /// arrival after the direct sound that comes within 25 dB of it is the first reflection.
    static func reflectionGap(energy e: [Double], onset: Int, fs: Double) -> (Parameter, Parameter) {
        let (window, w) = windowedEnergy(e, fs: fs)
        let p = directPeak(window, onset: onset, fs: fs)
        let direct = window[p]
        guard direct > 0 else { return (.missing("silent"), .missing("silent")) }
        let start = p + 2 * w + Int(0.0005 * fs) // past the direct sound's window and its kernel
        let end = min(e.count - w - 1, p + Int(0.1 * fs))
        guard start < end else { return (.missing("response too short"), .missing("response too short")) }
        let threshold = direct * pow(10, -2.5)
        // The first reflection: the first time the window energy comes within 25 dB of the direct
        // sound, then its peak within the next millisecond (the kernel's side-lobes ripple on the way up).
        var first: Int?
        if let crossing = (start..<end).first(where: { window[$0] >= threshold }) {
            first = (crossing..<min(end, crossing + Int(0.001 * fs))).max { window[$0] < window[$1] }
        }
        var strongest = -Double.infinity
        for i in start..<min(end, p + Int(0.02 * fs) + 1) { strongest = max(strongest, window[i]) }
        if strongest < threshold { strongest = -.infinity }
        guard let f = first else { return (.missing("no reflection within 25 dB of the direct sound in 100 ms"), .missing("no reflection")) }
        let level: Parameter = strongest > 0 ? .of(10 * log10(strongest / direct)) : .missing("no reflection within 20 ms")
        // The window energy is flat-topped around an isolated arrival; its energy centroid is the
        // arrival time (the band-limited kernel is symmetric).
        func centroid(_ c: Int) -> Double {
            let r = max(0, c - w)...min(e.count - 1, c + w)
            let total = r.reduce(0.0) { $0 + e[$1] }
            return total > 0 ? r.reduce(0.0) { $0 + Double($1) * e[$1] } / total : Double(c)
        }
        return (.of((centroid(f) - centroid(p)) / fs * 1000), level)
    }

    static func binauralParameters(broadband: [[Float]], bands: [[[Float]]?], labels: [String], onset: Int, fs: Double) -> BinauralParameters {
        let e80 = onset + Int(0.08 * fs)
        var early: [String: Parameter] = [:], late: [String: Parameter] = [:], ild: [String: Parameter] = [:]
        let w = Int(directWindow * fs)
        let directRange = max(0, onset - w)..<min(broadband[0].count, onset + 2 * w + Int(0.001 * fs))
        for (label, band) in [("broadband", broadband)] + zip(labels, bands).map({ ($0, $1) }) {
            guard let ears = band else {
                let reason = Parameter.missing("band above the file's bandwidth")
                (early[label], late[label], ild[label]) = (reason, reason, reason)
                continue
            }
            early[label] = iacc(ears[0], ears[1], max(0, onset - Int(0.001 * fs))..<min(ears[0].count, e80), fs: fs)
            late[label] = iacc(ears[0], ears[1], min(ears[0].count, e80)..<ears[0].count, fs: fs)
            let el = directRange.reduce(0.0) { $0 + Double(ears[0][$1] * ears[0][$1]) }
            let er = directRange.reduce(0.0) { $0 + Double(ears[1][$1] * ears[1][$1]) }
            ild[label] = el > 0 && er > 0 ? .of(10 * log10(el / er)) : .missing("no direct sound")
        }
        return BinauralParameters(IACC_E: early, IACC_L: late, ITD: itd(broadband[0], broadband[1], directRange, fs: fs), ILD: ild)
    }

    /// max over |τ| ≤ 1 ms of |Σ l(t) r(t+τ)| / √(Σ l² Σ r²) over `range` (ISO 3382-1 A.3.5).
    static func iacc(_ l: [Float], _ r: [Float], _ range: Range<Int>, fs: Double) -> Parameter {
        guard range.count > 1 else { return .missing("interval outside the response") }
        let el = range.reduce(0.0) { $0 + Double(l[$1] * l[$1]) }, er = range.reduce(0.0) { $0 + Double(r[$1] * r[$1]) }
        guard el > 0, er > 0 else { return .missing("no energy in the interval") }
        let maxLag = Int(0.001 * fs)
        var best = 0.0
        for lag in -maxLag...maxLag {
            var s = 0.0
            for i in range where i + lag >= 0 && i + lag < r.count { s += Double(l[i]) * Double(r[i + lag]) }
            best = max(best, abs(s))
        }
        return .of(best / (el * er).squareRoot())
    }

    /// Lag of the cross-correlation peak of the direct sound (parabolic refinement), µs,
    /// positive when the right ear lags (the left ear leads).
    static func itd(_ l: [Float], _ r: [Float], _ range: Range<Int>, fs: Double) -> Parameter {
        let maxLag = Int(0.001 * fs)
        func xc(_ lag: Int) -> Double {
            var s = 0.0
            for i in range where i + lag >= 0 && i + lag < r.count { s += Double(l[i]) * Double(r[i + lag]) }
            return s
        }
        let values = (-maxLag...maxLag).map { ($0, xc($0)) }
        guard let best = values.max(by: { $0.1 < $1.1 }), best.1 > 0 else { return .missing("no correlated direct sound") }
        let ym = xc(best.0 - 1), y0 = best.1, yp = xc(best.0 + 1)
        let denom = ym - 2 * y0 + yp
        let refined = Double(best.0) + (denom != 0 ? 0.5 * (ym - yp) / denom : 0)
        return .of(refined / fs * 1e6)
    }
}

/// Zero-phase band filtering in the frequency domain: each channel's spectrum (zero-padded by half a
/// second so that the acausal ringing around the start wraps into the padding, not onto the
/// response) times the filter's magnitude response, back to the time domain, cut to the response's
/// length.
struct ZeroPhaseBands {
    let fft: RealFFT
    let spectra: [[Float]]
    let frames: Int
    let sampleRate: Double

    init(_ channels: [[Float]], sampleRate fs: Double) {
        frames = channels.first?.count ?? 0
        let transform = RealFFT.shared(size: FFTSize.good(atLeast: frames + Int(0.5 * fs)))
        fft = transform
        spectra = channels.map { transform.forward($0) }
        sampleRate = fs
    }

    func filtered(by filter: OctaveFilter) -> [[Float]] {
        let step = sampleRate / Double(fft.size)
        let gains = (0..<fft.binCount).map { Float(filter.magnitude(hertz: Double($0) * step, sampleRate: sampleRate)) }
        return spectra.map { spectrum in
            var s = spectrum
            for k in 0..<fft.binCount { s[2 * k] *= gains[k]; s[2 * k + 1] *= gains[k] }
            return Array(fft.inverse(s).prefix(frames))
        }
    }
}
