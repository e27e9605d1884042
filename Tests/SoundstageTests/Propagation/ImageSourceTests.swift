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
        // Every kept leg is clear of the panel: no straight segment of a path crosses the box.
        let box = s.objects[0]
        for p in paths {
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
        let a = run(flat).rir, b = run(table).rir
        let peak = a.map { abs($0) }.max()!
        for i in a.indices { XCTAssertEqual(a[i], b[i], accuracy: 1e-5 * peak) }
    }
}
