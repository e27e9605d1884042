import Foundation

/// Random-incidence absorption and the specific admittance β = ρc/Z of a locally reacting boundary.
///
/// A plane wave meeting a locally reacting surface of normalized admittance β at incidence angle θ
/// is reflected with R = (cos θ − β)/(cos θ + β), so it loses α(θ) = 1 − |R|² = 4 Re β cos θ / |cos θ + β|².
/// The Paris (diffuse-field) average α_d = ∫₀^{π/2} α(θ) sin 2θ dθ (Kuttruff, *Room Acoustics*, 6th ed.,
/// §2.5, eq. 2.53) becomes, with x = cos θ, α_d = ∫₀¹ 8 Re β x² / |x + β|² dx; for a real impedance
/// ζ = 1/β it has the closed form α_d = (8/ζ)[1 + 1/(1 + ζ) − (2/ζ) ln(1 + ζ)]. α_d rises from 0
/// (ζ → ∞) to 0.951 at ζ = 1.567 and falls again; the branch ζ ≥ 1.567 is used, so a larger α gives
/// a larger β. This is the model pffdtd uses too.
public enum BoundaryAdmittance {
    /// The largest random-incidence absorption a real impedance can give, and its admittance.
    public static let maximumAbsorption = parisAbsorption(impedance: 1.5674)
    public static let maximumAdmittance = 1 / 1.5674

    /// α_d of a real normalized impedance ζ (Paris' formula, closed form).
    public static func parisAbsorption(impedance z: Double) -> Double {
        guard z > 0, z.isFinite else { return 0 }
        return 8 / z * (1 + 1 / (1 + z) - 2 / z * log1p(z))
    }

    /// α_d of a complex admittance β (Re β ≥ 0): ∫₀¹ 8 Re β x² / |x + β|² dx by Simpson's rule on 400
    /// intervals (the integrand is smooth on [0, 1] for Re β ≥ 0).
    static func parisAbsorption(admittance b: Complex) -> Double {
        guard b.re > 0 else { return 0 }
        let n = 400
        var sum = 0.0
        for i in 0...n {
            let x = Double(i) / Double(n)
            let d = (x + b.re) * (x + b.re) + b.im * b.im
            let w: Double = i == 0 || i == n ? 1 : (i % 2 == 1 ? 4 : 2)
            sum += w * 8 * b.re * x * x / d
        }
        return sum / (3 * Double(n))
    }

    /// The real admittance β whose Paris absorption is `alpha` (clamped to what a real impedance can
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
}

