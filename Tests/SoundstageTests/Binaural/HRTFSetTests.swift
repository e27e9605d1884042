import XCTest
@testable import Soundstage

final class HRTFSetTests: XCTestCase {
    /// Interaural lag in samples (positive = left ear leads) from the peak of the cross-correlation,
    /// refined by parabolic interpolation.
    func lagSamples(_ l: [Float], _ r: [Float], maxLag: Int = 40) -> Double {
        func xc(_ k: Int) -> Double {
            var s = 0.0
            for i in 0..<l.count where i + k >= 0 && i + k < r.count { s += Double(l[i]) * Double(r[i + k]) }
            return s
        }
        let values = (-maxLag...maxLag).map { (k: $0, v: xc($0)) }
        let best = values.max { $0.v < $1.v }!
        let ym = xc(best.k - 1), y0 = best.v, yp = xc(best.k + 1)
        return Double(best.k) + 0.5 * (ym - yp) / (ym - 2 * y0 + yp)
    }

    func testDefaultKEMAROpensAndHasTheDocumentedShape() throws {
        let hrtf = try HRTFSet(sampleRate: 48000)
        XCTAssertEqual(hrtf.measurementCount, 710) // MIT KEMAR: 710 directions, −40°…+90° elevation
        XCTAssertEqual(hrtf.filterLength, 558)     // 512 taps at 44.1 kHz resampled to 48 kHz
    }

    func testInterauralDelayAtThirtyDegreesLeft() throws {
        // Woodworth's spherical head (a = 8.75 cm, c = 343 m/s): ITD = (a/c)(θ + sin θ) = 261 µs at 30°.
        // The KEMAR measurement gives ≈ 256 µs; accept 240–280 µs with the left ear leading.
        let hrtf = try HRTFSet(sampleRate: 48000)
        let pair = hrtf.hrir(azimuthDegrees: 30, elevationDegrees: 0)
        let itd = lagSamples(pair.left, pair.right) / 48000 * 1e6
        XCTAssertGreaterThan(itd, 240)
        XCTAssertLessThan(itd, 280)
        // The near (left) ear is louder: positive ILD broadband.
        let el = pair.left.reduce(0) { $0 + Double($1 * $1) }, er = pair.right.reduce(0) { $0 + Double($1 * $1) }
        XCTAssertGreaterThan(10 * log10(el / er), 3)
    }

    func testMirrorDirectionsSwapEars() throws {
        // KEMAR is nearly symmetric: the ITD at −30° is the negative of that at +30° to within 0.5 sample.
        let hrtf = try HRTFSet(sampleRate: 48000)
        let a = hrtf.hrir(azimuthDegrees: 30, elevationDegrees: 0), b = hrtf.hrir(azimuthDegrees: -30, elevationDegrees: 0)
        XCTAssertEqual(lagSamples(a.left, a.right), -lagSamples(b.left, b.right), accuracy: 0.5)
        XCTAssertEqual(lagSamples(hrtf.hrir(azimuthDegrees: 0, elevationDegrees: 0).left,
                                  hrtf.hrir(azimuthDegrees: 0, elevationDegrees: 0).right), 0, accuracy: 0.5)
    }

    func testConcurrentLookupsMatchSerial() throws {
        let hrtf = try HRTFSet(sampleRate: 48000)
        let directions: [(Double, Double)] = (0..<32).map { (i: Int) -> (Double, Double) in
            (Double(i) * 11.25 - 180.0, Double(i % 5) * 10.0 - 20.0)
        }
        let serial = directions.map { hrtf.hrir(azimuthDegrees: $0.0, elevationDegrees: $0.1).left }
        let box = ResultBox(count: directions.count)
        DispatchQueue.concurrentPerform(iterations: directions.count) { i in
            box.set(i, hrtf.hrir(azimuthDegrees: directions[i].0, elevationDegrees: directions[i].1).left)
        }
        for i in directions.indices { XCTAssertEqual(box.get(i), serial[i], "direction \(i)") }
    }

    func testMissingOrCorruptSOFAIsAClearError() throws {
        XCTAssertThrowsError(try HRTFSet(path: "/nonexistent.sofa", sampleRate: 48000)) {
            XCTAssertTrue("\($0)".contains("no such SOFA file"))
        }
        let bad = TestPaths.temporaryFolder().appendingPathComponent("bad.sofa")
        try Data("this is not HDF5".utf8).write(to: bad)
        XCTAssertThrowsError(try HRTFSet(path: bad.path, sampleRate: 48000)) {
            XCTAssertTrue("\($0)".contains("not a usable AES69"), "\($0)")
        }
    }
}
