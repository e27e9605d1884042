import Foundation

/// A surface material: random-incidence **energy** absorption coefficient α and scattering
/// coefficient s (ISO 17497-1) per octave band. The pressure reflection factor is √(1 − α).
public struct Material: Sendable, Equatable {
    public var name: String
    /// Energy absorption coefficient per band, 0 ≤ α < 1.
    public var absorption: BandValues
    /// Scattering coefficient per band, 0 ≤ s ≤ 1 (fraction of reflected energy not specular).
    public var scattering: BandValues

    public init(name: String, absorption: BandValues, scattering: BandValues) {
        self.name = name
        self.absorption = absorption
        self.scattering = scattering
    }

    /// Pressure reflection factor √(1 − α) per band (Allen & Berkley 1979, eq. 1 convention).
    public var reflectionFactor: BandValues { absorption.map { (1 - $0).squareRoot() } }
}

/// Reduces values given at arbitrary frequencies (octave or third-octave centres, or a mix)
/// to the engine's octave bands.
///
/// Each given frequency is assigned to the octave band whose centre is nearest on a log scale
/// (third-octave centres 800, 1000, 1250 Hz → the 1 kHz octave), and the values in one octave
/// are averaged arithmetically. For absorption this is energy-correct: the three third-octaves of
/// an octave have equal relative bandwidth, so under a pink (equal energy per third-octave)
/// excitation the octave absorbs the mean of their absorbed fractions (Vorländer,
/// *Auralization*, 2008, §11.3 uses the same band reduction). An engine band with no value of its
/// own holds the value of the nearest band that has one (SPEC §2), ties going to the lower band.
public enum BandReduction {
    public static func toOctaves(_ points: [(hertz: Double, value: Double)],
                                 bands: FrequencyBands = .octaves) -> BandValues {
        precondition(!points.isEmpty)
        var sums: [Int: (sum: Double, count: Int)] = [:]
        for p in points {
            let k = bands.nearestOctaveIndex(hertz: p.hertz)
            let old = sums[k] ?? (0, 0)
            sums[k] = (old.sum + p.value, old.count + 1)
        }
        let given = sums.keys.sorted()
        return BandValues(bands.indices.map { band in
            let nearest = given.min { abs($0 - band) < abs($1 - band) || (abs($0 - band) == abs($1 - band) && $0 < $1) }!
            let s = sums[nearest]!
            return s.sum / Double(s.count)
        })
    }
}
