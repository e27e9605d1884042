import XCTest
@testable import Soundstage

final class ImageSourceTests: XCTestCase {
    /// A room file with omni speakers; `surfaces` JSON, speaker and listener positions.
    func scene(room: String = #"{"shoebox": {"width": 6, "length": 4, "height": 3}}"#, surfaces: String = #"{"all": {"absorption": 0.2}}"#,
               speaker: [Double], listener: [Double], simulation: String = #"{"airAbsorption": false, "highpass": 0, "duration": 0.1}"#,
               objects: String = "[]") throws -> Scene {
        try RoomFile.parse("""
        {"room": \(room), "surfaces": \(surfaces), "objects": \(objects),
         "speakers": [{"name": "S", "position": \(speaker), "directivity": "omni"}],
         "listener": {"position": \(listener)}, "simulation": \(simulation)}
        """)
    }

    func run(_ s: Scene, threads: Int = 2, detail: Int = 3) -> ImageSourceRun {
        imageSources(s, plan: s.resolve(threads: threads, detailOrder: detail), speaker: 0)
    }

    func testDirectSoundFollowsTheGreensFunctionWithExactDelay() throws {
        // A 400 m cube: within 0.1 s only the direct sound arrives. Expected samples: the ideal
        // band-limited impulse sinc(n − t)/(4πr) at t = r/c·fs (SPEC §2: no added latency).
        let s = try scene(room: #"{"shoebox": {"width": 400, "length": 400, "height": 400}}"#,
                          speaker: [200, 202.345, 200], listener: [200, 200, 200.5],
                          simulation: #"{"airAbsorption": false, "highpass": 0, "duration": 0.1, "speedOfSound": 343}"#.replacingOccurrences(of: #", "speedOfSound": 343"#, with: ""))
        let r = run(s)
        XCTAssertEqual(r.imageCount, 1)
        let distance = s.speakers[0].position.distance(to: s.listener.position)
        let t = distance / s.air.speedOfSound * 48000
        let amplitude = 1 / (4 * Double.pi * distance)
        for n in (Int(t) - 3)...(Int(t) + 4) {
            let x = Double(n) - t
            let ideal = amplitude * sin(.pi * x) / (.pi * x)
            // The Hann window differs from 1 by < 0.3 % within ±4 samples of the centre.
            XCTAssertEqual(Double(r.rir[n]), ideal, accuracy: 0.004 * amplitude, "sample \(n)")
        }
        // The sum of the kernel is its DC gain: 1 for a windowed sinc (to 0.5 %).
        XCTAssertEqual(Double(r.rir.reduce(0, +)), amplitude, accuracy: 0.005 * amplitude)
    }

    func testTwoParallelWallsMatchClosedForm() throws {
        // Only the side walls reflect (β = 0.9); the others absorb α = 0.999999 (β = 0.001, −60 dB).
        // Images along x: X = 2nW ± x_s; order = number of side-wall hits; gain 0.9^order.
        let s = try scene(surfaces: #"{"all": {"absorption": 0.999999}, "left": {"absorption": 0.19}, "right": {"absorption": 0.19}}"#,
                          speaker: [1.3, 2.1, 1.4], listener: [4.1, 1.7, 1.6])
        let r = run(s, detail: 6)
        // Paths beyond the listed order (kept for the binaural early part) carry no surface list.
        let listed = r.paths.filter { $0.surfaces.count == $0.order }
        let sideOnly = listed.filter { $0.surfaces.allSatisfy { ["left", "right"].contains(s.surfaces[$0].name) } }
        var expected: [(distance: Double, order: Int)] = []
        for n in -4...4 { for q in 0...1 {
            let x = 2 * Double(n) * 6 + (q == 0 ? 1.3 : -1.3)
            let order = abs(n - q) + abs(n)
            let dx: Double = x - 4.1
            let distance: Double = (dx * dx + 0.16 + 0.04).squareRoot() // Δy = 0.4, Δz = 0.2
            if order <= 6 { expected.append((distance: distance, order: order)) }
        } }
        expected = expected.filter { $0.distance / s.air.speedOfSound < 0.1 }.sorted { $0.distance < $1.distance }
        XCTAssertEqual(sideOnly.count, expected.count)
        for (p, e) in zip(sideOnly, expected) {
            XCTAssertEqual(p.distance, e.distance, accuracy: 1e-9)
            XCTAssertEqual(p.order, e.order)
            XCTAssertEqual(p.delaySeconds, e.distance / s.air.speedOfSound, accuracy: 1e-12)
            XCTAssertEqual(p.bandGains[3], pow(0.9, Double(e.order)), accuracy: 1e-6)
        }
    }

    func testFirstOrderReflectionPointsObeySnellsLaw() throws {
        for room in [#"{"shoebox": {"width": 6, "length": 4, "height": 3}}"#,
                     #"{"floorPlan": {"points": [[0, 0], [6, 0], [6, 3.5], [3.5, 3.5], [3.5, 7], [0, 7]], "height": 2.7}}"#] {
            let s = try scene(room: room, speaker: [1.2, 2.5, 1.1], listener: [2.9, 1.3, 1.5])
            let first = run(s).paths.filter { $0.order == 1 }
            XCTAssertGreaterThanOrEqual(first.count, 5)
            for p in first {
                let surface = s.surfaces[p.surfaces[0]].polygon, point = p.reflectionPoints[0]
                XCTAssertEqual(surface.signedDistance(point), 0, accuracy: 1e-9)          // on the plane
                XCTAssertTrue(surface.containsProjection(of: point))                     // inside the wall
                let incoming = (point - s.speakers[0].position).normalized
                let outgoing = (s.listener.position - point).normalized
                // Angle of incidence = angle of reflection; both rays in the plane of incidence.
                XCTAssertEqual(-incoming.dot(surface.normal), outgoing.dot(surface.normal), accuracy: 1e-9)
                XCTAssertEqual(incoming.cross(outgoing).dot(surface.normal), 0, accuracy: 1e-9)
                XCTAssertEqual(p.distance, s.speakers[0].position.distance(to: point) + point.distance(to: s.listener.position), accuracy: 1e-9)
            }
        }
    }

    func testReciprocity() throws {
        // Omni source and receiver: swapping them gives the same RIR (air absorption and per-band walls included).
        let surfaces = #"{"all": "plaster", "floor": "carpet-on-pad", "left": "panel-50mm"}"#
        let sim = #"{"airAbsorption": true, "highpass": 10, "duration": 0.15}"#
        let a = run(try scene(surfaces: surfaces, speaker: [1.3, 2.1, 1.4], listener: [4.1, 1.7, 1.6], simulation: sim)).rir
        let b = run(try scene(surfaces: surfaces, speaker: [4.1, 1.7, 1.6], listener: [1.3, 2.1, 1.4], simulation: sim)).rir
        let peak = a.map { abs($0) }.max()!
        for i in a.indices { XCTAssertEqual(a[i], b[i], accuracy: 1e-5 * peak) } // float summation order only
    }

    func testMirrorSymmetry() throws {
        // The 6 m wide room is symmetric about x = 3: mirroring both positions mirrors every path.
        let a = run(try scene(speaker: [1.3, 2.1, 1.4], listener: [2.5, 1.2, 1.6])).paths
        let b = run(try scene(speaker: [4.7, 2.1, 1.4], listener: [3.5, 1.2, 1.6])).paths
        XCTAssertEqual(a.count, b.count)
        // Each path of one room has a twin in the mirrored room: same delay and elevation, azimuth negated.
        var unmatched = b
        for p in a {
            let twin = unmatched.firstIndex { q in
                abs(q.delaySeconds - p.delaySeconds) < 1e-12 && abs(q.azimuth + p.azimuth) < 1e-9 && abs(q.elevation - p.elevation) < 1e-9
                    && abs(q.bandGains[4] - p.bandGains[4]) < 1e-12
            }
            XCTAssertNotNil(twin, "no mirror twin for a path at \(p.delaySeconds) s, azimuth \(p.azimuth)°")
            if let twin { unmatched.remove(at: twin) }
        }
        XCTAssertTrue(unmatched.isEmpty)
    }

    func testRectangularFloorPlanMatchesShoeboxUpToOrderFive() throws {
        // The general (Borish) and the analytic (Allen–Berkley) engines check each other.
        let surfaces = #"{"all": "plaster", "floor": "carpet-on-pad", "right": "panel-50mm"}"#
        let planSurfaces = #"{"all": "plaster", "floor": "carpet-on-pad", "wall-2": "panel-50mm"}"# // wall-2 is x = 6
        let sim = #"{"airAbsorption": true, "highpass": 0, "duration": 0.06, "maxOrder": 5}"#
        let box = try scene(surfaces: surfaces, speaker: [1.31, 2.17, 1.43], listener: [4.13, 1.71, 1.62], simulation: sim)
        let plan = try scene(room: #"{"floorPlan": {"points": [[0, 0], [6, 0], [6, 4], [0, 4]], "height": 3}}"#,
                             surfaces: planSurfaces, speaker: [1.31, 2.17, 1.43], listener: [4.13, 1.71, 1.62], simulation: sim)
        let a = run(box, detail: 5), b = run(plan, detail: 5)
        XCTAssertTrue(a.usedShoebox)
        XCTAssertFalse(b.usedShoebox)
        XCTAssertEqual(a.paths.count, b.paths.count)
        XCTAssertGreaterThan(a.paths.count, 100)
        for (p, q) in zip(a.paths, b.paths) {
            XCTAssertEqual(p.delaySeconds, q.delaySeconds, accuracy: 1e-9)
            XCTAssertEqual(p.order, q.order)
            for band in 0..<8 { XCTAssertEqual(p.bandGains[band], q.bandGains[band], accuracy: 1e-6) }
        }
        let peak = a.rir.map { abs($0) }.max()!
        for i in a.rir.indices { XCTAssertEqual(a.rir[i], b.rir[i], accuracy: 1e-5 * peak) }
    }

    func testObjectBlocksTheDirectSoundAndTheFloorBounce() throws {
        let open = try scene(speaker: [1.0, 2.0, 1.2], listener: [5.0, 2.0, 1.2])
        XCTAssertTrue(run(open).paths.contains { $0.order == 0 })
        // A 2 m high panel at x = 3 between them: the direct path (z = 1.2) and the floor bounce
        // (through x = 3 at z = 0) cross it; the ceiling bounce (z ≈ 2.9 at x = 2.9) passes over it.
        let s = try scene(speaker: [1.0, 2.0, 1.2], listener: [5.0, 2.0, 1.2],
                          objects: #"[{"name": "panel", "box": {"min": [2.9, 1.0, 0], "max": [3.1, 3.0, 2.0]}, "material": "concrete"}]"#)
        let paths = run(s).paths
        XCTAssertFalse(paths.contains { $0.order == 0 })
        let firstOrder = Set(paths.filter { $0.order == 1 }.map { s.surfaces[$0.surfaces[0]].name })
        XCTAssertTrue(firstOrder.contains("ceiling"))
        XCTAssertFalse(firstOrder.contains("floor"))
        // No panel face sees both speaker and listener (they are on opposite sides): no panel bounce.
        XCTAssertFalse(firstOrder.contains("panel"))
        // Every listed leg is clear of the panel: no straight segment of a path crosses the box
        // (paths above the listed orders carry no reflection points).
        let box = s.objects[0]
        XCTAssertGreaterThan(paths.filter { $0.order <= 3 }.count, 20)
        for p in paths where p.order <= 3 {
            let legs = [s.speakers[0].position] + p.reflectionPoints + [s.listener.position]
            for (a, b) in zip(legs, legs.dropFirst()) {
                for k in 1..<100 { XCTAssertFalse(box.contains(a + (b - a) * (Double(k) / 100), margin: 1e-6)) }
            }
        }
    }

    func testOutputIsIdenticalForOneAndTwoThreads() throws {
        let s = try scene(surfaces: #"{"all": "plaster", "floor": "carpet-on-pad"}"#, speaker: [1.3, 2.1, 1.4], listener: [4.1, 1.7, 1.6],
                          simulation: #"{"duration": 0.2}"#)
        XCTAssertEqual(run(s, threads: 1).rir, run(s, threads: 2).rir)
        let l = try scene(room: #"{"floorPlan": {"points": [[0, 0], [6, 0], [6, 3.5], [3.5, 3.5], [3.5, 7], [0, 7]], "height": 2.7}}"#,
                          surfaces: #"{"all": "plaster"}"#, speaker: [1.2, 5.5, 1.1], listener: [4.9, 1.3, 1.5], simulation: #"{"duration": 0.1}"#)
        XCTAssertEqual(run(l, threads: 1).rir, run(l, threads: 2).rir)
        // The shoebox's images on the finer grid (each slot a shell of distance) too.
        var one = s.resolve(threads: 1), two = s.resolve(threads: 2)
        one.arrivalGrid = true; two.arrivalGrid = true
        XCTAssertEqual(imageSources(s, plan: one).rir, imageSources(s, plan: two).rir)
    }

    func testArrivalGridAgreesWithTheSampleRateKernel() throws {
        // The same images placed both ways — on the 2× grid with air absorption applied by path
        // length afterwards, and one by one through the 81-tap kernel with each image's own air
        // absorption: the same response below 0.9 × Nyquist (where both kernels are within 1.5·10⁻³
        // of the ideal delay), the same energy per band and 0.1-ms bin, the same late sums and paths.
        let s = try scene(surfaces: #"{"all": "plaster", "floor": "carpet-on-pad", "left": "panel-50mm"}"#,
                          speaker: [1.3, 2.1, 1.4], listener: [4.1, 1.7, 1.6],
                          simulation: #"{"airAbsorption": true, "highpass": 0, "duration": 0.25}"#)
        var gridPlan = s.resolve(threads: 2), kernelPlan = gridPlan
        gridPlan.arrivalGrid = true
        kernelPlan.arrivalGrid = false
        let grid = imageSources(s, plan: gridPlan), kernel = imageSources(s, plan: kernelPlan)
        XCTAssertGreaterThan(grid.imageCount, 20_000)
        XCTAssertEqual(grid.imageCount, kernel.imageCount)
        XCTAssertEqual(grid.paths.count, kernel.paths.count)
        for (p, q) in zip(grid.paths, kernel.paths) {
            XCTAssertEqual(p.delaySeconds, q.delaySeconds)
            for b in 0..<8 { XCTAssertEqual(p.bandGains[b], q.bandGains[b], accuracy: 1e-6 * max(1e-9, q.bandGains[b])) }
        }
        let n = grid.rir.count, fft = RealFFT(size: n)
        let a = fft.forward(grid.rir), b = fft.forward(kernel.rir)
        var error = 0.0, power = 0.0
        for k in 0...(n / 2) where Double(k) < 0.9 * Double(n / 2) {
            let dr = Double(a[2 * k] - b[2 * k]), di = Double(a[2 * k + 1] - b[2 * k + 1])
            error += dr * dr + di * di
            power += Double(b[2 * k] * b[2 * k] + b[2 * k + 1] * b[2 * k + 1])
        }
        XCTAssertLessThan((error / power).squareRoot(), 2e-3)
        for band in 0..<8 {
            let e = (0..<grid.result.energy.binCount).map { grid.result.energy.values[$0 * 8 + band] }
            let f = (0..<kernel.result.energy.binCount).map { kernel.result.energy.values[$0 * 8 + band] }
            XCTAssertEqual(e.reduce(0, +), f.reduce(0, +), accuracy: 1e-3 * f.reduce(0, +), "band \(band)")
            XCTAssertEqual(grid.lateEnergy[band], kernel.lateEnergy[band], accuracy: 1e-3 * kernel.lateEnergy[band])
            XCTAssertEqual(grid.lateLateralEnergy[band], kernel.lateLateralEnergy[band], accuracy: 1e-3 * kernel.lateLateralEnergy[band])
        }
    }

    func testBandSplittingSumsFlat() throws {
        // The weights sum to 1 at every frequency (±0.1 dB asked; exact here) …
        for f in stride(from: 0.0, through: 24000, by: 7.3) {
            let sum = (0..<8).reduce(0.0) { $0 + BandFilterBank.weight(band: $1, hertz: f) }
            XCTAssertEqual(sum, 1, accuracy: 1e-12)
        }
        // … so a path with the same gain in every band comes out as the broadband impulse: an omni
        // speaker (1-band synthesis) and a 0 dB table directivity (8-band synthesis) agree.
        let flat = try scene(speaker: [1.3, 2.1, 1.4], listener: [4.1, 1.7, 1.6])
        var table = flat
        table.speakers[0].directivity = .table(angles: [0, 180], attenuationDB: [BandValues(uniform: 0), BandValues(uniform: 0)])
        XCTAssertEqual(flat.synthesisBandCount(for: flat.speakers[0]), 1)
        XCTAssertEqual(table.synthesisBandCount(for: table.speakers[0]), 8)
        // Both through the same interpolator (one band or eight change which one pays, `ArrivalGrid.pays`).
        for useGrid in [false, true] {
            var p = flat.resolve(threads: 2, detailOrder: 3), q = table.resolve(threads: 2, detailOrder: 3)
            p.arrivalGrid = useGrid; q.arrivalGrid = useGrid
            let a = imageSources(flat, plan: p, speaker: 0).rir, b = imageSources(table, plan: q, speaker: 0).rir
            let peak = a.map { abs($0) }.max()!
            for i in a.indices { XCTAssertEqual(a[i], b[i], accuracy: 1e-5 * peak, "grid \(useGrid)") }
        }
    }

    func testShoeboxWallImagesWithObjectsMatchBorishUpToOrderFive() throws {
        // The walls' images at every order (Allen–Berkley with objects occluding, walked through
        // the mirrored lattice) against the general engine (Borish, each leg tested against every
        // face), for the paths that touch no object: the same set, up to order 5. A desk standing
        // on the floor between speaker and listener and a box hanging from nowhere block some.
        let objects = #"[{"name": "desk", "box": {"min": [2.2, 1.0, 0], "max": [3.4, 2.6, 0.8]}, "material": "wood-lining"},"#
            + #" {"name": "cube", "box": {"min": [4.6, 2.8, 1.9], "max": [5.2, 3.4, 2.5]}, "material": "concrete"}]"#
        let s = try scene(speaker: [1.2, 1.9, 1.1], listener: [4.3, 1.6, 1.2], objects: objects)
        let plain = try scene(speaker: [1.2, 1.9, 1.1], listener: [4.3, 1.6, 1.2])
        let reach = 40.0
        func shellImages(_ scene: Scene) -> [Double] {
            let engine = ShoeboxImageSources(scene: scene, speaker: scene.speakers[0], maxDistance: reach, maxOrder: 5, detailOrder: 0,
                                             bandCount: 1, withObjects: true)!
            var all = DistanceCollector(receiver: engine.receiver)
            engine.enumerate(shell: 0, of: 1, visitor: &all)
            // Shells of distance split the same images between them, each into exactly one.
            var split: [Double] = []
            for shell in 0..<3 {
                var part = DistanceCollector(receiver: engine.receiver)
                engine.enumerate(shell: shell, of: 3, visitor: &part)
                let (lo, hi) = (engine.shellBound(shell, of: 3).squareRoot(), engine.shellBound(shell + 1, of: 3).squareRoot())
                XCTAssertTrue(part.distances.allSatisfy { $0 >= lo && $0 < hi })
                split += part.distances
            }
            XCTAssertEqual(split.sorted(), all.distances.sorted())
            return all.distances.sorted()
        }
        let lattice = shellImages(s)
        var borish: [Double] = []
        PolyhedralImageSources(scene: s, speaker: s.speakers[0], maxDistance: reach, maxOrder: 5, bandCount: 1)
            .enumerate(slot: 0, slots: 1) { surfaces, _, distance, _, _ in
                if surfaces.allSatisfy({ s.surfaces[$0].objectName == nil }) { borish.append(distance) }
            }
        borish.sort()
        XCTAssertEqual(lattice.count, borish.count)
        for (a, b) in zip(lattice, borish) { XCTAssertEqual(a, b, accuracy: 1e-9) }
        // The objects do block: the empty room has more wall images, among them the floor bounce,
        // whose reflection point (2.68, 1.76, 0) lies under the desk.
        let open = shellImages(plain)
        XCTAssertGreaterThan(open.count, lattice.count + 20)
        let floorBounce = (s.listener.position - Vec3(1.2, 1.9, -1.1)).length
        XCTAssertTrue(open.contains { abs($0 - floorBounce) < 1e-9 })
        XCTAssertFalse(lattice.contains { abs($0 - floorBounce) < 1e-9 })
    }

    func testExpectedEnergyCarriesTheArrivalsEnergyInTheRIRsUnits() throws {
        // Each image's energy A² at its delay; weighted by what an octave filter passes of a flat
        // spectrum (Parseval: ≈ 2·0.707·f_c/48000 for an octave), it is the octave-filtered RIR's
        // energy up to the interference of arrivals, which averages out over thousands of them and
        // three listener positions. The direct sound's bin holds 1/(4πr)² (to Float precision: the
        // bins are summed in Float lanes).
        var errors: [Double] = []
        for listener in [[4.1, 1.7, 1.6], [3.2, 2.9, 1.1], [5.1, 0.8, 2.2]] {
            let s = try scene(surfaces: #"{"all": {"absorption": 0.1}}"#, speaker: [1.3, 2.1, 1.4], listener: listener,
                              simulation: #"{"airAbsorption": false, "highpass": 0, "duration": 0.3}"#)
            let r = run(s)
            let energy = r.result.energy
            let r0 = s.speakers[0].position.distance(to: s.listener.position)
            let directBin = Int(r0 / s.air.speedOfSound / EnergyResponse.binSeconds)
            XCTAssertEqual(energy.band(4)[directBin], pow(1 / (4 * Double.pi * r0), 2), accuracy: 1e-6 * pow(1 / (4 * Double.pi * r0), 2))
            XCTAssertGreaterThan(r.imageCount, 2000)
            for (band, centre) in [(4, 1000.0), (5, 2000.0)] {
                let filter = OctaveFilter(centreHertz: centre, sampleRate: 48000)
                let weight = EnergyResponse.bandWeight(filter, sampleRate: 48000, crossover: nil)
                XCTAssertEqual(weight, 2 * centre / 2.0.squareRoot() / 48000, accuracy: 0.05 * weight)
                let expected = weight * energy.band(band).reduce(0, +)
                let actual = filter.apply(r.rir).reduce(0.0) { $0 + Double($1) * Double($1) }
                errors.append(10 * log10(actual / expected))
            }
        }
        // At one position the early arrivals' interference moves a band's energy by ±1–2 dB (what
        // the expected response leaves out on purpose); the mean over positions and bands is exact.
        XCTAssertEqual(errors.reduce(0, +) / Double(errors.count), 0, accuracy: 0.3, "\(errors)")
        for e in errors { XCTAssertEqual(e, 0, accuracy: 2.5, "\(errors)") }
    }
}

/// Collects the distances of the images a `ShoeboxImageSources` enumeration visits.
struct DistanceCollector: ShoeboxImageVisitor {
    let receiver: Vec3
    var distances: [Double] = []
    mutating func visit(image: Vec3, emission: Vec3, order: Int, distanceSquared: Double, reflection: SIMD8<Float>) {
        let distance = distanceSquared.squareRoot()
        XCTAssertEqual(distance, image.distance(to: receiver), accuracy: 1e-9)
        distances.append(distance)
    }
}
