import XCTest
@testable import Soundstage

/// The wave solver (FDTD) against physics: mode frequencies of a rigid box, energy conservation,
/// the free-field Green's function, reciprocity, the low-frequency ITD, and the join to the
/// geometric part.
final class WaveSolverTests: XCTestCase {
    func box(_ w: Double, _ l: Double, _ h: Double, alpha: Double, speaker: [Double], listener: [Double], duration: Double = 0.5,
             wave: String = #"{"crossover": 200, "pointsPerWavelength": 10}"#) throws -> Scene {
        try RoomFile.parse("""
        {"room": {"shoebox": {"width": \(w), "length": \(l), "height": \(h)}}, "surfaces": {"all": {"absorption": \(alpha), "scattering": 0}},
         "speakers": [{"name": "S", "position": \(speaker), "directivity": "omni"}], "listener": {"position": \(listener)},
         "simulation": {"duration": \(duration), "airAbsorption": false, "highpass": 0, "wave": \(wave)}}
        """)
    }

    func testFreeFieldDirectSoundIsTheGreensFunctionAtROverC() throws {
        // A room large enough that the first reflection (floor) comes > 5 ms after the direct sound.
        let s = try box(8, 8, 6, alpha: 0.5, speaker: [3, 4, 3], listener: [5, 4, 3])
        let plan = try XCTUnwrap(s.wavePlan(durationSeconds: 0.02))
        let grid = WaveGrid(scene: s, spacing: plan.spacing, crossover: plan.crossover)
        let c = s.air.speedOfSound
        let steps = Int(0.02 / plan.timeStep)
        let run = WaveSolver.run(grid: grid, speedOfSound: c, steps: steps, cutoff: plan.bandEdge, source: Vec3(3, 4, 3),
                                 receivers: [Vec3(5, 4, 3)], threads: 1)
        let x = run.responses[0]
        let r = 2.0
        // The response is the excitation's band-limited impulse (unit area) delayed by r/c, / (4πr):
        // its area over the direct sound's window is 1/(4πr) and its centroid r/c.
        let window = 0..<Int((r / c + 0.004) / run.timeStep)
        let area = window.reduce(0.0) { $0 + Double(x[$1]) } * run.timeStep
        let centroid = window.reduce(0.0) { $0 + Double($1) * run.timeStep * Double(x[$1]) } * run.timeStep / area
        XCTAssertEqual(20 * log10(area * 4 * .pi * r), 0, accuracy: 0.5)
        XCTAssertEqual(centroid, r / c, accuracy: 0.02 * r / c)
    }

    /// A rigid 1.2 × 0.9 × 0.7 m box on a 5-cm grid (its sides whole numbers of cells).
    func rigidBox() throws -> (Scene, WaveGrid) {
        let s = try box(1.2, 0.9, 0.7, alpha: 0, speaker: [0.17, 0.13, 0.11], listener: [1.02, 0.76, 0.58])
        let grid = WaveGrid(scene: s, spacing: 0.05, crossover: 200)
        XCTAssertEqual(grid.spacing, 0.05, accuracy: 1e-12)
        XCTAssertEqual([grid.nx, grid.ny, grid.nz], [24, 18, 14])
        XCTAssertEqual(grid.boundaryAdmittance.max(), 0) // α = 0: rigid
        return (s, grid)
    }

    func testALosslessBoxConservesTheSchemesEnergy() throws {
        // The scheme's conserved energy (Bilbao 2013): kinetic-like ½Σ((pⁿ⁺¹ − pⁿ)/λ)² plus potential
        // ½ Σ over air-air links (pₗⁿ⁺¹ − pₘⁿ⁺¹)(pₗⁿ − pₘⁿ), each link once — computed here from the
        // field's two time levels, independently of the update code.
        let (_, grid) = try rigidBox()
        let field = WaveField(grid: grid, speedOfSound: 343)
        let source = grid.trilinear(Vec3(0.37, 0.41, 0.33))
        func energy() -> Double {
            let p = field.current, q = field.previous // pⁿ⁺¹ and pⁿ after a step
            var kinetic = 0.0, potential = 0.0
            let l2 = field.courant * field.courant
            for c in 0..<grid.storageCount where grid.isAir[c] {
                let d = Double(p[c]) - Double(q[c])
                kinetic += d * d / l2
                for o in [1, grid.sx, grid.sxy] where grid.isAir[c + o] {
                    potential += (Double(p[c]) - Double(p[c + o])) * (Double(q[c]) - Double(q[c + o]))
                }
            }
            return 0.5 * (kinetic + potential)
        }
        // A few steps of excitation, then free ringing for 3000 steps.
        for n in 0..<20 { field.step(source: source.map { ($0.index, $0.weight * Float(sin(Double(n) * 0.3))) }) }
        let e0 = energy()
        XCTAssertGreaterThan(e0, 0)
        for _ in 0..<3000 { field.step() }
        // Float rounding only: 3000 steps of single precision keep it within 10⁻⁴.
        XCTAssertEqual(energy() / e0, 1, accuracy: 1e-4)
    }

    func testRigidBoxModesAreTheAnalyticFrequencies() throws {
        // f = c/2 √((nx/Lx)² + (ny/Ly)² + (nz/Lz)²); the first modes of the box, all below 300 Hz
        // (≥ 23 cells per wavelength), from the peaks of a 1-s response (Hann window, parabolic
        // interpolation on the log magnitude).
        let (s, grid) = try rigidBox()
        let c = s.air.speedOfSound
        let k = 0.05 / (c * 3.0.squareRoot())
        let steps = Int(1.0 / k)
        let run = WaveSolver.run(grid: grid, speedOfSound: c, steps: steps, cutoff: 900, source: Vec3(0.17, 0.13, 0.11),
                                 receivers: [Vec3(1.02, 0.76, 0.58)], threads: 1)
        let x = run.responses[0]
        let n = FFTSize.good(atLeast: 4 * x.count)
        let fft = RealFFT(size: n)
        var padded = [Float](repeating: 0, count: n)
        for i in x.indices { padded[i] = x[i] * Float(0.5 - 0.5 * cos(2 * .pi * Double(i) / Double(x.count))) }
        let spectrum = fft.forward(padded)
        let magnitude: [Double] = (0..<fft.binCount).map { b in
            let re = Double(spectrum[2 * b]), im = Double(spectrum[2 * b + 1])
            return log(re * re + im * im + 1e-30)
        }
        let binHz = 1 / (k * Double(n))
        for (mx, my, mz) in [(1, 0, 0), (0, 1, 0), (1, 1, 0), (0, 0, 1), (0, 1, 1)] {
            let sum: Double = pow(Double(mx) / 1.2, 2) + pow(Double(my) / 0.9, 2) + pow(Double(mz) / 0.7, 2)
            let f = c / 2 * sum.squareRoot()
            let centre = Int((f / binHz).rounded())
            let range = (centre - Int(2 / binHz))...(centre + Int(2 / binHz))
            let peak = range.max { magnitude[$0] < magnitude[$1] }!
            let (a, b, d) = (magnitude[peak - 1], magnitude[peak], magnitude[peak + 1])
            let measured = (Double(peak) + 0.5 * (a - d) / (a - 2 * b + d)) * binHz
            XCTAssertEqual(measured / f, 1, accuracy: 0.0025, "mode (\(mx), \(my), \(mz)) at \(f) Hz")
        }
    }
}