/// A material's boundary in the wave part: a passive, frequency-dependent admittance β(s), the sum
/// of a conductance β₀ and branches, each a positive-real one-port (Bilbao, Hamilton, Botts & Savioja
/// 2016, "Finite volume time domain room acoustics simulation under general impedance boundary
/// conditions", IEEE/ACM TASLP 24(1), build such admittances from parallel lumped branches):
///
/// - a low-pass g ω₀/(s + ω₀) (a mass and a damper: flat below ω₀),
/// - a high-pass g s/(s + ω₀) (a spring and a damper: flat above ω₀),
/// - a band-pass g (ω₀/Q) s / (s² + (ω₀/Q) s + ω₀²), Q = √2 or 2√2, an octave or half an octave wide
///   (a series mass, spring and damper, resonant at ω₀, where it is the real g),
///
/// with ω₀ at the octave centres and half-way between them, from half an octave below the lowest to
/// an octave above the highest. Every term is
/// positive real, so the boundary is passive at every frequency and the scheme stays stable.
///
/// `fit` chooses β₀ ≥ 0 and every g ≥ 0 so that the Paris absorption of β(jω) follows the material's
/// octave values from 63 Hz to the last centre at or below twice the crossover (the wave part's band
/// edge), interpolated linearly in log frequency between centres and constant beyond them, from 20 Hz
/// to half an octave past the last centre: a non-negative least-squares fit, in relative terms, of
/// Re β to the real admittances Paris' formula gives for those values, then a few corrections for the
/// absorption the branches' reactance takes away. Branches are added one at a time (forward
/// selection) while the absorption misses by more than `tolerance` anywhere in that range. A material
/// whose values are equal there gets the plain conductance. `absorption(at:)` is what the boundary really absorbs —
/// `soundstage simulate` draws it against the material's values (wave-boundaries.png).
public struct BoundaryModel: Sendable, Equatable {
    public struct Branch: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case lowpass, bandpass, highpass }
        public var kind: Kind
        /// g: the branch's scale (its admittance at resonance for a band-pass).
        public var gain: Double
        /// f₀ = ω₀/2π in Hz.
        public var frequency: Double
        /// Q of a band-pass.
        public var q: Double = BoundaryModel.branchQ

        /// The branch's admittance at s = jω.
        func admittance(_ w: Double) -> Complex {
            let w0 = 2 * Double.pi * frequency
            switch kind {
            case .lowpass: return Complex(gain * w0, 0) / Complex(w0, w)
            case .highpass: return Complex(0, gain * w) / Complex(w0, w)
            case .bandpass: return Complex(0, gain * w0 / q * w) / Complex(w0 * w0 - w * w, w * w0 / q)
            }
        }
    }

    /// β₀: the frequency-independent part.
    public var conductance: Double
    public var branches: [Branch]
    /// The octave centres (Hz) and absorption values the model was fitted to.
    public var bandCentres: [Double]
    public var bandAbsorption: [Double]

    /// A rigid boundary: β = 0.
    public static let rigid = BoundaryModel(conductance: 0, branches: [], bandCentres: [], bandAbsorption: [])

    /// A band-pass branch's Q: its real part falls to half its peak half an octave from its centre
    /// (Q = √2); a narrow one's (Q = 2√2) a quarter of an octave from it, for steep changes between
    /// octaves.
    public static let branchQ = 2.0.squareRoot()
    public static let narrowQ = 2 * 2.0.squareRoot()

    /// β(j 2π f).
    func admittance(at f: Double) -> Complex {
        branches.reduce(Complex(conductance, 0)) { $0 + $1.admittance(2 * .pi * f) }
    }

    /// The boundary's random-incidence (Paris) absorption at `f` Hz.
    public func absorption(at f: Double) -> Double {
        BoundaryAdmittance.parisAbsorption(admittance: admittance(at: f))
    }

    /// The octave bands the wave part of a run with this crossover covers: 63 Hz up to the last centre
    /// at or below twice the crossover.
    public static func bands(crossover: Double) -> [Int] {
        let centres = FrequencyBands.octaves.centres
        let used = centres.indices.filter { centres[$0] <= 2 * crossover * 1.001 }
        return used.isEmpty ? [0] : used
    }

    /// The model for `material` in a wave part below `crossover` Hz (see the type's description).
    public static func fit(_ material: Material, crossover: Double) -> BoundaryModel {
        let used = bands(crossover: crossover)
        let alphas = used.map { min(max(0, material.absorption[$0]), BoundaryAdmittance.maximumAbsorption) }
        let key = FitKey(bands: used, absorption: alphas)
        if let model = fits.value(for: key) { return model }
        let model = fit(absorption: alphas, centres: used.map { FrequencyBands.octaves.centres[$0] })
        fits.store(model, for: key)
        return model
    }

    private struct FitKey: Hashable, Sendable { var bands: [Int]; var absorption: [Double] }
    /// Fits made in this process (a room's materials are fitted by the grid, the plot and `validate`).
    private static let fits = LockedCache<FitKey, BoundaryModel>(limit: 64)

    private static func fit(absorption alphas: [Double], centres: [Double]) -> BoundaryModel {
        let goal = alphas.map { BoundaryAdmittance.admittance(absorption: $0) }
        let model = BoundaryModel(conductance: goal[0], branches: [], bandCentres: centres, bandAbsorption: alphas)
        guard let lo = goal.min(), let hi = goal.max(), lo > 0, hi - lo > 1e-6 * hi else { return model }
        // Fit points: 12 per octave from 20 Hz to half an octave beyond the last centre.
        let top = centres.last! * 2.0.squareRoot()
        let points = (0...Int((12 * log2(top / 20)).rounded(.up))).map { 20 * pow(2, Double($0) / 12) }
        func interpolate(_ values: [Double], at f: Double) -> Double {
            if f <= centres[0] { return values[0] }
            if f >= centres.last! { return values.last! }
            let i = centres.lastIndex { $0 <= f }!
            let t = log2(f / centres[i]) / log2(centres[i + 1] / centres[i])
            return values[i] + t * (values[i + 1] - values[i])
        }
        let halfOctaves = (-1...(2 * centres.count)).map { centres[0] * pow(2, Double($0) / 2) }
        let candidates = halfOctaves.flatMap { f in
            [Branch(kind: .lowpass, gain: 1, frequency: f), Branch(kind: .highpass, gain: 1, frequency: f),
             Branch(kind: .bandpass, gain: 1, frequency: f), Branch(kind: .bandpass, gain: 1, frequency: f, q: narrowQ)]
        }
        // The absorption expected at the fit points: the material's, interpolated like the targets.
        let expected = points.map { interpolate(alphas, at: $0) }
        // The conductance and the branches in `shapes`, fitted; the largest α error at the fit points.
        func solve(_ shapes: [Branch], corrections: Int = 8) -> (model: BoundaryModel, error: Double) {
            var target = goal
            var best = (model: model, error: Double.infinity)
            for _ in 0..<corrections {
                // Each basis function as Re β at the fit points; rows divided by the target so the error
                // is relative (a small admittance matters as much as a large one).
                let wanted = points.map { interpolate(target, at: $0) }
                let columns: [[Double]] = [wanted.map { 1 / $0 }] + shapes.map { b in
                    zip(points, wanted).map { b.admittance(2 * .pi * $0).re / $1 }
                }
                let x = nonNegativeLeastSquares(columns, wanted.map { _ in 1 })
                var trial = model
                trial.conductance = x[0]
                trial.branches = zip(shapes, x.dropFirst()).compactMap { b, g in
                    var b = b
                    b.gain = g
                    return g > 0 ? b : nil
                }
                let error = zip(points, expected).map { f, a in (f < centres[0] ? 0.5 : 1) * abs(trial.absorption(at: f) - a) }.max()!
                if error < best.error { best = (trial, error) }
                // The reactance lowers the absorption below what Re β alone gives: raise the targets by
                // the ratio of the admittance asked for to the one the model's absorption corresponds to
                // (no further than the admittance of the largest absorption).
                for i in target.indices {
                    let achieved = BoundaryAdmittance.admittance(absorption: trial.absorption(at: centres[i]))
                    target[i] = min(BoundaryAdmittance.maximumAdmittance, target[i] * goal[i] / max(achieved, 1e-9))
                }
            }
            return best
        }
        // Forward selection: each state a branch adds is carried by every boundary node of the
        // material at every step, so branches are added one at a time — the one that lowers the error
        // most — until the absorption is within `tolerance` at every centre (or `maximumBranches`).
        // A step that does not help may still set up the next, so the search goes on to the limit
        // and keeps the best model it met.
        var chosen: [Branch] = []
        var current = solve([]), best = current
        while best.error > tolerance && chosen.count < maximumBranches {
            // Candidates are ranked with a few corrections; the one chosen gets them all.
            let trials = candidates.filter { c in !chosen.contains(c) }.map { ($0, solve(chosen + [$0], corrections: 3)) }
            guard let next = trials.min(by: { $0.1.error < $1.1.error }) else { break }
            chosen.append(next.0)
            current = solve(chosen)
            if current.error < best.error - 1e-4 { best = current }
        }
        return best.model
    }

    /// The largest error in α (at any fit point, against the octave values interpolated in log
    /// frequency) `fit` accepts before adding a branch, and the most branches it adds.
    public static let tolerance = 0.02
    public static let maximumBranches = 4

    /// min ‖A x − b‖² over x ≥ 0 (A given by columns) by cyclic coordinate descent, exact per
    /// coordinate; converges for this convex problem (the problems here have at most four unknowns),
    /// stopping when no coordinate moves by more than 10⁻⁹ of the largest.
    static func nonNegativeLeastSquares(_ a: [[Double]], _ b: [Double]) -> [Double] {
        let n = a.count, m = b.count
        let flat = a.flatMap { $0 }
        let norms = a.map { $0.reduce(0) { $0 + $1 * $1 } }
        var x = [Double](repeating: 0, count: n)
        var residual = b // b − A x
        flat.withUnsafeBufferPointer { A in
            residual.withUnsafeMutableBufferPointer { r in
                for _ in 0..<4000 {
                    var change = 0.0, largest = 0.0
                    for j in 0..<n where norms[j] > 0 {
                        var gradient = 0.0
                        for i in 0..<m { gradient += A[j * m + i] * r[i] }
                        let next = max(0, x[j] + gradient / norms[j])
                        let d = next - x[j]
                        if d != 0 {
                            for i in 0..<m { r[i] -= d * A[j * m + i] }
                            x[j] = next
                            change = max(change, abs(d))
                        }
                        largest = max(largest, x[j])
                    }
                    if change <= 1e-9 * largest { break }
                }
            }
        }
        return x
    }
}

