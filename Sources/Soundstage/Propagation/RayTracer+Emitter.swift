import Foundation

extension RayTracer {
    /// Emission directions and energies of one speaker's rays.
    ///
    /// Directions are drawn with the density p(θ) ∝ w(θ) = mean_b D_b(θ)² about the speaker's axis
    /// (importance sampling: a beaming tweeter's energy is carried by many rays, not by the few that
    /// happen to leave near its axis), stratified like a spherical Fibonacci lattice (González 2010):
    /// ray i has cos θ = F⁻¹((i + ½)/N), F the cumulative of w over cos θ, and azimuth i·golden
    /// angle plus a random turn from the seed. Each ray carries D_b(θ)²·g² / (N·4π·p(θ)) with
    /// 4π·p(θ) = 2·w(θ)/W, W = ∫w d(cos θ): unbiased per band for any directivity. For a measured
    /// speaker, whose pattern also depends on the roll φ about the axis, w(θ) is the mean of D² over φ
    /// and each ray carries D_b(θ, φ)² of its own direction: still unbiased, as φ is uniform.
    struct Emitter: Sendable {
        let axis: Vec3, e1: Vec3, e2: Vec3
        let turn: Double
        let count: Int
        /// Tables over cos θ = −1 + 2k/steps.
        let power: [BandEnergy]      // D_b² g²
        let weight: [Double]          // w = mean_b D_b²
        let cumulative: [Double]      // F (trapezoid), cumulative.last = W
        static let steps = 1024
        /// The largest energy a ray starts with (the roulette's reference).
        let referenceEnergy: Float
        /// For a measured speaker (its pattern depends on the roll about the axis) the tables hold
        /// the mean over the roll angle and each ray's energy comes from its own direction.
        let shader: PathShader?
        let bands: Int

        init(scene: Scene, speaker: Speaker, bands: Int, rays: Int, turn: Double) {
            let f = speaker.orientation.forward
            axis = f
            e1 = (abs(f.z) < 0.9 ? f.cross(Vec3(0, 0, 1)) : f.cross(Vec3(1, 0, 0))).normalized
            e2 = f.cross(e1)
            self.turn = turn
            count = max(1, rays)
            let shader = PathShader(scene: scene, speaker: speaker, bandCount: bands)
            let ones = [Double](repeating: 1, count: bands)
            var gains = [Float](repeating: 0, count: bands)
            var power: [BandEnergy] = [], weight: [Double] = []
            let rolls = shader.measured == nil ? 1 : 8
            for k in 0...Emitter.steps {
                let c = -1 + 2 * Double(k) / Double(Emitter.steps)
                var e = BandEnergy(repeating: 0)
                for j in 0..<rolls {
                    let phi = (Double(j) + 0.5) / Double(rolls) * 2 * .pi
                    let side = rolls == 1 ? e1 : cos(phi) * e1 + sin(phi) * (f.cross(e1))
                    let dir = c * f + max(0, 1 - c * c).squareRoot() * side
                    ones.withUnsafeBufferPointer { r in gains.withUnsafeMutableBufferPointer { g in
                        shader.gains(reflection: r.baseAddress!, emission: dir, distance: 0, into: g.baseAddress!)
                    } }
                    for b in 0..<bands { e[b] += gains[b] * gains[b] / Float(rolls) }
                }
                power.append(e)
                weight.append(max(1e-12, (0..<bands).reduce(0.0) { $0 + Double(e[$1]) } / Double(bands)))
            }
            var cumulative = [0.0]
            for k in 1...Emitter.steps { cumulative.append(cumulative[k - 1] + (weight[k - 1] + weight[k]) / 2 * 2 / Double(Emitter.steps)) }
            self.power = power
            self.weight = weight
            self.cumulative = cumulative
            let total = cumulative.last!
            referenceEnergy = (0...Emitter.steps).map { k in largest(power[k]) * Float(total / (2 * weight[k])) }.max()! / Float(count)
            self.shader = shader.measured == nil ? nil : shader
            self.bands = bands
        }

        /// Direction and band energies of ray `i`.
        func ray(_ i: Int) -> (Vec3, BandEnergy) {
            let total = cumulative.last!
            let target = (Double(i) + 0.5) / Double(count) * total
            // Binary search in the cumulative table, then the exact root of the trapezoid segment
            // (w linear in cos θ within it).
            var lo = 0, hi = Emitter.steps
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if cumulative[mid] <= target { lo = mid } else { hi = mid }
            }
            let h = 2 / Double(Emitter.steps), w0 = weight[lo], w1 = weight[hi], rest = target - cumulative[lo]
            let slope = (w1 - w0) / h
            let x = abs(slope) < 1e-12 * max(w0, 1e-300) ? rest / w0 : (-w0 + max(0, w0 * w0 + 2 * slope * rest).squareRoot()) / slope
            let u = max(0, min(1, x / h))
            let c = max(-1, min(1, -1 + h * (Double(lo) + u)))
            let phi = Double(i) * Double.pi * (3 - 5.0.squareRoot()) + turn
            let s = max(0, 1 - c * c).squareRoot()
            let direction = c * axis + s * cos(phi) * e1 + s * sin(phi) * e2
            var p = power[lo] * Float(1 - u) + power[hi] * Float(u)
            if let shader {
                p = BandEnergy(repeating: 0)
                withUnsafeTemporaryAllocation(of: Double.self, capacity: 8) { r in
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: 8) { g in
                        r.initialize(repeating: 1)
                        shader.gains(reflection: UnsafePointer(r.baseAddress!), emission: direction, distance: 0, into: g.baseAddress!)
                        for b in 0..<bands { p[b] = g[b] * g[b] }
                    }
                }
            }
            let w = w0 * (1 - u) + w1 * u
            return (direction, p * Float(total / (2 * w) / Double(count)))
        }
    }
}

