import XCTest
@testable import Soundstage

/// The ray tracer and the hybrid against physics: the image sources' exact specular energy, Eyring's
/// diffuse-field decay, energy conservation and the direct sound's 1/(4πr²).
final class RayTracerTests: XCTestCase {
    static let box = #"{"shoebox": {"width": 6.3, "length": 4.1, "height": 2.9}}"#

    func scene(room: String = box, absorption: Double, scattering: Double, speaker: [Double] = [1.9, 1.3, 1.55],
               listener: [Double] = [4.45, 2.75, 1.2], simulation: String) throws -> Scene {
        try RoomFile.parse("""
        {"room": \(room), "surfaces": {"all": {"absorption": \(absorption), "scattering": \(scattering)}},
         "speakers": [{"name": "S", "position": \(speaker), "directivity": "omni"}],
         "listener": {"position": \(listener)}, "simulation": \(simulation)}
        """)
    }

    /// Broadband EDT, T30 and C80 of a per-sample energy curve (ISO 3382-1, the analyzer's code).
    func parameters(_ energy: [Double], fs: Double = 48000) -> (edt: Double, t30: Double, c80: Double) {
        let peak = energy.max() ?? 0
        let onset = energy.firstIndex { $0 >= peak * 0.01 } ?? 0
        let p = ImpulseResponseAnalyzer.parameters(energy: energy, onset: onset, fs: fs)
        return (p.EDT.value ?? .nan, p.T30.value ?? .nan, p.C80.value ?? .nan)
    }

    /// The exact expected energy of every image source of a shoebox within `duration`, per sample:
    /// Σ Π β_w^{2k_w} / (16π² r²) at r/c, k_w reflections on wall w (Allen & Berkley's lattice,
    /// enumerated here independently; each wall's β² = 1 − α of its material's first band).
    func imageSourceEnergy(_ s: Scene, duration: Double, minimumOrder: Int = 0) -> [Double] {
        guard case .shoebox(let w, let l, let h) = s.shape else { fatalError() }
        let size = [w, l, h], src = s.speakers[0].position, rcv = s.listener.position
        let c = s.air.speedOfSound, fs = 48000.0, n = Int(duration * fs)
        func beta2(_ name: String) -> Double { 1 - s.surfaces.first { $0.name == name }!.material.absorption[0] }
        // Per axis: the wall at 0 and the wall at the room's size (x: left/right, y: back/front, z: floor/ceiling).
        let walls = [("left", "right"), ("back", "front"), ("floor", "ceiling")].map { (beta2($0.0), beta2($0.1)) }
        var energy = [Double](repeating: 0, count: n)
        let reach = c * duration
        let m = (0..<3).map { Int(reach / (2 * size[$0])) + 2 }
        /// Image coordinate, reflection factor and order along one axis for lattice index k, mirror q.
        func axis(_ a: Int, _ k: Int, _ q: Int, _ source: Double) -> (Double, Double, Int) {
            let atZero = abs(k - q), atSize = abs(k)
            return (2 * Double(k) * size[a] + (q == 0 ? source : -source),
                    pow(walls[a].0, Double(atZero)) * pow(walls[a].1, Double(atSize)), atZero + atSize)
        }
        for nx in -m[0]...m[0] { for qx in 0...1 {
            let (x, gx, kx) = axis(0, nx, qx, src.x)
            for ny in -m[1]...m[1] { for qy in 0...1 {
                let (y, gy, ky) = axis(1, ny, qy, src.y)
                for nz in -m[2]...m[2] { for qz in 0...1 {
                    let (z, gz, kz) = axis(2, nz, qz, src.z)
                    let r = Vec3(x, y, z).distance(to: rcv)
                    let i = Int((r / c * fs).rounded())
                    guard i < n, kx + ky + kz >= minimumOrder else { continue }
                    energy[i] += gx * gy * gz / (16 * .pi * .pi * r * r)
                } }
            } }
        } }
        return energy
    }