/// A `BoundaryModel` in discrete time for a solver with time step k: each branch by the bilinear
/// transform s = K (1 − z⁻¹)/(1 + z⁻¹), K = ω₀ / tan(ω₀ k/2) (pre-warped so the branch is exact at
/// its ω₀), which maps a positive-real admittance to a passive digital one; each becomes a section
/// (b₀ + b₁z⁻¹ + b₂z⁻²)/(1 + a₁z⁻¹ + a₂z⁻²), run in transposed direct form II.
struct DiscreteBoundary {
    struct Section { var b0, b1, b2, a1, a2: Double }
    var conductance: Double
    var sections: [Section]
    /// The instantaneous part: β₀ + Σ b₀.
    var instantaneous: Double { conductance + sections.reduce(0) { $0 + $1.b0 } }

    init(_ model: BoundaryModel, timeStep k: Double) {
        conductance = model.conductance
        sections = model.branches.map { b in
            let w0 = 2 * Double.pi * b.frequency
            let kk = w0 / tan(w0 * k / 2)
            switch b.kind {
            case .lowpass: // g ω₀/(s + ω₀)
                let a0 = kk + w0
                return Section(b0: b.gain * w0 / a0, b1: b.gain * w0 / a0, b2: 0, a1: (w0 - kk) / a0, a2: 0)
            case .highpass: // g s/(s + ω₀)
                let a0 = kk + w0
                return Section(b0: b.gain * kk / a0, b1: -b.gain * kk / a0, b2: 0, a1: (w0 - kk) / a0, a2: 0)
            case .bandpass: // g (ω₀/Q) s/(s² + (ω₀/Q) s + ω₀²)
                let bw = w0 / b.q
                let a0 = kk * kk + bw * kk + w0 * w0
                return Section(b0: b.gain * bw * kk / a0, b1: 0, b2: -b.gain * bw * kk / a0,
                               a1: 2 * (w0 * w0 - kk * kk) / a0, a2: (kk * kk - bw * kk + w0 * w0) / a0)
            }
        }
    }

    /// The section's response at digital frequency w (radians per step).
    static func response(_ s: Section, _ w: Double) -> Complex {
        let z1 = Complex(cos(w), -sin(w)), z2 = z1 * z1
        return (Complex(s.b0, 0) + z1 * s.b1 + z2 * s.b2) / (Complex(1, 0) + z1 * s.a1 + z2 * s.a2)
    }
}
