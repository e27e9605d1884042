import Foundation

/// The `soundstage` block of metrics.json: three placement figures, each defined with its source.
public struct SoundstageFigures: Codable, Sendable {
    /// Apparent source width: 1 − IACC_E3, the mean early interaural cross-correlation of the 500 Hz,
    /// 1 kHz and 2 kHz octaves (Hidaka, Beranek & Okano 1995, JASA 98; Beranek, *Concert Halls and
    /// Opera Houses*, 2004). Needs the BRIR.
    public var width: Parameter
    /// Listener envelopment: the fraction of the late (80 ms – end) energy that arrives laterally,
    /// Σ E·cos²φ / Σ E with φ the angle to the ear axis, averaged over 125 Hz – 1 kHz (after Bradley &
    /// Soulodre 1995, JASA 98, LG80∞, and ISO 3382-1 Annex A's lateral energy). 1/3 for a diffuse field.
    /// From the image-source paths (all of them in a plain shoebox; the modelled orders elsewhere).
    public var envelopment: Parameter
    /// Imaging (direct-sound dominance), dB: the direct sound's energy against that of all reflections
    /// in the 20 ms after it, from the omni RIR. Early reflections within ~20 ms and less than about
    /// 10 dB below the direct sound broaden and shift images (Olive & Toole 1989, JAES 37; Toole,
    /// *Sound Reproduction*, 2008, ch. 6). Higher is more precise imaging.
    public var imaging: Parameter
    /// Bass evenness at the seat (dB): the standard deviation of the omni response's 1/6-octave
    /// smoothed level over 20–300 Hz, the low-frequency term of RPG's Room Optimizer (Cox,
    /// D'Antonio & Avis 2004, JAES 52(6); `BassMap.deviation`). Lower is flatter: boundary notches
    /// and room modes raise it.
    public var bass: Parameter?
}

/// Per-speaker metrics of metrics.json (SPEC §4).
public struct SpeakerMetrics: Codable, Sendable {
    public var speaker: String
    /// ISO 3382-1 parameters of the omnidirectional RIR per octave band and broadband, with DRR,
    /// ITDG and the strongest reflection within 20 ms.
    public var omni: ImpulseResponseAnalysis
    /// IACC_E, IACC_L, ITD, ILD from the BRIR; nil until BRIRs are synthesized, with `binauralMissing` saying why.
    public var binaural: BinauralParameters?
    public var binauralMissing: String?
    public var soundstage: SoundstageFigures
}

public struct MetricsFile: Codable, Sendable {
    public var room: String
    public var soundstageVersion: String
    public var bandsHz: [Double]
    public var speakers: [SpeakerMetrics]

