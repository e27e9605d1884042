import XCTest
@testable import Soundstage

final class DirectivityAndAirTests: XCTestCase {
    let c = 343.0

    func testCardioid() {
        XCTAssertEqual(Directivity.cardioid.gain(band: 3, angle: 0, speedOfSound: c), 1)
        XCTAssertEqual(Directivity.cardioid.gain(band: 3, angle: .pi / 2, speedOfSound: c), 0.5, accuracy: 1e-12)
        XCTAssertEqual(Directivity.cardioid.gain(band: 3, angle: .pi, speedOfSound: c), 0, accuracy: 1e-12)
    }

    func testPistonMatchesTheBaffledPistonFormula() {
        // 2 J1(x)/x with x = ka sin θ (Kinsler et al. eq. 7.4.17): 1 on axis, first null at x = 3.8317.
        let a = 0.1, band = 7 // 8 kHz: ka = 2π·8000/343·0.1 = 14.65
        let ka = 2 * Double.pi * FrequencyBands.octaves.centres[band] / c * a
        let d = Directivity.piston(radius: a)
        XCTAssertEqual(d.gain(band: band, angle: 0, speedOfSound: c), 1, accuracy: 1e-12)
        XCTAssertEqual(d.gain(band: band, angle: asin(3.8317 / ka), speedOfSound: c), 0, accuracy: 1e-4)
        // −3 dB at x = 1.6163 (half-power point of the Airy pattern).
        XCTAssertEqual(20 * log10(d.gain(band: band, angle: asin(1.6163 / ka), speedOfSound: c)), -3.01, accuracy: 0.01)
        // Low frequency (ka = 0.115 at 63 Hz): omni all round, including behind the cabinet.
        XCTAssertEqual(d.gain(band: 0, angle: .pi, speedOfSound: c), 1, accuracy: 0.02)
        // Behind the cabinet at ka = 1 the model gives −6 dB.
        let a1 = c / (2 * Double.pi * FrequencyBands.octaves.centres[4]) // ka = 1 at 1 kHz
        XCTAssertEqual(20 * log10(Directivity.piston(radius: a1).gain(band: 4, angle: .pi, speedOfSound: c)
                                  / Directivity.piston(radius: a1).gain(band: 4, angle: 0, speedOfSound: c)), -6.02 + 20 * log10(2 * j1(1.0)), accuracy: 0.01)
    }

    func testMonitorIsOmniLowAndDirectionalHigh() {
        let m = Directivity.monitor
        XCTAssertGreaterThan(m.gain(band: 0, angle: .pi, speedOfSound: c), 0.9)           // 63 Hz behind: nearly omni
        XCTAssertLessThan(m.gain(band: 6, angle: .pi * 0.75, speedOfSound: c), 0.5)       // 4 kHz at 135°: beaming
        XCTAssertGreaterThan(m.gain(band: 6, angle: radians(30), speedOfSound: c), 0.85)  // within ±30°: near on-axis
    }

    func testTableInterpolatesInDecibels() {
        let t = Directivity.table(angles: [0, 90, 180], attenuationDB: [BandValues(uniform: 0), BandValues(uniform: -6), BandValues(uniform: -20)])
        XCTAssertEqual(t.gain(band: 4, angle: radians(45), speedOfSound: c), pow(10, -3.0 / 20), accuracy: 1e-12)
        XCTAssertEqual(t.gain(band: 4, angle: .pi, speedOfSound: c), 0.1, accuracy: 1e-12)
    }

    func testDirectPathCarriesISO9613AirAbsorption() throws {
        // A 60 m direct path at 20 °C, 50 % RH: the 8 kHz band gain is 10^(−α·60/20) with α from ISO 9613-1.
        let s = try RoomFile.parse("""
        {"room": {"shoebox": {"width": 100, "length": 100, "height": 20}}, "surfaces": {"all": {"absorption": 0.5}},
         "speakers": [{"name": "S", "position": [20, 50, 5], "directivity": "omni"}], "listener": {"position": [80, 50, 5]},
         "simulation": {"duration": 0.2, "maxOrder": 0}}
        """)
        let r = imageSources(s, plan: s.resolve(threads: 1), speaker: 0)
        XCTAssertEqual(r.paths.count, 1)
        for band in [0, 4, 7] {
            let db = AirAbsorption.decibelsPerMetre(hertz: FrequencyBands.octaves.centres[band], celsius: 20, relativeHumidity: 50)
            XCTAssertEqual(r.paths[0].bandGains[band], pow(10, -db * 60 / 20), accuracy: 1e-6) // gains are Float
        }
        XCTAssertEqual(r.paths[0].levelsDB[0], 20 * log10(1.0 / 60), accuracy: 0.01) // 1/r law at 63 Hz
    }
}
