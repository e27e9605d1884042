import Foundation

/// A locally reacting boundary's specific admittance β = ρc/Z (real, frequency-independent) from a
/// random-incidence energy absorption coefficient α.
///
/// For a real normalized impedance ζ = 1/β, the absorption at incidence angle θ is
/// α(θ) = 4ζ cos θ / (ζ cos θ + 1)², and its Paris (random-incidence, diffuse-field) average
/// α_d = ∫₀^{π/2} α(θ) sin 2θ dθ has the closed form
/// α_d = (8/ζ) [1 + 1/(1 + ζ) − (2/ζ) ln(1 + ζ)] (Kuttruff, *Room Acoustics*, 6th ed., §2.5, eq. 2.53
/// with a real impedance). α_d rises from 0 (ζ → ∞) to 0.951 at ζ = 1.567 and falls again; the
/// branch ζ ≥ 1.567 is used, so a larger α gives a larger β. This is the model pffdtd uses too.
public enum BoundaryAdmittance {
    /// The largest random-incidence absorption a real impedance can give.
    public static let maximumAbsorption = parisAbsorption(impedance: 1.5674)

    /// α_d of a real normalized impedance ζ (Paris' formula).
    public static func parisAbsorption(impedance z: Double) -> Double {
        guard z > 0, z.isFinite else { return 0 }
        return 8 / z * (1 + 1 / (1 + z) - 2 / z * log1p(z))
    }

    /// The admittance β whose Paris absorption is `alpha` (clamped to what a real impedance can
    /// reach), by bisection on ζ ∈ [1.5674, 10⁶].
    public static func admittance(absorption alpha: Double) -> Double {
        guard alpha > 1e-9 else { return 0 }
        let target = min(alpha, maximumAbsorption)
        var lo = 1.5674, hi = 1e6 // α_d falls monotonically from lo to hi
        for _ in 0..<100 {
            let mid = (lo * hi).squareRoot()
            if parisAbsorption(impedance: mid) > target { lo = mid } else { hi = mid }
        }
        return 1 / ((lo * hi).squareRoot())
    }

    /// The absorption the wave part uses for a material: the energy mean of its α over the octave
    /// bands whose centre lies at or below `crossover` (at least the lowest band).
    public static func waveAbsorption(_ material: Material, crossover: Double) -> Double {
        let centres = FrequencyBands.octaves.centres
        let bands = centres.indices.filter { centres[$0] <= crossover }
        let used = bands.isEmpty ? [0] : bands
        return used.reduce(0.0) { $0 + material.absorption[$1] } / Double(used.count)
    }
}
