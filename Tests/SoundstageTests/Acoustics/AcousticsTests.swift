import XCTest
@testable import Soundstage

final class AcousticsTests: XCTestCase {
    func testAirAbsorptionMatchesISO9613Table() {
        // ISO 9613-2:1996 Table 2, atmospheric attenuation in dB/km at octave mid-band frequencies
        // 63 Hz … 8 kHz, 101.325 kPa (computed by ISO 9613-1, rounded to 0.1 dB/km in the table).
        let rows: [(t: Double, rh: Double, db: [Double])] = [
            (20, 70, [0.1, 0.3, 1.1, 2.8, 5.0, 9.0, 22.9, 76.6]),
            (10, 70, [0.1, 0.4, 1.0, 1.9, 3.7, 9.7, 32.8, 117]),
            (15, 50, [0.1, 0.5, 1.2, 2.2, 4.2, 10.8, 36.2, 129]),
            (15, 80, [0.1, 0.3, 1.1, 2.4, 4.1, 8.3, 23.7, 82.8]),
        ]
        let freqs = [63.0, 125, 250, 500, 1000, 2000, 4000, 8000]
        for row in rows {
            for (f, expected) in zip(freqs, row.db) {
                let got = AirAbsorption.decibelsPerMetre(hertz: f, celsius: row.t, relativeHumidity: row.rh) * 1000
                // Table rounding (±0.05) plus the table's nominal vs exact frequencies (≤ 2 %).
                XCTAssertEqual(got, expected, accuracy: 0.06 + 0.02 * expected, "\(row.t) °C \(row.rh) % \(f) Hz")
            }
        }
    }

    func testSpeedOfSound() {
        XCTAssertEqual(AirAbsorption.speedOfSound(celsius: 20), 343.2, accuracy: 0.1) // textbook 343.2 m/s
        XCTAssertEqual(AirAbsorption.speedOfSound(celsius: 0), 331.3, accuracy: 1e-9)
    }

    func testSabineAndEyringOnAShoebox() throws {
        // 10 × 8 × 4 m, α = 0.2 everywhere, no air: V = 320, S = 304, A = 60.8 m².
        let scene = try RoomFile.parse("""
        {"room": {"shoebox": {"width": 10, "length": 8, "height": 4}}, "surfaces": {"all": {"absorption": 0.2}},
         "speakers": [{"position": [2, 2, 1.5]}], "listener": {"position": [6, 5, 1.5]},
         "air": {"speedOfSound": 343}, "simulation": {"airAbsorption": false}}
        """)
        let rt = scene.statisticalRT60()
        let sabine = 0.161 * 320 / 60.8          // Sabine's 0.161 s/m (= 24 ln 10 / 343.2)
        let eyring = 0.161 * 320 / (-304 * log(0.8))
        for b in 0..<8 {
            XCTAssertEqual(rt.sabine[b], sabine, accuracy: sabine * 0.002)
            XCTAssertEqual(rt.eyring[b], eyring, accuracy: eyring * 0.002)
            XCTAssertLessThan(rt.eyring[b], rt.sabine[b]) // Eyring < Sabine for α > 0
        }
    }

    func testAirAbsorptionShortensHighBandRT() throws {
        let json = """
        {"room": {"shoebox": {"width": 30, "length": 40, "height": 15}}, "surfaces": {"all": {"absorption": 0.1}},
         "speakers": [{"position": [2, 2, 1.5]}], "listener": {"position": [6, 5, 1.5]}}
        """
        let rt = try RoomFile.parse(json).statisticalRT60().sabine
        // Same α in every band: only air (4mV, growing with frequency) separates the bands.
        XCTAssertGreaterThan(rt[0], rt[4])
        XCTAssertGreaterThan(rt[4], rt[7])
        // S = 2(30·40 + 30·15 + 40·15) = 4500 m²; at 63 Hz air adds 4mV ≈ 1.7 m² to A = 450 m² (< 0.5 %).
        XCTAssertEqual(rt[0], 0.161 * 18000 / (0.1 * 4500), accuracy: 0.01 * rt[0])
    }

    func testBandReductionAveragesThirdsAndHoldsNearest() {
        // Thirds 800/1000/1250 → 1 kHz octave, arithmetic mean (equal relative bandwidths).
        let v = BandReduction.toOctaves([(800, 0.2), (1000, 0.3), (1250, 0.4), (4000, 0.9)])
        XCTAssertEqual(v[4], 0.3, accuracy: 1e-12)
        XCTAssertEqual(v[6], 0.9)
        XCTAssertEqual(v[7], 0.9)                  // 8 kHz holds the nearest given (4 kHz)
        XCTAssertEqual(v[0], 0.3, accuracy: 1e-12) // 63 Hz holds the nearest given (1 kHz)
        XCTAssertEqual(v[5], 0.3, accuracy: 1e-12) // 2 kHz: 1 kHz and 4 kHz are 1 and 2 octaves away
    }
}
