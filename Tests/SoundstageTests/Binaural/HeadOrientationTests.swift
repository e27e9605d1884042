import CMySofa
import XCTest
@testable import Soundstage

/// Head-tracked BRIR sets: turned heads, the wave part's ear ring and the AES69 file.
final class HeadOrientationTests: XCTestCase {
    static let hrtf = BinauralSynthesisTests.hrtf
    static let field = BinauralSynthesisTests.field

    func scene(speakers: [[Double]], listener: [Double], yaw: Double = 0, pitch: Double = 0, absorption: Double = 0.3,
               room: String = #"{"shoebox": {"width": 6, "length": 5, "height": 3}}"#, simulation: String = #""rays": 0, "duration": 0.06"#) throws -> Scene {
        let list = speakers.enumerated().map { #"{"name": "S\#($0.offset)", "position": \#($0.element), "directivity": "omni"}"# }
        return try RoomFile.parse("""
        {"room": \(room), "surfaces": {"all": {"absorption": \(absorption)}}, "speakers": [\(list.joined(separator: ", "))],
         "listener": {"position": \(listener), "yaw": \(yaw), "pitch": \(pitch)},
         "simulation": {"airAbsorption": false, "highpass": 0, \(simulation)}}
        """)
    }

    func renders(_ s: Scene, _ orientations: [HeadOrientation]) -> [AudioBuffer] {
        let plan = s.resolve(threads: 2)
        let r = imageSources(s, plan: plan)
        return BinauralSynthesizer.render(scene: s, speakerIndex: 0, plan: plan, paths: r.paths, omni: r.rir, hrtf: Self.hrtf,
                                          field: Self.field, orientations: orientations)
    }

    /// A head turned by (yaw, pitch) on top of the room file's listener hears what a listener given
    /// that yaw and pitch in the room file hears: the two routes to the arrival directions (rotating
    /// the head frame's directions, or computing them in the turned frame) agree.
    func testATurnedHeadHearsWhatTheRoomFilesTurnedListenerHears() throws {
        let speaker = [1.8, 4.0, 1.3], seat = [3.0, 1.6, 1.2]
        for (yaw, pitch) in [(40.0, 0.0), (-75.0, 0.0), (20.0, 15.0), (0.0, -20.0)] {
            let turned = renders(try scene(speakers: [speaker], listener: seat), [HeadOrientation(yawDegrees: yaw, pitchDegrees: pitch)])[0]
            let fromFile = renders(try scene(speakers: [speaker], listener: seat, yaw: yaw, pitch: pitch), [.straight])[0]
            let peak = fromFile.channels.flatMap { $0 }.map { abs($0) }.max()!
            for ear in 0..<2 {
                let error = zip(turned.channels[ear], fromFile.channels[ear]).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(error, 1e-4 * peak, "yaw \(yaw), pitch \(pitch), ear \(ear)")
            }
        }
    }

    /// Free field, a speaker at azimuth +30°: facing it (yaw 30°) the interaural time difference
    /// vanishes, and turning θ either side of it gives ITDs of equal size and opposite sign (the KEMAR
    /// set is mirror-symmetric); at yaw 0 the left ear leads by ≈ 0.26 ms.
    func testITDVanishesFacingTheSpeakerAndMirrorsAroundIt() throws {
        let a = radians(30.0)
        let s = try scene(speakers: [[200 - 2 * sin(a), 200 + 2 * cos(a), 200]], listener: [200, 200, 200], absorption: 0.5,
                          room: #"{"shoebox": {"width": 400, "length": 400, "height": 400}}"#, simulation: #""rays": 0, "duration": 0.05"#)
        let yaws: [Double] = [0, 30, 10, 50, -10, 70]
        let itd = renders(s, yaws.map { HeadOrientation(yawDegrees: $0) }).map { ImpulseResponseAnalyzer.analyze($0).binaural!.ITD.value! }
        XCTAssertGreaterThan(itd[0], 240)
        XCTAssertLessThan(abs(itd[1]), 25, "facing the speaker")
        for (less, more) in [(2, 3), (4, 5)] {
            XCTAssertGreaterThan(itd[less], 50, "yaw \(yaws[less]): the speaker is still to the left")
            XCTAssertEqual(itd[less], -itd[more], accuracy: 25, "yaw \(yaws[less]) vs \(yaws[more])")
        }
    }

    /// The ring's trigonometric interpolation against an analytic field: a band-limited plane-wave
    /// pulse (300 Hz) crossing a circle of radius 0.13 m from azimuth 70°, sampled at the 16 nodes,
    /// read at turned ears between nodes; and at a node, the node itself.
    func testEarRingInterpolatesAPlaneWave() {
        let n = WaveResponse.ringNodes, fs = 48000.0, r = 0.13, c = 343.0, frames = 2400
        let arrival = radians(70.0)
        // Node φ sits at left·cos φ + back·sin φ; with left = +y, back = −x in a frame whose forward is +x.
        func signal(_ phi: Double) -> [Float] {
            let x = -r * sin(phi), y = r * cos(phi)
            let lead = (x * cos(arrival) + y * sin(arrival)) / c // the wave comes from `arrival`
            return (0..<frames).map { i in
                let t = Double(i) / fs - 0.025 + lead
                return Float(t == 0 ? 1 : sin(2 * .pi * 300 * t) / (2 * .pi * 300 * t) * exp(-t * t / (2 * 0.004 * 0.004)))
            }
        }
        let ring = (0..<n).map { signal(2 * .pi * Double($0) / Double(n)) }
        for yaw in [7.0, 33.3, -101.0, 168.0] {
            let psi = radians(yaw)
            for (ear, phi) in [(0, psi), (1, psi + .pi)] {
                let got = WaveResponse.ringValue(ring, angle: phi), exact = signal(phi)
                let error = zip(got, exact).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(error, 1e-4, "yaw \(yaw), ear \(ear)")
            }
        }
        XCTAssertEqual(WaveResponse.ringValue(ring, angle: .pi / 2), ring[4])
    }

    /// The wave solver itself: its responses at the 16 ring points, interpolated to ears turned 37°,
    /// against its responses recorded at those two points (the field between the nodes is what the
    /// interpolation assumes it is).
    func testEarRingMatchesTheSolverAtTurnedEars() throws {
        let s = try scene(speakers: [[1.1, 3.2, 1.4]], listener: [2.2, 1.7, 1.2], room: #"{"shoebox": {"width": 3.6, "length": 4.2, "height": 2.5}}"#)
        let grid = WaveGrid(scene: s, spacing: 0.1, crossover: 200)
        let r = 1.5 * 0.0875, centre = s.listener.position
        let left = Vec3(-1, 0, 0), back = Vec3(0, -1, 0) // a listener facing +y
        func point(_ phi: Double) -> Vec3 { centre + left * (r * cos(phi)) + back * (r * sin(phi)) }
        let n = WaveResponse.ringNodes, psi = radians(37.0)
        let receivers = (0..<n).map { point(2 * .pi * Double($0) / Double(n)) } + [point(psi), point(psi + .pi)]
        let run = WaveSolver.run(grid: grid, speedOfSound: s.air.speedOfSound, steps: 1500, cutoff: 260, source: s.speakers[0].position,
                                 receivers: receivers, threads: 2)
        let ring = Array(run.responses[0..<n])
        let peak = run.responses[n].map { abs($0) }.max()!
        for (ear, phi) in [(0, psi), (1, psi + .pi)] {
            let error = zip(WaveResponse.ringValue(ring, angle: phi), run.responses[n + ear]).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(error, 0.01 * peak, "ear \(ear)")
        }
    }

    /// Orientation 0 of a head-tracked set is the BRIR `Simulator.run` makes, to the bit, wave part
    /// and rays included; other orientations differ.
    func testStraightOrientationIsTheSimulatedBRIR() throws {
        let s = try scene(speakers: [[1.2, 3.9, 1.2], [4.6, 3.9, 1.2]], listener: [2.9, 1.7, 1.2],
                          simulation: #""rays": 1500, "duration": 0.15, "wave": {"crossover": 150}"#)
        let simulator = try Simulator(scene: s)
        let binaural = try simulator.loadHRTF()!
        let simulated = try simulator.run(binaural: binaural)
        XCTAssertNotNil(simulated.speakers[0].propagation.wave, "the wave part ran")
        let turned = simulator.headOrientationBRIRs([HeadOrientation(yawDegrees: 20), .straight], binaural: binaural)
        for (i, speaker) in simulated.speakers.enumerated() {
            XCTAssertEqual(turned[i][1].channels, speaker.brir!.audio.channels, "speaker \(i)")
            XCTAssertNotEqual(turned[i][0].channels, speaker.brir!.audio.channels)
        }
    }

    /// The AES69 file read back by the library's reader (libnetcdf) and by libmysofa's own HDF5
    /// reader: the convention's mandatory attributes, the dimensions, every sample, the head
    /// orientations as ListenerView, the speakers as emitters.
    func testSOFAFileReadsBackThroughTwoReaders() throws {
        let s = try scene(speakers: [[1.2, 3.9, 1.2], [4.6, 3.9, 1.2]], listener: [2.9, 1.7, 1.2])
        let orientations = HeadOrientation.grid(yaw: try AngleRange(parsing: "-30:30:30"), pitch: try AngleRange(parsing: "0:10:10"))
        XCTAssertEqual(orientations.count, 6)
        let simulator = try Simulator(scene: s)
        let binaural = try simulator.loadHRTF()!
        let responses = simulator.headOrientationBRIRs(orientations, binaural: binaural)
        let set = MultiSpeakerBRIRSet(scene: simulator.scene, sampleRate: 48000, orientations: orientations, headRadius: binaural.headRadius,
                                      responses: responses, comment: "test")
        let path = TestPaths.temporaryFolder().appendingPathComponent("brirs.sofa").path
        try SOFAFile.write(set, to: path)

        let read = try SOFAFile.readMultiSpeakerBRIR(path: path)
        // AES69-2020 Annex, MultiSpeakerBRIR 0.3: the mandatory global attributes.
        for name in ["Conventions", "Version", "SOFAConventions", "SOFAConventionsVersion", "APIName", "APIVersion", "AuthorContact",
                     "Comment", "DataType", "License", "Organization", "RoomType", "DateCreated", "DateModified", "Title",
                     "DatabaseName", "ListenerShortName"] {
            XCTAssertFalse((read.globals[name] ?? "").isEmpty, name)
        }
        XCTAssertEqual(read.globals["Conventions"], "SOFA")
        XCTAssertEqual(read.globals["SOFAConventions"], "MultiSpeakerBRIR")
        XCTAssertEqual(read.globals["DataType"], "FIRE")
        XCTAssertEqual(read.dimensions, ["M": 6, "R": 2, "E": 2, "N": set.frames, "C": 3, "I": 1])
        XCTAssertEqual(read.sampleRate, 48000)
        for m in 0..<6 {
            for e in 0..<2 {
                for r in 0..<2 { XCTAssertEqual(read.response(measurement: m, receiver: r, emitter: e), responses[e][m].channels[r].map(Double.init)) }
            }
        }
        // Yaw 30° (+ = left) of a listener facing +y looks toward −x; pitch 10° lifts it.
        let view = read.listenerViews[5], expected = Vec3(-sin(radians(30.0)) * cos(radians(10.0)), cos(radians(30.0)) * cos(radians(10.0)), sin(radians(10.0)))
        XCTAssertLessThan((view - expected).length, 1e-12)
        XCTAssertEqual(read.emitterPositions, s.speakers.map(\.position))
        XCTAssertEqual(read.receiverPositions[0].y, binaural.headRadius)

        var err: Int32 = 0
        let loaded = try XCTUnwrap(mysofa_load(path, &err))
        defer { mysofa_free(loaded) }
        XCTAssertEqual(Int(err), Int(MYSOFA_OK))
        XCTAssertEqual([loaded.pointee.M, loaded.pointee.R, loaded.pointee.E, loaded.pointee.N], [6, 2, 2, UInt32(set.frames)])
        XCTAssertEqual(Int(loaded.pointee.DataIR.elements), read.ir.count)
        let values = UnsafeBufferPointer(start: loaded.pointee.DataIR.values, count: read.ir.count)
        XCTAssertEqual(values.map(Double.init), read.ir.map { Double(Float($0)) })
    }

    /// `export --format sofa` end to end: the file, its summary line, and refused angle ranges.
    func testExportSOFACommand() throws {
        let folder = TestPaths.temporaryFolder()
        let roomPath = folder.appendingPathComponent("small.json").path
        try """
        {"name": "small", "room": {"shoebox": {"width": 4, "length": 5, "height": 2.6}}, "surfaces": {"all": "plaster"},
         "speakers": [{"name": "L", "position": [1.4, 4, 1.2]}, {"name": "R", "position": [2.6, 4, 1.2]}],
         "listener": {"position": [2, 2, 1.2]}, "simulation": {"rays": 300, "duration": 0.1, "wave": false}}
        """.write(toFile: roomPath, atomically: true, encoding: .utf8)
        let run = try runSoundstage(["export", roomPath, "--format", "sofa", "--yaw", "-20:20:20", "--out-dir", folder.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("3 head orientations × 2 speakers"), run.stdout)
        let read = try SOFAFile.readMultiSpeakerBRIR(path: folder.appendingPathComponent("small/brirs.sofa").path)
        XCTAssertEqual(read.dimensions["M"], 3)
        XCTAssertEqual(read.dimensions["N"], 4800)
        for (arguments, message) in [(["--yaw", "20:-20:5"], "--yaw: TO (-20.0) is below FROM (20.0)"), (["--pitch", "0:100:10"], "--pitch"),
                                     (["--yaw", "a:b"], "--yaw: 'a:b' is not FROM:TO:STEP"),
                                     (["--convention", "SimpleBRIR"], "--convention")] {
            let bad = try runSoundstage(["export", roomPath, "--format", "sofa", "--out-dir", folder.path] + arguments)
            XCTAssertEqual(bad.status, 2, arguments.joined(separator: " "))
            XCTAssertTrue(bad.stderr.contains(message), bad.stderr)
        }
        let wav = try runSoundstage(["export", roomPath, "--format", "hesuvi", "--yaw", "10", "--out-dir", folder.path])
        XCTAssertEqual(wav.status, 2)
        XCTAssertTrue(wav.stderr.contains("--yaw, --pitch and --convention are for --format sofa"), wav.stderr)
        // AES69-2022's successor convention: the same samples, Data.IR as [M R N E].
        let mimo = try runSoundstage(["export", roomPath, "--format", "sofa", "--yaw", "-20:20:20", "--convention", "SingleRoomMIMOSRIR",
                                      "--output", folder.appendingPathComponent("mimo.sofa").path, "--out-dir", folder.path])
        XCTAssertEqual(mimo.status, 0, mimo.stderr)
        let other = try SOFAFile.readMultiSpeakerBRIR(path: folder.appendingPathComponent("mimo.sofa").path)
        XCTAssertEqual(other.globals["SOFAConventions"], "SingleRoomMIMOSRIR")
        XCTAssertEqual(other.globals["RoomType"], "shoebox")
        XCTAssertEqual(other.ir, read.ir)
    }

    func testAngleRanges() throws {
        let yaw = try AngleRange(parsing: "-90:90:2")
        XCTAssertEqual(yaw.values.count, 91)
        XCTAssertEqual(yaw.values.first, -90)
        XCTAssertEqual(yaw.values.last, 90)
        XCTAssertEqual(try AngleRange(parsing: "0:10:3").values, [0, 3, 6, 9])
        XCTAssertEqual(try AngleRange(parsing: "15").values, [15])
        for bad in ["90:-90:2", "a:b:c", "0:10:0", "0:360:0.01", "0:10", "nan:1:1", "-400:0:10"] {
            XCTAssertThrowsError(try AngleRange(parsing: bad), bad)
        }
    }
}
