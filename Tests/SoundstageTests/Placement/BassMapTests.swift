import XCTest
@testable import Soundstage

final class BassMapTests: XCTestCase {
    /// A 5 × 4 × 2.6 m room whose walls absorb 20 % (front wall at y = 4, listener facing it).
    func room() throws -> Scene {
        try RoomFile.parse("""
        {"room": {"shoebox": {"width": 5, "length": 4, "height": 2.6}}, "surfaces": {"all": {"absorption": 0.2}},
         "speakers": [{"name": "S", "position": [1.5, 3.3, 1.1], "directivity": "omni"}], "listener": {"position": [2.5, 1.5, 1.1]},
         "simulation": {"highpass": 0}}
        """)
    }

    func testEachCandidatesBassIsItsOwnRunToTheSeatByReciprocity() throws {
        // One run from the seat, recorded at two candidates, against a run from the first candidate
        // recorded at the seat: the same response (the solver's update is symmetric).
        let s = try room()
        let seat = Vec3(2.47, 1.52, 1.13), candidates = [Vec3(1.23, 3.31, 1.07), Vec3(3.9, 3.6, 0.8)]
        let map = BassMap.compute(scene: s, seat: seat, positions: candidates, durationSeconds: 0.3, threads: 2)
        let c = s.air.speedOfSound
        let grid = WaveGrid(scene: s, spacing: BassMap.spacing(speedOfSound: c), crossover: BassMap.crossover)
        let k = WaveField.timeStep(spacing: grid.spacing, speedOfSound: c)
        let direct = WaveSolver.run(grid: grid, speedOfSound: c, steps: Int((0.3 / k).rounded(.up)) + 2, cutoff: 2 * BassMap.crossover,
                                    source: candidates[0], receivers: [seat], threads: 2)
        let levels = BassMap.spectrumLevels(direct.responses[0], timeStep: direct.timeStep, at: map.frequencies)
        for (a, b) in zip(map.levelsDB[0], levels) { XCTAssertEqual(a, b, accuracy: 0.05) }
        // The two candidates hear different rooms.
        XCTAssertGreaterThan(zip(map.levelsDB[0], map.levelsDB[1]).map { abs($0 - $1) }.max()!, 3)
    }

    func testASpeakerAgainstTheFrontWallHasNoBoundaryNotch() throws {
        // A monopole d from a rigid wall meets its image 2d away: the first cancellation is at
        // c/(4d), 143 Hz for d = 0.6 m (Allison 1974, "The influence of room boundaries on loudspeaker
        // power output"), inside 20–300 Hz; against the wall (d = 0.05 m) it moves to 1.7 kHz. The
        // flush speaker's bass at the seat is the smoother (RPG's σ over 20–300 Hz).
        let s = try room()
        let seat = Vec3(2.5, 1.52, 1.1)
        let map = BassMap.compute(scene: s, seat: seat, positions: [Vec3(1.5, 3.95, 1.1), Vec3(1.5, 3.4, 1.1)], durationSeconds: 0.6, threads: 2)
        let flush = map.deviation(of: 0), out = map.deviation(of: 1)
        XCTAssertLessThan(flush, out - 0.5, "σ flush \(flush) dB, 0.6 m out \(out) dB")
    }

    func testTheListeningAreaVarianceVanishesByMirrorSymmetry() throws {
        // Two seats mirrored about the room's mid-plane x = W/2 hear a speaker on that plane alike (the
        // room, the grid and the trilinear weights are mirror-symmetric): mean spatial variance ≈ 0.
        // A speaker off the plane drives the odd width modes, which the two seats hear with opposite
        // signs: their levels differ by several dB somewhere in 20–300 Hz.
        let s = try room()
        let seats = [Vec3(2.2, 1.5, 1.1), Vec3(2.8, 1.5, 1.1)]
        let candidates = [Vec3(2.5, 3.4, 1.2), Vec3(1.4, 3.4, 1.2)]
        let maps = seats.map { BassMap.compute(scene: s, seat: $0, positions: candidates, durationSeconds: 0.4, threads: 2) }
        XCTAssertLessThan(BassMap.meanSpatialVariance(maps, candidate: 0), 0.01)
        XCTAssertGreaterThan(BassMap.meanSpatialVariance(maps, candidate: 1), 1)
        XCTAssertEqual(BassMap.meanSpatialVariance([maps[0]], candidate: 1), 0)
    }
}
extension BassMapTests {
    func testTheDecimatedSpectraEqualTheFullRateOnesOnceTheResponseDecays() throws {
        // With the room's high-pass the closed room's pressure build-up decays, the response ends
        // near zero, and its low-passed, decimated samples carry the same 20–300 Hz spectrum.
        let s = try room()
        let c = s.air.speedOfSound
        let grid = WaveGrid(scene: s, spacing: BassMap.spacing(speedOfSound: c), crossover: BassMap.crossover)
        let k = WaveField.timeStep(spacing: grid.spacing, speedOfSound: c)
        let run = WaveSolver.run(grid: grid, speedOfSound: c, steps: Int((0.3 / k).rounded(.up)) + 2, cutoff: 2 * BassMap.crossover,
                                 source: Vec3(1.23, 3.31, 1.07), receivers: [Vec3(2.47, 1.52, 1.13)], highpass: 10, threads: 2)
        let f = BassMap.logFrequencies(from: 20, to: 300, perOctave: 24)
        let full = BassMap.spectrumLevels(run.responses[0], timeStep: k, at: f)
        let d = BassMap.decimation(timeStep: k, highpass: 10)
        XCTAssertGreaterThanOrEqual(d, 3)
        let x = BassMap.decimated(run.responses[0], by: d, filter: BassMap.antiAliasFilter(decimation: d, rate: 1 / k))
        let decimated = BassMap.spectrumLevels(x, timeStep: k * Double(d), at: f)
        for (a, b) in zip(full, decimated) { XCTAssertEqual(a, b, accuracy: 0.05) }
        XCTAssertEqual(BassMap.decimation(timeStep: k, highpass: 0), 1, "a response that does not decay is read at the full rate")
    }
}
