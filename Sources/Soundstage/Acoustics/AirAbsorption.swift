import Foundation

/// Atmospheric absorption of sound after ISO 9613-1:1993, and the speed of sound.
public enum AirAbsorption {
    /// Speed of sound in dry air, m/s: c = 331.3 √(1 + ϑ/273.15) (ϑ in °C); 343.2 m/s at 20 °C.
    public static func speedOfSound(celsius: Double) -> Double {
        331.3 * (1 + celsius / 273.15).squareRoot()
    }

    /// Pure-tone attenuation coefficient α in dB per metre at `hertz` (ISO 9613-1, eqs. 3–5 and B.1).
    public static func decibelsPerMetre(hertz f: Double, celsius: Double, relativeHumidity hr: Double,
                                        pressureKilopascal pa: Double = 101.325) -> Double {
        let pr = 101.325, t = celsius + 273.15, t0 = 293.15, t01 = 273.16
        // Molar concentration of water vapour h (%), from relative humidity (Annex B).
        let c = -6.8346 * pow(t01 / t, 1.261) + 4.6151
        let h = hr * pow(10, c) * pr / pa
        let frO = pa / pr * (24 + 4.04e4 * h * (0.02 + h) / (0.391 + h))
        let frN = pa / pr * pow(t / t0, -0.5) * (9 + 280 * h * exp(-4.170 * (pow(t / t0, -1.0 / 3) - 1)))
        let f2 = f * f
        return 8.686 * f2 * (1.84e-11 * (pr / pa) * pow(t / t0, 0.5)
            + pow(t / t0, -2.5) * (0.01275 * exp(-2239.1 / t) / (frO + f2 / frO)
                + 0.1068 * exp(-3352.0 / t) / (frN + f2 / frN)))
    }

    /// Energy attenuation coefficient m in 1/m (intensity ∝ e^(−m d)), as used in Sabine's and
    /// Eyring's formulas with the term 4 m V: m = α / (10 log₁₀ e).
    public static func energyCoefficient(hertz: Double, air: Air) -> Double {
        decibelsPerMetre(hertz: hertz, celsius: air.temperatureCelsius, relativeHumidity: air.relativeHumidity,
                         pressureKilopascal: air.pressureKilopascal) / (10 * log10(M_E))
    }

    /// `energyCoefficient` at each band's exact centre frequency.
    public static func energyCoefficients(air: Air, bands: FrequencyBands = .octaves) -> BandValues {
        BandValues(bands.centres.map { energyCoefficient(hertz: $0, air: air) })
    }
}

/// Statistical (diffuse-field) room acoustics: reverberation times per band.
public enum ReverberationFormula {
    /// Sabine: T = (24 ln 10 / c) · V / (Σ Sᵢ αᵢ + 4 m V)  (Kuttruff, *Room Acoustics*, eq. 5.26).
    public static func sabine(volume v: Double, absorptionArea a: Double, airCoefficient m: Double, speedOfSound c: Double) -> Double {
        24 * log(10) / c * v / (a + 4 * m * v)
    }

    /// Eyring: T = (24 ln 10 / c) · V / (−S ln(1 − ᾱ) + 4 m V)  (Kuttruff, eq. 5.24).
    public static func eyring(volume v: Double, area s: Double, meanAbsorption alpha: Double, airCoefficient m: Double, speedOfSound c: Double) -> Double {
        24 * log(10) / c * v / (-s * log(1 - alpha) + 4 * m * v)
    }

    /// Fitzroy (1959, "Reverberation formula which seems to be more accurate with nonuniform
    /// distribution of absorption", JASA 31(7)): the area-weighted mean of the Eyring times of the
    /// three pairs of opposite surfaces, T = Σₐ (Sₐ/S) · T_Eyring(ᾱₐ), a = x, y, z — sound bouncing
    /// between hard walls decays at their rate, not the room's mean. `axes`: each axis' area Sₐ and
    /// mean absorption ᾱₐ. Equals Eyring when every ᾱₐ is the same.
    public static func fitzroy(volume v: Double, axes: [(area: Double, absorption: Double)], airCoefficient m: Double, speedOfSound c: Double) -> Double {
        let s = axes.reduce(0) { $0 + $1.area }
        return axes.reduce(0.0) { t, axis in
            t + (axis.area / s) * eyring(volume: v, area: s, meanAbsorption: axis.absorption, airCoefficient: m, speedOfSound: c)
        }
    }
}

extension Scene {
    /// Total surface area (room boundary and objects) in m².
    public var surfaceArea: Double { surfaces.reduce(0) { $0 + $1.polygon.area } }

    /// The surfaces' materials, each once, in the order they first appear.
    public var surfaceMaterials: [Material] {
        var materials: [Material] = []
        for s in surfaces where !materials.contains(s.material) { materials.append(s.material) }
        return materials
    }

    /// Equivalent absorption area Σ Sᵢ αᵢ per band, m².
    public var absorptionArea: BandValues {
        var a = BandValues(uniform: 0)
        for s in surfaces { for b in FrequencyBands.octaves.indices { a[b] += s.polygon.area * s.material.absorption[b] } }
        return a
    }

    /// Sabine, Eyring and Fitzroy reverberation times per band (air absorption included unless
    /// disabled). For Fitzroy each surface counts toward the axis its normal is nearest to.
    public func statisticalRT60() -> (sabine: BandValues, eyring: BandValues, fitzroy: BandValues) {
        let a = absorptionArea, s = surfaceArea, c = air.speedOfSound
        let m = simulation.airAbsorption ? AirAbsorption.energyCoefficients(air: air) : BandValues(uniform: 0)
        let sab = BandValues(FrequencyBands.octaves.indices.map {
            ReverberationFormula.sabine(volume: volume, absorptionArea: a[$0], airCoefficient: m[$0], speedOfSound: c)
        })
        let eyr = BandValues(FrequencyBands.octaves.indices.map {
            ReverberationFormula.eyring(volume: volume, area: s, meanAbsorption: a[$0] / s, airCoefficient: m[$0], speedOfSound: c)
        })
        var axisArea = [0.0, 0.0, 0.0]
        var axisAbsorption = [[Double]](repeating: [Double](repeating: 0, count: FrequencyBands.octaves.count), count: 3)
        for surface in surfaces {
            let n = surface.polygon.normal
            let axis = abs(n.x) >= abs(n.y) && abs(n.x) >= abs(n.z) ? 0 : (abs(n.y) >= abs(n.z) ? 1 : 2)
            axisArea[axis] += surface.polygon.area
            for b in FrequencyBands.octaves.indices { axisAbsorption[axis][b] += surface.polygon.area * surface.material.absorption[b] }
        }
        let fitz = BandValues(FrequencyBands.octaves.indices.map { b in
            let axes = (0..<3).filter { axisArea[$0] > 0 }.map { (area: axisArea[$0], absorption: axisAbsorption[$0][b] / axisArea[$0]) }
            return ReverberationFormula.fitzroy(volume: volume, axes: axes, airCoefficient: m[b], speedOfSound: c)
        })
        return (sab, eyr, fitz)
    }
}