    func testSpecularShoeboxHybridMatchesTheFullOrderImageSources() throws {
        // No scattering, uniform α: image sources to order 3, specular rays above. The exact answer
        // is the full-order image-source response; the hybrid must give the same decay parameters.
        // (Positions avoid z_s + z_r = H and the like, where pairs of images coincide and add
        // coherently — up to +2 dB in a window — which no energy method reproduces. Diffraction is on,
        // as by default: a shoebox has no edge that diffracts (every joint is a concave right angle),
        // so the rays stay as specular as the full-order image sources.)
        let s = try scene(absorption: 0.25, scattering: 0, simulation: #"{"airAbsorption": false, "duration": 0.8, "maxOrder": 3, "rays": 20000}"#)
        XCTAssertFalse(RayTracer.Setup(scene: s, speakerIndex: 0, plan: s.resolve(threads: 1)).diffraction)
        var full = s
        full.simulation.maxOrder = .auto
        full.simulation.rays = .value(0)
        let h = parameters(hybridRIR(s, plan: s.resolve(threads: 2)).map { Double($0) * Double($0) })
        let e = parameters(hybridRIR(full, plan: full.resolve(threads: 2)).map { Double($0) * Double($0) })
        let energy = parameters(imageSourceEnergy(s, duration: 0.8))
        // Issue #4's tolerances: T30 and EDT within 5 %, C80 within 1 dB — against the coherent
        // full-order RIR and against its expected (incoherent) energy, which is what an energy
        // method estimates (the two differ by the interference of coincident images).
        for (label, reference) in [("RIR", e), ("energy", energy)] {
            XCTAssertEqual(h.t30, reference.t30, accuracy: 0.05 * reference.t30, "T30 vs full-order image-source \(label)")
            XCTAssertEqual(h.edt, reference.edt, accuracy: 0.05 * reference.edt, "EDT vs full-order image-source \(label)")
            XCTAssertEqual(h.c80, reference.c80, accuracy: 1, "C80 vs full-order image-source \(label)")
        }
    }
}


extension RayTracerTests {
    func testSpecularRoomWithUnevenAbsorptionDecaysAsItsImageSourcesNotAsEyring() throws {
        // Absorbing floor and ceiling, hard walls, no scattering: sound travelling nearly parallel
        // to the floor keeps hitting only the walls, so the late decay is far slower than Eyring's
        // diffuse-field formula predicts (the non-diffuse case; Kuttruff, Room Acoustics, chapter 5). The
        // exact answer is the image-source energy with each wall's own reflection factor; the hybrid
        // (image sources to order 3, specular rays above) must reproduce it, not Eyring.
        let s = try RoomFile.parse("""
        {"room": \(Self.box), "surfaces": {"floor": "absorbing", "ceiling": "ceiling", "walls": "hard"},
         "materials": {"absorbing": {"absorption": 0.5, "scattering": 0}, "ceiling": {"absorption": 0.4, "scattering": 0},
                       "hard": {"absorption": 0.1, "scattering": 0}},
         "speakers": [{"name": "S", "position": [1.9, 1.3, 1.55], "directivity": "omni"}],
         "listener": {"position": [4.45, 2.75, 1.2]},
         "simulation": {"airAbsorption": false, "duration": 1.1, "maxOrder": 3, "rays": 20000}}
        """)
        let hybrid = parameters(hybridRIR(s, plan: s.resolve(threads: 2)).map { Double($0) * Double($0) })
        let exact = parameters(imageSourceEnergy(s, duration: 1.1))
        let mean = s.surfaces.reduce(0.0) { $0 + $1.polygon.area * $1.material.absorption[0] } / s.surfaceArea
        let eyring = 0.161 * s.volume / (-s.surfaceArea * log(1 - mean))
        XCTAssertGreaterThan(exact.t30, 1.4 * eyring, "the room is far from diffuse (otherwise the test shows nothing)")
        // Fitzroy's estimate, made for such rooms, lies nearer the exact decay than Eyring's; with one
        // absorption everywhere it is Eyring's.
        let fitzroy = s.statisticalRT60().fitzroy[0]
        XCTAssertLessThan(abs(fitzroy - exact.t30), abs(eyring - exact.t30))
        let uniform = try scene(absorption: 0.25, scattering: 0, simulation: #"{"airAbsorption": false}"#).statisticalRT60()
        XCTAssertEqual(uniform.fitzroy[3], uniform.eyring[3], accuracy: 1e-12)
        XCTAssertEqual(hybrid.t30, exact.t30, accuracy: 0.05 * exact.t30, "T30 vs the exact image-source energy")
        XCTAssertEqual(hybrid.edt, exact.edt, accuracy: 0.05 * exact.edt, "EDT vs the exact image-source energy")
        XCTAssertEqual(hybrid.c80, exact.c80, accuracy: 1, "C80 vs the exact image-source energy")
    }
}

extension RayTracerTests {
    /// Energy in [from, to) seconds of a per-sample energy curve.
    func windowEnergy(_ e: [Double], from: Double, to: Double, fs: Double = 48000) -> Double {
        (Int(from * fs)..<min(e.count, Int(to * fs))).reduce(0.0) { $0 + e[$1] }
    }