    public init(room: String, soundstageVersion: String, bandsHz: [Double], speakers: [SpeakerMetrics]) {
        self.room = room
        self.soundstageVersion = soundstageVersion
        self.bandsHz = bandsHz
        self.speakers = speakers
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

extension SpeakerMetrics {
    /// Envelopment from the late (> 80 ms) path energies: the lateral fraction Σ E cos²φ / Σ E averaged
    /// over the 125 Hz – 1 kHz octaves (the bands of Bradley & Soulodre's LG80∞).
    public static func envelopment(lateEnergy: [Double], lateLateralEnergy: [Double]) -> Parameter {
        let bands = FrequencyBands.octaves.indices(fromHertz: 125, throughHertz: 1000)
        let fractions = bands.compactMap { b in lateEnergy[b] > 0 ? lateLateralEnergy[b] / lateEnergy[b] : nil }
        return fractions.count == bands.count ? .of(fractions.reduce(0, +) / Double(bands.count))
                                              : .missing("no sound arrives later than 80 ms after the direct sound")
    }

    /// Metrics of one speaker from its omni RIR (and BRIR when there is one). `specular`: the part of
    /// a simulated RIR made of discrete specular arrivals (the image sources, without the scattered
    /// tail); when given, ITDG and the first reflection's level are read from it — they describe
    /// discrete reflections (Beranek's initial time-delay gap), and the scattered part of a simulated
    /// response is one random realization of a noise whose momentary level would otherwise decide,
    /// seed by seed, which arrival first comes within 25 dB of the direct sound.
    ///
    /// `expected`: the simulation's expected energy response (`EnergyResponse`, with the wave part's
    /// own energy below the crossover); the octave bands take their ISO 3382-1 parameters from it
    /// instead of from the synthesized RIR, whose tail is one random realization: its noise, and its
    /// interference with the specular arrivals, move EDT, T30 and C80 from seed to seed as much as
    /// the setups a user compares differ. The broadband figures and the binaural ones stay those of
    /// the responses themselves.
    /// `expected.replicates`, when given, are its half-sample replicates: each band
    /// parameter then carries the standard error of balanced half-samples (`HalfSamples`). `expectedIACCEarly`, when
    /// given, replaces the BRIR's per-band IACC_E (and so the width) by its mean over the tail's
    /// random realizations (`ExpectedEarlyCoherence`).
    ///
    /// `deterministic`: the simulated RIR without its scattered tail (the wave part joined to the
    /// image sources' arrivals); the bass evenness is read from it, as RPG's early and modal
    /// responses are, rather than from one realization of the tail, whose 150–300 Hz part moved the
    /// σ by up to 0.6 dB between seeds.
    public static func compute(speaker: String, rir: [Float], sampleRate: Int, brir: AudioBuffer? = nil, specular: [Float]? = nil,
                               deterministic: [Float]? = nil,
                               expected: (response: EnergyResponse, replicates: [EnergyResponse])? = nil,
                               expectedIACCEarly: [String: Parameter]? = nil,
                               envelopment: Parameter = .missing("needs the late arrival directions")) -> SpeakerMetrics {
        var omni = ImpulseResponseAnalyzer.analyze(AudioBuffer(sampleRate: sampleRate, channels: [rir]))
        if let expected {
            let octaves = FrequencyBands.octaves
            let rate = 1 / EnergyResponse.binSeconds
            let onset = min(expected.response.binCount - 1, Int(omni.onsetSeconds * rate))
            for (b, label) in octaves.labels.enumerated() where octaves.centres[b] < OctaveFilter.limit(sampleRate: Double(sampleRate)) {
                var p = ImpulseResponseAnalyzer.parameters(energy: expected.response.band(b), onset: onset, fs: rate, noiseless: true)
                let replicates = expected.replicates.map { ImpulseResponseAnalyzer.parameters(energy: $0.band(b), onset: onset, fs: rate, noiseless: true) }
                if replicates.count > 1 { HalfSamples.attach(to: &p, replicates: replicates) }
                omni.bands[label] = p
            }
        }
        if let specular {
            let energy = specular.map { Double($0) * Double($0) }
            let peak = energy.max() ?? 0
            let onset = energy.firstIndex { $0 >= peak * 0.01 } ?? 0
            (omni.ITDG, omni.firstReflectionLevel) = ImpulseResponseAnalyzer.reflectionGap(energy: energy, onset: onset, fs: Double(sampleRate))
        }
        var binaural = brir.map { ImpulseResponseAnalyzer.analyze($0).binaural } ?? nil
        if let expectedIACCEarly, binaural != nil {
            for (label, value) in expectedIACCEarly { binaural!.IACC_E[label] = value }
        }
        let width: Parameter
        if let b = binaural {
            let values = ["500", "1k", "2k"].compactMap { b.IACC_E[$0]?.value }
            width = values.count == 3 ? .of(1 - values.reduce(0, +) / 3) : .missing("IACC_E missing in a band")
        } else {
            width = .missing("needs the BRIR")
        }
        return SpeakerMetrics(speaker: speaker, omni: omni, binaural: binaural,
                              binauralMissing: binaural == nil ? "no BRIR was given" : nil,
                              soundstage: SoundstageFigures(width: width,
                                                            envelopment: envelopment,
                                                            imaging: imaging(rir: rir, sampleRate: Double(sampleRate)),
                                                            bass: bass(rir: deterministic ?? rir, sampleRate: Double(sampleRate))))
    }

    static func bass(rir: [Float], sampleRate fs: Double) -> Parameter {
        guard rir.contains(where: { $0 != 0 }) else { return .missing("silent response") }
        let frequencies = BassMap.logFrequencies(from: BassMap.lowest, to: BassMap.highest, perOctave: 48)
        return .of(BassMap.deviation(BassMap.levels(impulseResponse: rir, sampleRate: fs, at: frequencies), frequencies: frequencies))
    }

    static func imaging(rir: [Float], sampleRate fs: Double) -> Parameter {
        let e = rir.map { Double($0) * Double($0) }
        let peak = e.max() ?? 0
        guard peak > 0 else { return .missing("silent response") }
        let onset = e.firstIndex { $0 >= peak * 0.01 } ?? 0
        let window = ImpulseResponseAnalyzer.windowedEnergy(e, fs: fs)
        let p = ImpulseResponseAnalyzer.directPeak(window.values, onset: onset, fs: fs)
        let w = Int(ImpulseResponseAnalyzer.directWindow * fs)
        let direct = e[max(0, p - w)..<min(e.count, p + w + 1)].reduce(0, +)
        let early = e[min(e.count, p + w + 1)..<min(e.count, p + Int(0.02 * fs))].reduce(0, +)
        return early > 0 ? .of(10 * log10(direct / early)) : .missing("no reflections within 20 ms")
    }

    /// The one line `simulate` prints per speaker: T30 at 500 Hz and 1 kHz (marked
    /// `BandParameters.curvedMark` when doubtful), C80 (both with ±σ when simulated with rays), ITDG, width.
    public var summaryLine: String {
        let b = omni.bands
        return "\(speaker): T30 \(b["500"]!.reverberationText(30)) s (500 Hz) \(b["1k"]!.reverberationText(30)) s (1 kHz), "
            + "C80 \(b["1k"]!.C80.formattedWithUncertainty("%+.1f")) dB (1 kHz), ITDG \(omni.ITDG.formatted("%.1f")) ms, "
            + "first reflection \(omni.firstReflectionLevel.formatted("%+.1f")) dB, imaging \(soundstage.imaging.formatted("%.1f")) dB, "
            + "width \(soundstage.width.formatted("%.2f")), envelopment \(soundstage.envelopment.formatted("%.2f"))"
    }
}
