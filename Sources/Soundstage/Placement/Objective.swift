import Foundation

/// What a placement is scored by (SPEC §7): a weighted sum of terms, each in dB or scaled to
/// read like dB, lower is better. Every term is read at the seat from the stereo pair together.
public struct Objective: Sendable, Equatable {
    public enum Term: String, Sendable, CaseIterable, Codable {
        /// Low-frequency smoothness, long-term: σ (dB) of the 1/6-octave smoothed 20–300 Hz level of
        /// L + R at the seat in the steady state — the room modes as the seat hears them. RPG's Room
        /// Optimizer's modal term (Cox, D'Antonio & Avis 2004, "Room sizing and optimization at low
        /// frequencies", JAES 52(6)). From the wave solver, by reciprocity (`BassMap`).
        case bassModal
        /// Low-frequency smoothness, early: the same σ of the first `BassMap.earlySeconds` after the direct
        /// sound — the speaker-boundary interference (Allison 1974, JAES 22(5)), RPG's early term.
        case bassEarly
        /// Consistency over the listening area: √ of Welti & Devantier's mean spatial variance (2006,
        /// JAES 54(5)) of the L + R level over the seat and the points ±`area` m in x and y around it (dB).
        case area
        /// The strongest reflection within 20 ms of the direct sound, dB re direct, the louder of the two
        /// speakers (500 Hz – 4 kHz; Olive & Toole 1989, JAES 37(7)): early reflections that near the
        /// direct sound's level broaden and shift the image (`EarlyPattern`).
        case reflection
        /// Left/right asymmetry of the early patterns (`EarlyPattern.asymmetry`, 0 … 1), × 10: a fully
        /// one-sided pattern counts as 10 dB. Phantom images centre only when the two speakers' early
        /// reflections mirror each other (Toole, *Sound Reproduction*, 2008, §7.4).
        case symmetry
        /// Imaging: minus the direct-to-early ratio (dB) within 20 ms, the mean of L and R — `metrics.json`'s
        /// `soundstage.imaging` read from the image sources (500 Hz – 4 kHz); more direct sound, a
        /// sharper image.
        case imaging

        /// Short column header.
        public var header: String {
            switch self {
            case .bassModal: return "bass σ"
            case .bassEarly: return "early σ"
            case .area: return "area"
            case .reflection: return "refl."
            case .symmetry: return "asym."
            case .imaging: return "imag."
            }
        }
    }

    /// Weight of each term (missing: 0).
    public var weights: [Term: Double]
    /// The preset's name, or nil for explicit weights.
    public var preset: String?

    public init(weights: [Term: Double], preset: String? = nil) { (self.weights, self.preset) = (weights, preset) }

    /// The named goals. `flat-bass`: RPG's equal early/modal weighting plus the listening area;
    /// `imaging`: the early reflections first, the bass a quarter; `balanced`: the bass and the
    /// listening area first, the early reflections at a tenth to a fifth — they separate placements
    /// whose bass is alike, and do not pull the listener into the speakers' near field (where the
    /// direct sound always wins).
    public static let presets: [String: Objective] = [
        "flat-bass": Objective(weights: [.bassModal: 1, .bassEarly: 1, .area: 1], preset: "flat-bass"),
        "imaging": Objective(weights: [.bassModal: 0.25, .bassEarly: 0.25, .reflection: 1, .symmetry: 1, .imaging: 1], preset: "imaging"),
        "balanced": Objective(weights: [.bassModal: 1, .bassEarly: 1, .area: 0.5, .reflection: 0.1, .symmetry: 0.2, .imaging: 0.1], preset: "balanced"),
    ]
    public static let balanced = presets["balanced"]!

    /// Σ weight × term over the terms present (a missing term counts 0).
    public func cost(_ terms: [Term: Double]) -> Double {
        Term.allCases.reduce(0) { $0 + (weights[$1] ?? 0) * (terms[$1] ?? 0) }
    }

    /// The terms with a non-zero weight, in declaration order.
    public var activeTerms: [Term] { Term.allCases.filter { (weights[$0] ?? 0) != 0 } }
}