    func testAShoeboxBeyondItsImageBudgetHandsTheWallsHigherOrdersToTheRays() throws {
        // "auto" order computes every wall image within the duration unless there are more than the
        // budget; then the lattice stops at the order that holds it and the rays carry the rest. The
        // decay must still be the exact full-order image-source energy's (as with an explicit order).
        let s = try scene(absorption: 0.25, scattering: 0, simulation: #"{"airAbsorption": false, "duration": 0.8, "rays": 20000}"#)
        let plan = s.resolve(threads: 2, shellImageBudget: 3000)
        // Octahedral numbers: 2 625 images of order ≤ 12, 3 303 of order ≤ 13.
        XCTAssertEqual(plan.shellOrder, 12)
        XCTAssertEqual(plan.maxOrder, 12)
        XCTAssertEqual(Scene.shellImages(order: 12), 2625)
        XCTAssertEqual(s.resolve(threads: 2).shellOrder, Int.max, "0.8 s in 75 m³: about 2.8e5 images, within the default budget")
        let result = ImageSourceEngine.run(scene: s, speakerIndex: 0, plan: plan)
        XCTAssertLessThanOrEqual(result.imageCount, 2625)
        let h = parameters(hybridRIR(s, plan: plan).map { Double($0) * Double($0) })
        let exact = parameters(imageSourceEnergy(s, duration: 0.8))
        XCTAssertEqual(h.t30, exact.t30, accuracy: 0.05 * exact.t30, "T30")
        XCTAssertEqual(h.edt, exact.edt, accuracy: 0.05 * exact.edt, "EDT")
        XCTAssertEqual(h.c80, exact.c80, accuracy: 1, "C80")
    }

    func testEnergyTimeCurveIsContinuousAcrossTheTransitionOrder() throws {
        // The hybrid hands over from image sources (order ≤ 3) to rays (order ≥ 4) around the
        // first fourth-order arrival. In 10-ms windows from 10 to 60 ms, its energy must follow the
        // exact image-source energy within 1 dB (issue #4: no step > 1 dB). Purely specular on both
        // sides (diffraction off), as in the test above.
        let s = try scene(absorption: 0.25, scattering: 0, simulation: #"{"airAbsorption": false, "duration": 0.3, "maxOrder": 3, "rays": 20000, "diffraction": false}"#)
        let hybrid = hybridRIR(s, plan: s.resolve(threads: 2)).map { Double($0) * Double($0) }
        let exact = imageSourceEnergy(s, duration: 0.3)
        for start in stride(from: 0.01, to: 0.06, by: 0.01) {
            let db = 10 * log10(windowEnergy(hybrid, from: start, to: start + 0.01) / windowEnergy(exact, from: start, to: start + 0.01))
            XCTAssertEqual(db, 0, accuracy: 1, String(format: "window at %.0f ms", start * 1000))
        }
        // The field alone against the exact energy of orders ≥ 4 (what the rays must carry).
        let field = HybridSimulator.run(scene: s, speakerIndex: 0, plan: s.resolve(threads: 2)).rays!.field
        let higher = imageSourceEnergy(s, duration: 0.3, minimumOrder: 4)
        for start in stride(from: 0.03, to: 0.15, by: 0.02) {
            let bins = Int(start * 1000)..<Int((start + 0.02) * 1000)
            let traced = bins.reduce(0.0) { $0 + field.energy(band: 0, bin: $1) }
            let db = 10 * log10(traced / windowEnergy(higher, from: start, to: start + 0.02))
            // 20k rays, receiver sphere ≈ 0.4 m: ≈ 1000 crossings per 20-ms window, ±0.2 dB (2σ).
            XCTAssertEqual(db, 0, accuracy: 0.5, String(format: "rays vs order ≥ 4 image sources at %.0f ms", start * 1000))
        }
    }

    func testDiffuseRoomDecaysAtKuttruffsRateWithThePathLengthVariance() throws {
        // Scattering 1 everywhere: a diffuse field. Its decay departs from Eyring's by the spread of
        // the free path lengths: −ln(1 − α) becomes −ln(1 − α)·(1 + ½ γ² ln(1 − α)), γ² the relative
        // variance of the path lengths between reflections (Kuttruff, Room Acoustics, ch. 5, on
        // diffuse decay with a spread of free path lengths). γ² is computed here, independently
        // of the ray tracer, from 200 000 chords of the box: a uniform point on its surface, a
        // cosine-distributed direction (Lambert), the distance to the opposite wall; the mean must be
        // 4V/S (the mean free path of a diffuse field, Kuttruff, Room Acoustics, ch. 4), which checks the sampling.
        let s = try scene(absorption: 0.2, scattering: 1, simulation: #"{"airAbsorption": false, "duration": 0.9, "rays": 20000}"#)
        let size = [6.3, 4.1, 2.9]
        var rng = SplitMix64Generator(seed: 17)
        let faces = [(0, size[1] * size[2]), (1, size[0] * size[2]), (2, size[0] * size[1])] // normal axis, area
        let total = faces.reduce(0.0) { $0 + $1.1 }
        var sum = 0.0, sum2 = 0.0
        let n = 200_000
        for _ in 0..<n {
            // A face with probability ∝ area (either of the pair), a point on it, a Lambert direction.
            var u = rng.nextDouble() * total, axis = 0
            for f in faces { if u < f.1 { axis = f.0; break }; u -= f.1 }
            var p = (0..<3).map { rng.nextDouble() * size[$0] }
            let high = rng.nextDouble() < 0.5
            p[axis] = high ? size[axis] : 0
            let r = rng.nextDouble().squareRoot(), phi = 2 * Double.pi * rng.nextDouble()
            var d = [0.0, 0.0, 0.0]
            let (a1, a2) = ((axis + 1) % 3, (axis + 2) % 3)
            d[a1] = r * cos(phi); d[a2] = r * sin(phi); d[axis] = (1 - r * r).squareRoot() * (high ? -1 : 1)
            let t = (0..<3).map { i -> Double in
                d[i] > 1e-12 ? (size[i] - p[i]) / d[i] : (d[i] < -1e-12 ? -p[i] / d[i] : .infinity)
            }.min()!
            sum += t; sum2 += t * t
        }
        let mean = sum / Double(n), gamma2 = (sum2 / Double(n)) / (mean * mean) - 1
        XCTAssertEqual(mean, 4 * s.volume / s.surfaceArea, accuracy: 0.005 * mean)
        let l = log(1 - 0.2), k = 24 * log(10.0) * s.volume / (s.air.speedOfSound * s.surfaceArea)
        let kuttruff = k / (-l * (1 + gamma2 / 2 * l)), eyring = k / -l
        let rir = hybridRIR(s, plan: s.resolve(threads: 2))
        let t30 = parameters(rir.map { Double($0) * Double($0) }).t30
        print(String(format: "diffuse box: γ² %.3f, T30 %.3f s, Kuttruff %.3f s, Eyring %.3f s", gamma2, t30, kuttruff, eyring))
        XCTAssertEqual(t30, kuttruff, accuracy: 0.04 * kuttruff)
    }

    func testDiffuseRoomWithAnAbsorbingFloorFollowsKuttruffNotEyring() throws {
        // Every wall scatters fully, but the absorption sits on the floor (0.8; 0.05 elsewhere).
        // Eyring's formula only knows the mean absorption; Kuttruff's formula for diffusely
        // reflecting rooms with unevenly distributed absorption adds
        // ln(1 + Σ ρₙ(ρₙ − ρ̄)Sₙ² / ((ρ̄S)² − Σ ρₙ²Sₙ²)) to −ln ρ̄ (ρ = 1 − α per wall; Kuttruff,
        // Room Acoustics, chapter 5): 0.381 s here against Eyring's 0.427 s. The hybrid must follow Kuttruff.
        let s = try RoomFile.parse("""
        {"room": \(Self.box), "surfaces": {"floor": {"absorption": 0.8, "scattering": 1}, "all": {"absorption": 0.05, "scattering": 1}},
         "speakers": [{"name": "S", "position": [1.9, 1.3, 1.55], "directivity": "omni"}],
         "listener": {"position": [4.45, 2.75, 1.2]}, "simulation": {"airAbsorption": false, "duration": 0.9, "rays": 20000}}
        """)
        var walls: [String: (area: Double, rho: Double)] = [:]
        for f in s.surfaces { walls[f.name, default: (0, 1 - f.material.absorption[0])].area += f.polygon.area }
        let area = s.surfaceArea, mean = walls.values.reduce(0.0) { $0 + $1.area * $1.rho } / area
        let numerator = walls.values.reduce(0.0) { $0 + $1.rho * ($1.rho - mean) * $1.area * $1.area }
        let denominator = mean * area * mean * area - walls.values.reduce(0.0) { $0 + $1.rho * $1.rho * $1.area * $1.area }
        let c = s.air.speedOfSound, k = 24 * log(10.0) * s.volume / (c * area)
        let eyring = k / -log(mean), kuttruff = k / (-log(mean) + log(1 + numerator / denominator))
        XCTAssertLessThan(kuttruff, 0.92 * eyring, "the two formulas must differ for the test to mean anything")
        let rir = hybridRIR(s, plan: s.resolve(threads: 2))
        let t30 = parameters(rir.map { Double($0) * Double($0) }).t30
        XCTAssertEqual(t30, kuttruff, accuracy: 0.05 * kuttruff)
    }

    func testLosslessRoomKeepsEveryRaysEnergy() throws {
        // α = 0: no ray loses energy, so once the field is mixed (scattering 0.5) the energy density
        // is the emitted energy over the volume everywhere. Our unit source emits 1/(4π) (its direct
        // sound has energy 1/(16π²r²)), so each 1-ms bin must hold c·Δt/(4π·V) (fluence rate w·c
        // over 4π). Holds only if rain, sphere and every reflection conserve energy — diffraction
        // scattering (on here: the image sources stop at order 0) included. A small receiver sphere
        // (0.2 m) keeps the rain's cross-section estimate and the sphere's volume estimate of the
        // fluence alike (they differ by O((R/d)²)).
        let s = try scene(absorption: 0, scattering: 0.5, simulation: #"{"airAbsorption": false, "duration": 0.4, "maxOrder": 0, "rays": 40000, "receiverRadius": 0.2}"#)
        let field = RayTracer.run(scene: s, speakerIndex: 0, plan: s.resolve(threads: 2)).field
        let expected = s.air.speedOfSound * 0.001 / (4 * .pi * s.volume)
        // Uniform scattering: every band carries the same rays; their mean.
        func energy(_ bins: Range<Int>) -> Double {
            FrequencyBands.octaves.indices.reduce(0.0) { sum, b in sum + bins.reduce(0.0) { $0 + field.energy(band: b, bin: $1) } }
                / Double(FrequencyBands.octaves.count)
        }
        XCTAssertEqual(energy(150..<400) / 250 / expected, 1, accuracy: 0.03, "mean bin energy 150–400 ms vs c·Δt/(4πV)")
        // Early and late halves equal: nothing is lost over time (within 3 %).
        XCTAssertEqual(energy(275..<400) / energy(150..<275), 1, accuracy: 0.03)
    }

    func testAnotherPassIsAnIndependentEstimateOfTheSameField() throws {
        // Pass 1 draws other rays than pass 0 (its own lattice turn and streams), and each — and so
        // their mean (`RayPasses.mean`) — must read c·Δt/(4πV) per bin in a lossless room; the mean's
        // batches still sum to its field.
        let s = try scene(absorption: 0, scattering: 0.5, simulation: #"{"airAbsorption": false, "duration": 0.4, "maxOrder": 0, "rays": 20000, "receiverRadius": 0.2}"#)
        let plan = s.resolve(threads: 2)
        let first = RayTracer.run(scene: s, speakerIndex: 0, plan: plan)
        let second = RayTracer.run(scene: s, speakerIndex: 0, plan: plan, pass: 1)
        let mean = RayPasses.mean(first, weight: 1, second)
        let expected = s.air.speedOfSound * 0.001 / (4 * .pi * s.volume)
        func energy(_ field: EnergyField) -> Double {
            FrequencyBands.octaves.indices.reduce(0.0) { sum, b in sum + (150..<400).reduce(0.0) { $0 + field.energy(band: b, bin: $1) } }
                / Double(FrequencyBands.octaves.count) / 250
        }
        XCTAssertNotEqual(energy(first.field), energy(second.field), "the passes must trace different rays")
        for (name, result) in [("pass 0", first), ("pass 1", second), ("mean", mean)] {
            XCTAssertEqual(energy(result.field) / expected, 1, accuracy: 0.03, name)
        }
        XCTAssertEqual(mean.rays, 40000)
        var sum = mean.batches[0]
        for batch in mean.batches.dropFirst() { sum.add(batch) }
        XCTAssertEqual(energy(sum) / energy(mean.field), 1, accuracy: 1e-5)
    }

    func testAutoRaysAddPassesUntilTheNoiseIsSmall() throws {
        // Too few rays for a stable T30 (2 000 in a room with one absorbing floor): the hybrid must
        // trace every pass it may, and the scatter of T30 at 1 kHz over eight seeds must fall about
        // as 1/√4 with four passes (measured across seeds, not from the run's own error bar, which
        // is what the passes are for). With passes allowed, the result is still bit-identical for
        // any thread count.
        func room(seed: Int) throws -> Scene {
            try RoomFile.parse("""
            {"room": {"shoebox": {"width": 6, "length": 5, "height": 3}},
             "surfaces": {"all": {"absorption": 0.05, "scattering": 0.2}, "floor": {"absorption": 0.7, "scattering": 0.2}},
             "speakers": [{"name": "S", "position": [1.5, 1.2, 1.3], "directivity": "omni"}],
             "listener": {"position": [4.1, 3.3, 1.2]},
             "simulation": {"airAbsorption": false, "duration": 0.8, "maxOrder": 2, "rays": 2000, "seed": \(seed)}}
            """)
        }
        let band = FrequencyBands.octaves.labels.firstIndex(of: "1k")!
        func t30(_ response: SpeakerResponse) throws -> Double {
            try XCTUnwrap(ImpulseResponseAnalyzer.parameters(energy: response.imageSources.energy.band(band), onset: 0,
                                                             fs: 1 / EnergyResponse.binSeconds, noiseless: true).T30.value)
        }
        func deviation(_ x: [Double]) -> Double {
            let mean = x.reduce(0, +) / Double(x.count)
            return (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1)).squareRoot()
        }
        var one: [Double] = [], four: [Double] = []
        for seed in 1...8 {
            let s = try room(seed: seed)
            var plan = s.resolve(threads: 2)
            XCTAssertEqual(plan.rayPasses, 1, "a ray count from the room file is traced as given")
            one.append(try t30(HybridSimulator.run(scene: s, speakerIndex: 0, plan: plan)))
            plan.rayPasses = 4
            let response = HybridSimulator.run(scene: s, speakerIndex: 0, plan: plan)
            XCTAssertEqual(response.rays!.rays, 8000, "2 000 rays cannot reach decision grade: every pass")
            four.append(try t30(response))
            if seed == 1 {
                plan.threads = 1
                let serial = HybridSimulator.run(scene: s, speakerIndex: 0, plan: plan)
                XCTAssertEqual(serial.imageSources.energy.band(3), response.imageSources.energy.band(3))
            }
        }
        let ratio = deviation(four) / deviation(one)
        XCTAssertLessThan(ratio, 0.75, "σ(T30) over seeds with four passes vs one: \(ratio) (1/√4 = 0.5 expected)")
        XCTAssertGreaterThan(ratio, 0.25)
    }

    func testAutoRaysStopOncePrecise() throws {
        // A diffuse room (even absorption, scattering 0.5) with 40 000 rays: one pass already holds
        // every parameter's σ within the targets, so only the second pass that checks it is traced,
        // however many are allowed.
        let s = try scene(absorption: 0.15, scattering: 0.5, simulation: #"{"airAbsorption": false, "duration": 0.8, "maxOrder": 2, "rays": 40000}"#)
        var plan = s.resolve(threads: 2)
        plan.rayPasses = RayPasses.maximum
        let response = HybridSimulator.run(scene: s, speakerIndex: 0, plan: plan)
        XCTAssertEqual(response.rays!.rays, 40000 * RayPasses.minimum)
    }

    func testPassesThatDisagreeOrAreNoisyAreNotDecisionGrade() throws {
        // One precise pass (its half-samples put every σ within the targets): two passes that agree
        // with it are decision grade; two whose T30 at 1 kHz differ by 8 % are not (σ 4 % from the
        // passes' scatter, beyond the 1.5 % target, whatever their half-samples say); two that
        // agree but each carry a T30 σ of 5 % are not either (σ of their mean 5 %/√2 = 3.5 %).
        let s = try scene(absorption: 0.15, scattering: 0.5, simulation: #"{"airAbsorption": false, "duration": 0.8, "maxOrder": 2, "rays": 40000}"#)
        let plan = s.resolve(threads: 2)
        let specular = ImageSourceEngine.run(scene: s.specularPart, speakerIndex: 0, plan: plan).energy
        let traced = RayTracer.run(scene: s, speakerIndex: 0, plan: plan)
        let onset = Int(s.speakers[0].position.distance(to: s.listener.position) / s.air.speedOfSound / EnergyResponse.binSeconds)
        let pass = RayPasses.PassRecord(specular: specular, pass: traced, onsetBin: onset)
        XCTAssertEqual(pass.values.count, 20, "EDT, T30, C80, C50 in five octaves")
        XCTAssertTrue(RayPasses.isDecisionGrade(mean: pass.values, passes: [pass]), "one precise pass")
        XCTAssertTrue(RayPasses.isDecisionGrade(mean: pass.values, passes: [pass, pass]))
        let t30 = 2 * 4 + 1        // 1 kHz is the third octave checked, T30 the second parameter
        let value = try XCTUnwrap(pass.values[t30])
        func shifted(_ factor: Double) -> RayPasses.PassRecord {
            var p = pass
            p.values[t30] = value * factor
            return p
        }
        XCTAssertFalse(RayPasses.isDecisionGrade(mean: pass.values, passes: [shifted(0.96), shifted(1.04)]))
        XCTAssertTrue(RayPasses.isDecisionGrade(mean: pass.values, passes: [shifted(0.995), shifted(1.005)]))
        var noisy = pass
        noisy.variances[t30] = (0.05 * value) * (0.05 * value)
        XCTAssertFalse(RayPasses.isDecisionGrade(mean: pass.values, passes: [noisy, noisy]))
        XCTAssertTrue(RayPasses.isDecisionGrade(mean: pass.values, passes: Array(repeating: noisy, count: 16)), "5 %/√16 = 1.25 %")
    }

    func testAutoRaysTakeOnlyThePassesTheWorkBudgetHolds() throws {
        // 64 speakers (the most a room file takes) over 10 s in a 60 m³ room: the most passes of the
        // auto ray count would be beyond the reflection budget, so auto takes fewer — and the
        // estimate of what it may trace stays within the budget (`WorkEstimate`), as one speaker's
        // most passes do.
        let speakers = (0..<64).map { i in #"{"name": "S\#(i)", "position": [\#(0.5 + Double(i % 10) * 0.3), \#(0.5 + Double(i / 10) * 0.3), 1.1], "directivity": "omni"}"# }
        func room(_ speakers: [String]) throws -> Scene {
            try RoomFile.parse("""
                {"room": {"shoebox": {"width": 5, "length": 5, "height": 2.4}}, "surfaces": {"all": "plaster"},
                 "speakers": [\(speakers.joined(separator: ", "))], "listener": {"position": [4.2, 4.3, 1.2]},
                 "simulation": {"duration": 10}}
                """)
        }
        let many = try room(speakers), one = try room([speakers[0]])
        let planMany = many.resolve(threads: 2), planOne = one.resolve(threads: 2)
        XCTAssertEqual(planOne.rayPasses, RayPasses.maximum)
        XCTAssertLessThan(planMany.rayPasses, RayPasses.maximum)
        XCTAssertGreaterThanOrEqual(planMany.rayPasses, 1)
        XCTAssertEqual(planMany.rays, planOne.rays, "the passes shrink, not the rays per pass")
        for (scene, plan) in [(many, planMany), (one, planOne)] {
            XCTAssertNoThrow(try WorkEstimate(scene: scene, plan: plan).check(scene: scene, plan: plan))
            XCTAssertLessThanOrEqual(WorkEstimate(scene: scene, plan: plan).reflections, WorkEstimate.reflectionBudget)
        }
    }

    func testReceiverSphereReachingThroughAWallCountsItsAirVolume() throws {
        // The listening-area sphere (1 m here) around a listener 0.3 m from a wall reaches 0.7 m
        // through it: its air volume is the sphere less a cap of height h = 0.7 m,
        // 4πR³/3 − πh²(3R − h)/3 (the cap's volume), 28 % less than the whole sphere. A lossless,
        // mixed room must still read c·Δt/(4πV) per 1-ms bin — with the whole sphere's volume it
        // would read 28 % low.
        let s = try scene(absorption: 0, scattering: 0.5, listener: [4.45, 0.3, 1.45],
                          simulation: #"{"airAbsorption": false, "duration": 0.4, "maxOrder": 0, "rays": 40000, "receiverRadius": 1.0}"#)
        let r = 1.0, h = 0.7
        let air = 4.0 / 3 * .pi * r * r * r - .pi * h * h * (3 * r - h) / 3
        XCTAssertEqual(s.receiverAirVolume(radius: r) / air, 1, accuracy: 0.015)
        // Entirely in air: the whole sphere, exactly.
        XCTAssertEqual(s.receiverAirVolume(radius: 0.25), 4.0 / 3 * .pi * 0.25 * 0.25 * 0.25, accuracy: 1e-12)
        let field = RayTracer.run(scene: s, speakerIndex: 0, plan: s.resolve(threads: 2)).field
        let expected = s.air.speedOfSound * 0.001 / (4 * .pi * s.volume)
        let energy = FrequencyBands.octaves.indices.reduce(0.0) { sum, b in sum + (150..<400).reduce(0.0) { $0 + field.energy(band: b, bin: $1) } }
            / Double(FrequencyBands.octaves.count)
        XCTAssertEqual(energy / 250 / expected, 1, accuracy: 0.04)
    }

    func testReceiverAirVolumeLeavesOutObjects() throws {
        // A 1-m sphere whose centre is 0.4 m above a box's top that covers the sphere's whole
        // footprint: the air part is the sphere less the cap of height 0.6 m below the top face.
        let s = try RoomFile.parse("""
            {"room": {"shoebox": {"width": 8, "length": 8, "height": 4}}, "surfaces": {"all": "concrete"},
             "objects": [{"name": "stage", "box": {"min": [1, 1, 0], "max": [7, 7, 1.1]}, "material": "concrete"}],
             "speakers": [{"name": "S", "position": [2, 6, 2], "directivity": "omni"}],
             "listener": {"position": [4, 4, 1.5]}}
            """)
        let r = 1.0, h = 0.6
        let air = 4.0 / 3 * .pi * r * r * r - .pi * h * h * (3 * r - h) / 3
        XCTAssertEqual(s.receiverAirVolume(radius: r) / air, 1, accuracy: 0.015)
    }

    func testBandsWhoseScatteringDiffersEachKeepTheirEnergy() throws {
        // One ray carries every band (hero-band sampling), so a band whose scattering differs from the
        // hero's is carried with a weight. In a lossless room each band's energy density must still be
        // c·Δt/(4πV), band by band, however its scattering differs from the others' (0.02 … 0.98
        // here, and an L-shaped room whose inner corner diffracts, which makes the low bands scatter
        // more on top).
        let s = try RoomFile.parse("""
            {"room": {"floorPlan": {"points": [[0, 0], [6, 0], [6, 3], [3, 3], [3, 6], [0, 6]], "height": 2.8}},
             "surfaces": {"all": {"absorption": 0, "scattering": {"63": 0.98, "125": 0.02, "250": 0.6, "500": 0.05, "1k": 0.3, "2k": 0.9, "4k": 0.1, "8k": 0.5}}},
             "speakers": [{"name": "S", "position": [1.2, 4.5, 1.3], "directivity": "omni"}],
             "listener": {"position": [4.6, 1.4, 1.5]},
             "simulation": {"airAbsorption": false, "duration": 0.4, "maxOrder": 0, "rays": 40000, "receiverRadius": 0.25}}
            """)
        let field = RayTracer.run(scene: s, speakerIndex: 0, plan: s.resolve(threads: 2)).field
        let volume = 6 * 6 * 2.8 - 3 * 3 * 2.8
        XCTAssertEqual(s.volume, volume, accuracy: 1e-9)
        let expected = s.air.speedOfSound * 0.001 / (4 * .pi * volume)
        for b in FrequencyBands.octaves.indices {
            let energy = (150..<400).reduce(0.0) { $0 + field.energy(band: b, bin: $1) }
            XCTAssertEqual(energy / 250 / expected, 1, accuracy: 0.05, "band \(FrequencyBands.octaves.labels[b])")
        }
    }

    func testReceiverSphereSeesTheDirectSoundsInverseSquareLaw() throws {
        // Rays alone (transition order −1 counts the direct sound too) in a nearly anechoic room
        // (α = 0.99): the direct sound's detected energy must be 1/(16π²r²), at r/c.
        for distance in [1.5, 3.0] {
            let s = try scene(room: #"{"shoebox": {"width": 20, "length": 20, "height": 20}}"#, absorption: 0.99, scattering: 0,
                              speaker: [10, 10 + distance, 10], listener: [10, 10, 10], simulation: #"{"airAbsorption": false, "duration": 0.05, "rays": 50000, "receiverRadius": 0.3}"#)
            var plan = s.resolve(threads: 2)
            plan.maxOrder = -1
            let field = RayTracer.run(scene: s, speakerIndex: 0, plan: plan).field
            let arrival = Int(distance / s.air.speedOfSound * 1000)
            let detected = ((arrival - 2)...(arrival + 2)).reduce(0.0) { $0 + field.energy(band: 0, bin: $1) }
            let expected = 1 / (16 * Double.pi * Double.pi * distance * distance)
            // 50k rays through a 0.3-m sphere at 3 m: ≈ 125 crossings of a stratified lattice.
            XCTAssertEqual(detected / expected, 1, accuracy: 0.05, "r = \(distance) m")
        }
    }

    func testSameSeedIsBitIdenticalForAnyThreadCount() throws {
        let s = try scene(room: #"{"floorPlan": {"points": [[0, 0], [6, 0], [6, 3.5], [3.5, 3.5], [3.5, 7], [0, 7]], "height": 2.7}}"#,
                          absorption: 0.2, scattering: 0.3, speaker: [1.2, 5.5, 1.1], listener: [4.9, 1.3, 1.5],
                          simulation: #"{"duration": 0.3, "rays": 3000, "seed": 5}"#)
        let one = hybridRIR(s, plan: s.resolve(threads: 1))
        let two = hybridRIR(s, plan: s.resolve(threads: 2))
        let again = hybridRIR(s, plan: s.resolve(threads: 2))
        XCTAssertEqual(one, two)
        XCTAssertEqual(two, again)
        var other = s
        other.simulation.seed = 6
        XCTAssertNotEqual(hybridRIR(other, plan: other.resolve(threads: 2)), one)
    }

    func testHybridKeepsTheImageSourcesEarlyPathsWithTheirSpecularShare() throws {
        // L-shaped room: the hybrid's direct path and first reflections are the image-source stage's
        // paths (same delays and directions); each reflection keeps √((1−α)(1−s)) instead of √(1−α).
        let room = #"{"floorPlan": {"points": [[0, 0], [6, 0], [6, 3.5], [3.5, 3.5], [3.5, 7], [0, 7]], "height": 2.7}}"#
        let s = try scene(room: room, absorption: 0.2, scattering: 0.3, speaker: [1.2, 5.5, 1.1], listener: [1.9, 1.3, 1.5],
                          simulation: #"{"airAbsorption": false, "duration": 0.1, "maxOrder": 2, "rays": 2000}"#)
        var alone = s
        alone.simulation.rays = .value(0)
        let hybrid = HybridSimulator.run(scene: s, speakerIndex: 0, plan: s.resolve(threads: 2)).imageSources.paths.filter { $0.order <= 2 }
        let images = imageSources(alone, plan: alone.resolve(threads: 2), speaker: 0).paths.filter { $0.order <= 2 }
        XCTAssertEqual(hybrid.count, images.count)
        XCTAssertGreaterThan(images.count, 10)
        for (h, i) in zip(hybrid, images) {
            XCTAssertEqual(h.surfaces, i.surfaces)
            XCTAssertEqual(h.delaySeconds, i.delaySeconds, accuracy: 1e-12)
            XCTAssertEqual(h.azimuth, i.azimuth, accuracy: 1e-9)
            let ratio = pow((1 - 0.3), Double(h.order) / 2)
            // Gains pass through Float in the shading: 1e-6 relative.
            XCTAssertEqual(h.bandGains[3], i.bandGains[3] * ratio, accuracy: 1e-6 * i.bandGains[3])
        }
    }

    func testTailEnergyPerBinFollowsTheField() throws {
        // The Poisson arrivals of each 1-ms bin share the bin's (smoothed) energy exactly; summed
        // over the bins they hold the field's total energy (band by band, within 1 %).
        let s = try scene(absorption: 0.2, scattering: 0.5, simulation: #"{"duration": 0.5, "rays": 5000}"#)
        let field = RayTracer.run(scene: s, speakerIndex: 0, plan: s.resolve(threads: 2)).field
        let tail = ReverbTail.synthesize(field: field, volume: s.volume, speedOfSound: s.air.speedOfSound, seed: 1, speakerIndex: 0)
        for b in [0, 3, 7] {
            let total = (0..<field.binCount).reduce(0.0) { $0 + field.energy(band: b, bin: $1) }
            let synthesized = tail.arrivals.reduce(0.0) { $0 + Double($1.amplitudes[b]) * Double($1.amplitudes[b]) }
            XCTAssertEqual(synthesized / total, 1, accuracy: 0.01, "band \(b)")
        }
        // Density: late bins hold the maximum density (20 000/s → ≈ 20 arrivals per ms).
        let late = tail.arrivals.filter { $0.delaySeconds >= 0.3 && $0.delaySeconds < 0.4 }.count
        XCTAssertEqual(Double(late), 2000, accuracy: 200)
    }
}

extension RayTracerTests {
    func testDiffractionFactorFollowsRindelsFiniteReflector() throws {
        // A free-standing 1 m × 1 m panel (a 1 × 0.05 × 1 m box in a room) seen from a* = 2 m at normal
        // incidence: f_x = c·a*/(2x²) = c Hz for each side, so K = (f/c)² below c and 1 above (Rindel
        // 1986); at 60° incidence (cos θ = ½) the sides shrink to ½ m and f_x = 4c. The room's walls,
        // joined at concave corners, do not diffract.
        let s = try RoomFile.parse("""
        {"room": {"shoebox": {"width": 4, "length": 5, "height": 3}}, "surfaces": {"all": {"absorption": 0.1, "scattering": 0}},
         "objects": [{"name": "panel", "box": {"min": [1.5, 2.5, 1], "max": [2.5, 2.55, 2]}}],
         "speakers": [{"name": "S", "position": [1, 1, 1.2]}], "listener": {"position": [3, 4, 1.2]},
         "simulation": {"maxOrder": 2, "rays": 100}}
        """)
        let setup = RayTracer.Setup(scene: s, speakerIndex: 0, plan: s.resolve(threads: 1))
        XCTAssertTrue(setup.diffraction)
        let face = try XCTUnwrap(s.surfaces.indices.first { s.surfaces[$0].name == "panel" && abs(s.surfaces[$0].polygon.normal.y) > 0.9 })
        XCTAssertTrue(setup.surfaces[face].diffracts)
        XCTAssertEqual(setup.surfaces[face].width, 1, accuracy: 1e-9)
        XCTAssertEqual(setup.surfaces[face].length, 1, accuracy: 1e-9)
        XCTAssertFalse(s.surfaces.indices.filter { s.surfaces[$0].name != "panel" }.contains { setup.surfaces[$0].diffracts })
        let c = s.air.speedOfSound
        for (cosine, cutoff) in [(1.0, c), (0.5, 4 * c)] {
            let k = setup.diffractionFactor(setup.surfaces + face, incidence: 2, cosine: cosine)
            for (b, f) in FrequencyBands.octaves.centres.enumerated() {
                XCTAssertEqual(Double(k[b]), min(1, f / cutoff) * min(1, f / cutoff), accuracy: 1e-5, "band \(b), cos θ \(cosine)")
            }
        }
    }
}

extension RayTracerTests {
    func testSplittingKeepsTheExpectedEnergy() throws {
        // A ray split into k copies carrying 1/k of its energy each, continuing independently, has
        // the same expected contribution (splitting, as in Monte Carlo transport's weight
        // windows): only the variance changes. With an absorbing floor and scattering surfaces
        // (a few rays that keep missing the floor carry the late decay: the case splitting is
        // for), 20 000 rays split wherever a ray is above half the reference must give the field
        // of 80 000 rays traced without splitting, in 80-ms windows to 260 ms, within 0.5 dB (the
        // reference's own scatter is ≈ 0.2 dB there); the default rule must split in this room.
        var s = try RoomFile.parse("""
        {"room": \(RayTracerTests.box), "surfaces": {"walls": {"absorption": 0.05, "scattering": 0.5},
         "ceiling": {"absorption": 0.05, "scattering": 0.5}, "floor": {"absorption": 0.7, "scattering": 0.5}},
         "speakers": [{"name": "S", "position": [1.9, 1.3, 1.55], "directivity": "omni"}],
         "listener": {"position": [4.45, 2.75, 1.2]}, "simulation": {"airAbsorption": false, "duration": 0.3, "rays": 20000}}
        """)
        let split = RayTracer.run(scene: s, speakerIndex: 0, plan: s.resolve(threads: 2), progress: nil, splitting: (excess: -1, budget: 31))
        let standard = RayTracer.run(scene: s, speakerIndex: 0, plan: s.resolve(threads: 2))
        s.simulation.rays = .value(80_000)
        let reference = RayTracer.run(scene: s, speakerIndex: 0, plan: s.resolve(threads: 2), progress: nil, splitting: (excess: 0, budget: 0))
        XCTAssertGreaterThan(split.splitRays, 20000)
        XCTAssertGreaterThan(standard.splitRays, 0, "the default rule splits in this room")
        XCTAssertEqual(reference.splitRays, 0)
        for start in stride(from: 0.02, to: 0.26, by: 0.08) {
            let bins = Int(start * 1000)..<Int((start + 0.08) * 1000)
            func energy(_ r: RayTracingResult) -> Double { bins.reduce(0.0) { $0 + r.field.energy(band: 3, bin: $1) } }
            XCTAssertEqual(10 * log10(energy(split) / energy(reference)), 0, accuracy: 0.5, String(format: "split at %.0f ms", start * 1000))
        }
    }
}

extension RayTracerTests {
    func testHybridFollowsTheImageSourcesExpectedEnergyInEveryBand() throws {
        // Three specular shoeboxes (different sizes, aspect ratios and α), eight random source and
        // receiver positions each: the hybrid's per-octave T30, EDT and C80 (image sources to order 3,
        // rays above) against the exact expected energy of every image source (incoherent: what an
        // energy method estimates; with one α for every band it is the same in every band). Averaged
        // over the positions: T30 within 5 % from 250 Hz to 4 kHz and C80 within 1 dB from 500 Hz
        // (issue #18's bounds); EDT within 10 % from 500 Hz — the first reflections are coherent in the
        // hybrid (image sources) but not in the reference, and their interference averages out slowly.
        // (Against the coherent full-order image-source RIR of each point, the hybrid's T30 reads 6–9 %
        // short at 500 Hz and 16–26 % at 250 Hz, averaged the same way: the interference of one point's
        // images, which no energy method models, and not a bias of the hybrid.)
        let rooms: [(size: [Double], alpha: Double, duration: Double)] = [([6.3, 4.1, 2.9], 0.2, 0.7), ([9.7, 7.3, 3.4], 0.3, 0.7), ([4.0, 11.0, 2.6], 0.12, 1.2)]
        var rng = SplitMix64Generator(seed: 5)
        let bands = ["250", "500", "1k", "2k", "4k"]
        for room in rooms {
            var t30 = [Double](repeating: 0, count: bands.count), edt = t30, c80 = t30
            let positions = 8
            for _ in 0..<positions {
                func point(_ z: Double) -> [Double] { [0.6 + rng.nextDouble() * (room.size[0] - 1.2), 0.6 + rng.nextDouble() * (room.size[1] - 1.2), z] }
                let box = String(format: #"{"shoebox": {"width": %.1f, "length": %.1f, "height": %.1f}}"#, room.size[0], room.size[1], room.size[2])
                let s = try scene(room: box, absorption: room.alpha, scattering: 0, speaker: point(1.2 + 0.3 * rng.nextDouble()),
                                  listener: point(1.0 + 0.4 * rng.nextDouble()),
                                  simulation: #"{"airAbsorption": false, "duration": \#(room.duration), "maxOrder": 3, "rays": 20000, "wave": false}"#)
                let hybrid = ImpulseResponseAnalyzer.analyze(AudioBuffer(sampleRate: 48000, channels: [hybridRIR(s, plan: s.resolve(threads: 2))]))
                let exact = parameters(imageSourceEnergy(s, duration: room.duration))
                for (i, b) in bands.enumerated() {
                    t30[i] += (hybrid.bands[b]!.T30.value! / exact.t30 - 1) / Double(positions)
                    edt[i] += (hybrid.bands[b]!.EDT.value! / exact.edt - 1) / Double(positions)
                    c80[i] += (hybrid.bands[b]!.C80.value! - exact.c80) / Double(positions)
                }
            }
            for (i, b) in bands.enumerated() {
                XCTAssertEqual(t30[i], 0, accuracy: 0.05, "T30 \(b) Hz, room \(room.size)")
                if i >= 1 {
                    XCTAssertEqual(c80[i], 0, accuracy: 1, "C80 \(b) Hz, room \(room.size)")
                    XCTAssertEqual(edt[i], 0, accuracy: 0.1, "EDT \(b) Hz, room \(room.size)")
                }
            }
            print("room \(room.size) α \(room.alpha), hybrid − exact expected energy, 250 Hz–4 kHz: T30 % " + t30.map { String(format: "%+.1f", $0 * 100) }.joined(separator: " ")
                  + ", EDT % " + edt.map { String(format: "%+.1f", $0 * 100) }.joined(separator: " ") + ", C80 dB " + c80.map { String(format: "%+.2f", $0) }.joined(separator: " "))
        }
    }
}
