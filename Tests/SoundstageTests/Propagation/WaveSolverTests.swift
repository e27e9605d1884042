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
        // A room large enough that the first reflection (floor or ceiling) comes 8 ms after the direct sound.
        let s = try box(6, 5, 4, alpha: 0.5, speaker: [2.25, 2.5, 2], listener: [3.75, 2.5, 2])
        let plan = try XCTUnwrap(s.wavePlan(durationSeconds: 0.02))
        let grid = WaveGrid(scene: s, spacing: plan.spacing, crossover: plan.crossover)
        let c = s.air.speedOfSound
        let steps = Int(0.02 / plan.timeStep)
        let run = WaveSolver.run(grid: grid, speedOfSound: c, steps: steps, cutoff: plan.bandEdge, source: Vec3(2.25, 2.5, 2),
                                 receivers: [Vec3(3.75, 2.5, 2)], threads: 1)
        let x = run.responses[0]
        let r = 1.5
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
        XCTAssertTrue(grid.boundaryModels.allSatisfy { $0.conductance == 0 && $0.branches.isEmpty }) // α = 0: rigid
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
            print(String(format: "mode (%d, %d, %d): analytic %.2f Hz, FDTD %.2f Hz (%+.3f %%)", mx, my, mz, f, measured, (measured / f - 1) * 100))
        }
    }

    func testSwappingSourceAndReceiverGivesTheSameResponse() throws {
        // Reciprocity of the scheme (its update is symmetric in neighbouring nodes, sources and
        // receivers share trilinear weights), in an absorbing room with an object.
        let s = try RoomFile.parse("""
        {"room": {"shoebox": {"width": 2.2, "length": 1.8, "height": 1.4}}, "surfaces": {"all": {"absorption": 0.3}, "floor": {"absorption": 0.05}},
         "objects": [{"name": "box", "box": {"min": [0.9, 0.6, 0], "max": [1.3, 1.1, 0.5]}, "material": {"absorption": 0.6}}],
         "speakers": [{"name": "S", "position": [0.43, 0.37, 0.91], "directivity": "omni"}], "listener": {"position": [1.71, 1.29, 0.63]},
         "simulation": {"duration": 0.3, "highpass": 0}}
        """)
        let grid = WaveGrid(scene: s, spacing: 0.06, crossover: 200)
        let a = Vec3(0.43, 0.37, 0.91), b = Vec3(1.71, 1.29, 0.63)
        let steps = Int(0.15 / (grid.spacing / (343 * 3.0.squareRoot())))
        let forward = WaveSolver.run(grid: grid, speedOfSound: 343, steps: steps, cutoff: 500, source: a, receivers: [b], threads: 1).responses[0]
        let backward = WaveSolver.run(grid: grid, speedOfSound: 343, steps: steps, cutoff: 500, source: b, receivers: [a], threads: 2).responses[0]
        let peak = forward.map { abs($0) }.max()!
        XCTAssertGreaterThan(peak, 0)
        let worst = zip(forward, backward).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst / peak, 1e-4)
    }

    func testTheEarsKeepTheLowFrequencyITDOfASphere() throws {
        // A source at +30° (front-left) 2 m away in a large, absorbing room: the ear points' lag is
        // 3a/c·sin 30° (Kuhn 1977) with the head radius the HRTF set gives, within 10 %, and their
        // levels are equal (ILD ≈ 0 below 500 Hz).
        let hrtf = try HRTFSet(sampleRate: 48000)
        let a = hrtf.headRadius()
        XCTAssertEqual(a, 0.0875, accuracy: 0.02) // KEMAR's low-frequency ITD at 90° ≈ 0.7–0.8 ms
        let theta = 30.0 * .pi / 180
        let listener = Vec3(4, 3, 2), speaker = listener + Vec3(-sin(theta), cos(theta), 0) * 2
        let s = try RoomFile.parse("""
        {"room": {"shoebox": {"width": 8, "length": 7, "height": 4}}, "surfaces": {"all": {"absorption": 0.9}},
         "speakers": [{"name": "S", "position": [\(speaker.x), \(speaker.y), \(speaker.z)], "directivity": "omni"}],
         "listener": {"position": [4, 3, 2]}, "simulation": {"duration": 0.03, "highpass": 0, "airAbsorption": false,
         "wave": {"crossover": 250, "pointsPerWavelength": 8}}}
        """)
        let plan = try XCTUnwrap(s.wavePlan(durationSeconds: 0.03))
        let grid = WaveGrid(scene: s, spacing: plan.spacing, crossover: plan.crossover)
        let w = WaveSolver.respond(scene: s, speaker: 0, plan: plan, grid: grid, sampleRate: 48000, frames: 1440, headRadius: a, threads: 2)
        // The lag of the largest cross-correlation within ±1 ms, refined by a parabola; the window ends
        // before the first reflection (floor: 2 m below, > 6 ms later).
        let end = Int((2 / 343 + 0.004) * 48000)
        func xcorr(_ lag: Int) -> Double {
            (0..<end).reduce(0.0) { acc, i in i + lag >= 0 && i + lag < end ? acc + Double(w.left[i]) * Double(w.right[i + lag]) : acc }
        }
        let lags = Array(-48...48), values = lags.map(xcorr)
        let best = values.indices.max { values[$0] < values[$1] }!
        let (y0, y1, y2) = (values[best - 1], values[best], values[best + 1])
        let lag = (Double(lags[best]) + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)) / 48000
        XCTAssertEqual(lag, 3 * a / 343 * sin(theta), accuracy: 0.1 * 3 * a / 343 * sin(theta)) // + = the right ear later
        let el = w.left[0..<end].reduce(0.0) { $0 + Double($1 * $1) }, er = w.right[0..<end].reduce(0.0) { $0 + Double($1 * $1) }
        XCTAssertEqual(10 * log10(el / er), 0, accuracy: 0.5)
    }

    /// Energy of `x` (at `fs`) in the band [f·2^(−width/2), f·2^(width/2)] octaves, in dB.
    func bandLevel(_ spectrum: [Double], binHz: Double, centre f: Double, octaves width: Double) -> Double {
        let lowEdge: Double = f * pow(2, -width / 2) / binHz, highEdge: Double = f * pow(2, width / 2) / binHz
        let lo = Int(lowEdge.rounded()), hi = Int(highEdge.rounded())
        let e = (lo...max(lo, hi)).reduce(0.0) { $0 + spectrum[$1] }
        return 10 * log10(e / Double(max(1, hi - lo + 1)) + 1e-300)
    }

    func powerSpectrum(_ x: [Float], size n: Int) -> [Double] {
        let fft = RealFFT(size: n)
        let X = fft.forward(x)
        return (0..<fft.binCount).map { k -> Double in
            let re = Double(X[2 * k]), im = Double(X[2 * k + 1])
            return re * re + im * im
        }
    }

    func testTheWavePartMatchesExactImageSourcesAndTheJoinIsSeamless() throws {
        // A specular shoebox with small uniform absorption: the image-source response with every
        // image (Allen & Berkley) is the exact answer for angle-independent reflection. The wave
        // part (locally reacting walls with the same random-incidence α) follows it below the
        // crossover, and the joined response follows it across the crossover.
        func room(wave: String) throws -> Scene {
            try RoomFile.parse("""
            {"room": {"shoebox": {"width": 3.1, "length": 2.6, "height": 2.3}}, "surfaces": {"all": {"absorption": 0.15, "scattering": 0}},
             "speakers": [{"name": "S", "position": [0.7, 2.1, 1.3], "directivity": "omni"}], "listener": {"position": [2.2, 0.9, 1.1]},
             "simulation": {"sampleRate": 8000, "duration": 0.4, "rays": 0, "maxOrder": "auto", "airAbsorption": false, "wave": \(wave)}}
            """)
        }
        let crossover = 200.0
        let joined = try Simulator(scene: room(wave: #"{"crossover": 200, "pointsPerWavelength": 10}"#), options: SimulationOptions(threads: 2), binaural: false)
        let exact = try Simulator(scene: room(wave: "false"), options: SimulationOptions(threads: 2), binaural: false)
        let propagation = joined.propagate(speaker: 0)
        let wave = try XCTUnwrap(propagation.wave).omni
        let merged = joined.synthesize(propagation, speaker: 0, binaural: nil).rir.audio.channels[0]
        let reference = exact.synthesize(exact.propagate(speaker: 0), speaker: 0, binaural: nil).rir.audio.channels[0]
        let n = 8 * 8000, binHz = 8000.0 / Double(n)
        let (W, M, R) = (powerSpectrum(wave, size: n), powerSpectrum(merged, size: n), powerSpectrum(reference, size: n))
        // Below the crossover: 1/12-octave levels, 20 Hz … crossover, within 1 dB rms.
        var squares = 0.0, count = 0
        var f = 20.0
        while f <= crossover {
            let d = bandLevel(W, binHz: binHz, centre: f, octaves: 1.0 / 12) - bandLevel(R, binHz: binHz, centre: f, octaves: 1.0 / 12)
            squares += d * d; count += 1
            f *= pow(2, 1.0 / 24)
        }
        let rms = (squares / Double(count)).squareRoot()
        XCTAssertLessThan(rms, 1.0, "wave vs exact image sources, 1/12-octave rms difference 20–200 Hz")
        // Across the crossover: third-octave levels from 0.5 to 2 × the crossover within 1 dB.
        for centre in [100.0, 125, 160, 200, 250, 315, 400] {
            let d = bandLevel(M, binHz: binHz, centre: centre, octaves: 1.0 / 3) - bandLevel(R, binHz: binHz, centre: centre, octaves: 1.0 / 3)
            XCTAssertEqual(d, 0, accuracy: 1.0, "third octave at \(centre) Hz")
        }
        print(String(format: "wave vs exact image sources: %.2f dB rms (1/12 octave, 20–200 Hz)", rms))
    }

    func testParisAbsorptionOfARealImpedanceAndItsInverse() {
        // α_d = ∫₀^{π/2} α(θ) sin 2θ dθ with α(θ) = 4ζ cos θ/(ζ cos θ + 1)², integrated numerically
        // here (midpoint rule, 20 000 steps) against the closed form; the known maximum 0.951 at ζ ≈ 1.57.
        for z in [1.6, 2.0, 5.0, 20.0, 100.0] {
            let n = 20_000
            var integral = 0.0
            for i in 0..<n {
                let theta = (Double(i) + 0.5) / Double(n) * .pi / 2
                integral += 4 * z * cos(theta) / pow(z * cos(theta) + 1, 2) * sin(2 * theta)
            }
            integral *= .pi / 2 / Double(n)
            XCTAssertEqual(BoundaryAdmittance.parisAbsorption(impedance: z), integral, accuracy: 1e-6)
        }
        XCTAssertEqual(BoundaryAdmittance.maximumAbsorption, 0.951, accuracy: 0.001)
        for alpha in [0.01, 0.1, 0.3, 0.6, 0.9] {
            let beta = BoundaryAdmittance.admittance(absorption: alpha)
            XCTAssertEqual(BoundaryAdmittance.parisAbsorption(impedance: 1 / beta), alpha, accuracy: 1e-9)
        }
        XCTAssertEqual(BoundaryAdmittance.admittance(absorption: 0), 0)
    }

    // MARK: Frequency-dependent boundaries

    /// A porous absorber (α rising with frequency) and a panel absorber (α falling).
    static let porous = Material(name: "porous", absorption: BandValues([0.05, 0.15, 0.45, 0.8, 0.9, 0.9, 0.9, 0.9]), scattering: BandValues(uniform: 0))
    static let panel = Material(name: "panel", absorption: BandValues([0.4, 0.25, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05]), scattering: BandValues(uniform: 0))

    func testParisAbsorptionOfAComplexAdmittanceIsTheAngleAverage() {
        // α(θ) = 1 − |(cos θ − β)/(cos θ + β)|² averaged with weight sin 2θ (midpoint rule over θ,
        // 20 000 steps) — an independent route to the Simpson integral over cos θ the code uses.
        for b in [Complex(0.05, 0), Complex(0.2, 0.3), Complex(0.6, -0.4), Complex(0.01, 0.2)] {
            let n = 20_000
            var integral = 0.0
            for i in 0..<n {
                let t = (Double(i) + 0.5) / Double(n) * .pi / 2
                let r = (Complex(cos(t), 0) - b) / (Complex(cos(t), 0) + b)
                integral += (1 - r.magnitude * r.magnitude) * sin(2 * t)
            }
            integral *= .pi / 2 / Double(n)
            XCTAssertEqual(BoundaryAdmittance.parisAbsorption(admittance: b), integral, accuracy: 1e-5)
        }
        XCTAssertEqual(BoundaryAdmittance.parisAbsorption(admittance: Complex(0.3, 0)), BoundaryAdmittance.parisAbsorption(impedance: 1 / 0.3), accuracy: 1e-7)
    }

    func testFittedBoundariesAbsorbWhatTheMaterialSaysInEachWaveBand() {
        for m in [Self.porous, Self.panel] {
            let model = BoundaryModel.fit(m, crossover: 200)
            XCTAssertEqual(model.bandCentres.count, 3) // 63, 125, 250 Hz: centres up to 2 × 200 Hz
            XCTAssertFalse(model.branches.isEmpty, m.name)
            for (f, a) in zip(model.bandCentres, model.bandAbsorption) {
                XCTAssertEqual(model.absorption(at: f), a, accuracy: 0.02, "\(m.name) at \(f) Hz")
            }
            // Between the centres it stays between their values (no resonant spikes).
            for f in stride(from: 63.0, through: 250, by: 5) {
                let a = model.absorption(at: f)
                XCTAssertLessThan(a, model.bandAbsorption.max()! + 0.03, "\(m.name) at \(f) Hz")
                XCTAssertGreaterThan(a, model.bandAbsorption.min()! - 0.03, "\(m.name) at \(f) Hz")
            }
        }
        // Equal values: a plain conductance, exactly Paris' β.
        let flat = BoundaryModel.fit(Material(name: "flat", absorption: BandValues(uniform: 0.3), scattering: BandValues(uniform: 0)), crossover: 200)
        XCTAssertTrue(flat.branches.isEmpty)
        XCTAssertEqual(flat.conductance, BoundaryAdmittance.admittance(absorption: 0.3), accuracy: 1e-12)
    }

    func testDiscreteBoundariesArePassiveAndExactAtTheirResonances() {
        let k = 1 / 10_000.0
        for m in [Self.porous, Self.panel] {
            let model = BoundaryModel.fit(m, crossover: 200)
            let d = DiscreteBoundary(model, timeStep: k)
            func response(_ w: Double) -> Complex { // H(e^{jw}) = β₀ + Σ sections
                d.sections.reduce(Complex(d.conductance, 0)) { $0 + DiscreteBoundary.response($1, w) }
            }
            // Re H ≥ 0 round the unit circle: the boundary only takes energy.
            for i in 0...2000 { XCTAssertGreaterThanOrEqual(response(Double.pi * Double(i) / 2000).re, -1e-12) }
            // Each branch's digital response equals its analog one at its own ω₀ (pre-warped bilinear).
            for (b, section) in zip(model.branches, d.sections) {
                let h = DiscreteBoundary.response(section, 2 * .pi * b.frequency * k), a = b.admittance(2 * .pi * b.frequency)
                XCTAssertEqual(h.re, a.re, accuracy: 1e-9 * b.gain); XCTAssertEqual(h.im, a.im, accuracy: 1e-9 * b.gain)
            }
        }
    }

    func testADuctsEndReflectsWithTheBoundarysNormalIncidenceFactor() throws {
        // A 0.5 × 50 × 0.5 m rigid duct on a 10-cm grid whose front end is the panel absorber; a
        // source on the axis (it excites no odd cross mode, the first even one is at 686 Hz) 2 m from
        // the back end, a receiver at 30 m. The front end's reflections reach the receiver over 68 and
        // 72 m (after the incident sound over 28 and 32 m, before anything else at 128 m): their
        // spectrum over that of the same window with a rigid front end is R(ω) = (1 − β(jω))/(1 + β(jω))
        // at normal incidence, β the fitted admittance.
        func duct(front: String) throws -> Scene {
            try RoomFile.parse("""
            {"room": {"shoebox": {"width": 0.5, "length": 50, "height": 0.5}},
             "surfaces": {"all": {"absorption": 0, "scattering": 0}, "front": \(front)},
             "speakers": [{"name": "S", "position": [0.25, 2, 0.25], "directivity": "omni"}], "listener": {"position": [0.25, 30, 0.25]},
             "simulation": {"duration": 0.4, "airAbsorption": false, "highpass": 0, "wave": {"crossover": 200, "pointsPerWavelength": 8}}}
            """)
        }
        let panel = #"{"absorption": {"63": 0.4, "125": 0.25, "250": 0.1, "500": 0.05}, "scattering": 0}"#
        var spectra: [[Complex]] = []
        var k = 0.0
        var model = BoundaryModel.rigid
        for front in [panel, #"{"absorption": 0, "scattering": 0}"#] {
            let scene = try duct(front: front)
            let grid = WaveGrid(scene: scene, spacing: 0.1, crossover: 200)
            if front == panel { model = try XCTUnwrap(grid.boundaryModels.first { !$0.branches.isEmpty || $0.conductance > 0 }) }
            let c = scene.air.speedOfSound
            k = WaveField.timeStep(spacing: grid.spacing, speedOfSound: c)
            let run = WaveSolver.run(grid: grid, speedOfSound: scene.air.speedOfSound, steps: Int(0.33 / k), cutoff: 600,
                                     source: Vec3(0.25, 2, 0.25), receivers: [Vec3(0.25, 30, 0.25)], threads: 2)
            // Hann-tapered window over 40–110 m of path, zero-padded to 1 s.
            let a = Int(40 / c / k), b = Int(110 / c / k)
            let size = FFTSize.good(atLeast: Int(1 / k))
            var x = [Float](repeating: 0, count: size)
            for n in a..<b { x[n - a] = run.responses[0][n] * Float(0.5 - 0.5 * cos(2 * .pi * Double(n - a) / Double(b - a))) }
            let s = RealFFT(size: size).forward(x)
            spectra.append((0..<(size / 2)).map { Complex(Double(s[2 * $0]), Double(s[2 * $0 + 1])) })
            XCTAssertEqual(k, run.timeStep)
        }
        let size = 2 * spectra[0].count
        var worst = 0.0
        for f in stride(from: 30.0, through: 300, by: 10) {
            let bin = Int((f * Double(size) * k).rounded())
            let measured = spectra[0][bin] / spectra[1][bin]
            let beta = model.admittance(at: Double(bin) / (Double(size) * k))
            let expected = (Complex(1, 0) - beta) / (Complex(1, 0) + beta)
            worst = max(worst, (measured - expected).magnitude)
        }
        XCTAssertLessThan(worst, 0.02, "largest |R measured − R model| 30–300 Hz")
        print(String(format: "duct end: |R measured − R model| ≤ %.3f, 30–300 Hz", worst))
    }
}
