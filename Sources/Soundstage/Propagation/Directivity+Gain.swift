import Foundation

extension Directivity {
    /// Effective piston radius per octave band of the `monitor` preset, a typical two-way studio
    /// monitor: a 6.5-inch woofer (a ≈ 83 mm) up to the crossover, a 1-inch dome in a shallow
    /// waveguide (a ≈ 20 mm) above it, 45 mm in the crossover octave.
    static let monitorRadii: [Double] = [0.083, 0.083, 0.083, 0.083, 0.083, 0.045, 0.02, 0.02]

    /// Pressure gain (on-axis = 1) at `angle` radians off the axis in octave band `band`.
    ///
    /// - cardioid: (1 + cos θ)/2.
    /// - piston: a rigid circular piston in a baffle, D(θ) = 2 J₁(ka sin θ)/(ka sin θ) for the front
    ///   half-space (Kinsler et al., *Fundamentals of Acoustics*, eq. 7.4.17), k at the band centre.
    ///   Behind the baffle a real cabinet is not an infinite baffle: there the front value at 90° is
    ///   multiplied by (1 − w) + w·(1 + cos θ)/2 with w = (ka)²/(1 + (ka)²) — omni where the
    ///   wavelength is large against the piston (so the bounce off the wall behind a monitor is kept
    ///   at low frequencies), −6 dB straight behind at ka = 1, about −20 dB at ka = 3 (a model of the
    ///   baffle step, not a measurement).
    /// - monitor: the piston model with `monitorRadii`.
    /// - table: the user's dB values interpolated linearly in angle.
    /// - measured: the rms over the roll angle about the axis (the engines use the direction itself,
    ///   `PathShader`).
    public func gain(band: Int, angle θ: Double, speedOfSound c: Double) -> Double {
        switch self {
        case .omni: return 1
        case .cardioid: return 0.5 * (1 + cos(θ))
        case .piston(let radius): return Directivity.piston(radius: radius, band: band, angle: θ, c: c)
        case .monitor: return Directivity.piston(radius: Directivity.monitorRadii[band], band: band, angle: θ, c: c)
        case .table(let angles, let rows):
            let a = degrees(θ)
            guard let upper = angles.firstIndex(where: { $0 >= a }) else { return pow(10, rows.last![band] / 20) }
            if upper == 0 { return pow(10, rows[0][band] / 20) }
            let t = (a - angles[upper - 1]) / (angles[upper] - angles[upper - 1])
            return pow(10, (rows[upper - 1][band] * (1 - t) + rows[upper][band] * t) / 20)
        case .measured(let m): return m.meanGain(band: band, offAxis: θ)
        }
    }

    static func piston(radius a: Double, band: Int, angle θ: Double, c: Double) -> Double {
        let ka = 2 * .pi * FrequencyBands.octaves.centres[band] / c * a
        func front(_ angle: Double) -> Double {
            let x = ka * sin(angle)
            return abs(x) < 1e-6 ? 1 : abs(2 * j1(x) / x)
        }
        if θ <= .pi / 2 { return front(θ) }
        let w = ka * ka / (1 + ka * ka)
        return front(.pi / 2) * ((1 - w) + w * 0.5 * (1 + cos(θ)))
    }

    /// The −6 dB beamwidth (full angle, degrees) per octave band in the horizontal and vertical
    /// planes: twice the first off-axis angle where the level falls 6 dB below on-axis (360 when it
    /// never does). The presets are axisymmetric: both planes alike.
    public func beamwidths(speedOfSound c: Double) -> (horizontal: [Double], vertical: [Double]) {
        if let measurement { return measurement.beamwidths }
        let widths = (0..<FrequencyBands.octaves.count).map { b in
            Directivity.beamwidth { 20 * log10(max(gain(band: b, angle: radians($0), speedOfSound: c), 1e-12)) }
        }
        return (widths, widths)
    }

    /// Twice the first angle (half-degree search, linear between) at which `levelDB(θ°)` ≤ −6 dB.
    static func beamwidth(_ levelDB: (Double) -> Double) -> Double {
        for k in 1...360 {
            let θ = Double(k) / 2
            let l = levelDB(θ)
            if l <= -6 {
                let p = levelDB(θ - 0.5)
                return 2 * (θ - 0.5 + 0.5 * (p + 6) / max(p - l, 1e-12))
            }
        }
        return 360
    }

    /// True when the gain is the same in every band at every angle (omni).
    public var isOmni: Bool { if case .omni = self { return true }; return false }
}
