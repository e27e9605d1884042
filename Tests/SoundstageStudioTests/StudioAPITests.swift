import Foundation
import Soundstage
@testable import SoundstageStudio
import XCTest

/// The studio's API on a real socket: edits against physics, every refusal with its status and
/// JSON path, and the guards of a local server (Host, Origin, sizes, paths, saving).
final class StudioAPITests: XCTestCase {
    var studio: StudioTestServer!

    override func setUp() async throws { studio = try await StudioTestServer() }
    override func tearDown() async throws { await studio.stop() }

    func onset(_ x: [Float]) -> Int {
        let peak = x.map(abs).max() ?? 0
        return x.firstIndex { abs($0) > 0.25 * peak } ?? 0
    }

    func brir(version: Int, speaker: String) throws -> AudioBuffer {
        let reply = try studio.request("GET", "/api/brir/\(version)/\(speaker).wav")
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.headers["content-type"], "audio/wav")
        let path = studio.folder.appendingPathComponent("brir-\(version)-\(speaker).wav").path
        try reply.body.write(to: URL(fileURLWithPath: path))
        return try AudioFile.read(path)
    }

    /// Moving both speakers and the seat outward along the same directions (equilateral triangle
    /// 1.8 m → 2.2 m) delays the direct sound at each ear by Δd/c and lowers it by 20·log10(2.2/1.8)
    /// (the 1/r law; the HRTF's direction is unchanged).
    func testAnEditMovesTheDirectSoundByTheExtraPathOverTheSpeedOfSound() throws {
        let near = try studio.simulate(studio.room())
        XCTAssertEqual(near.status, 200, near.text)
        let far = try studio.simulate(studio.room { room in
            var speakers = room["speakers"] as! [String: Any]
            speakers["spacing"] = 2.2
            speakers["listenerDistance"] = 2.2
            room["speakers"] = speakers
        })
        XCTAssertEqual(far.status, 200, far.text)
        let v1 = near.json!["version"] as! Int, v2 = far.json!["version"] as! Int
        XCTAssertGreaterThan(v2, v1)
        let geometry = (far.json!["geometry"] as! [String: Any])["speakers"] as! [[String: Any]]
        XCTAssertEqual(geometry[0]["distance"] as! Double, 2.2, accuracy: 1e-9)
        let c = 331.3 * (1 + 21 / 273.15).squareRoot() // the room's 21 °C air
        let expected = 0.4 / c * 48000
        for speaker in ["L", "R"] {
            let a = try brir(version: v1, speaker: speaker), b = try brir(version: v2, speaker: speaker)
            XCTAssertEqual(a.sampleRate, 48000)
            for ear in 0..<2 {
                let shift = Double(onset(b.channels[ear]) - onset(a.channels[ear]))
                XCTAssertEqual(shift, expected, accuracy: 1.5, "\(speaker) ear \(ear)")
                let window = { (x: [Float]) -> Float in let o = self.onset(x); return x[o..<min(x.count, o + 24)].map(abs).max()! }
                let ratio = 20 * log10(Double(window(b.channels[ear]) / window(a.channels[ear])))
                XCTAssertEqual(ratio, 20 * log10(1.8 / 2.2), accuracy: 0.4, "\(speaker) ear \(ear)")
            }
        }
        // The metrics table's distance and the responses follow the edit; both ears at the seat.
        let responses = far.json!["responses"] as! [[String: Any]]
        XCTAssertEqual(responses.map { $0["speaker"] as! String }, ["L", "R", "all"])
    }

    func testABadPositionIsRefusedWithTheCommandLinesMessageAndPath() throws {
        let reply = try studio.simulate(studio.room { room in
            var speakers = room["speakers"] as! [String: Any]
            speakers["height"] = 9.0
            room["speakers"] = speakers
        })
        XCTAssertEqual(reply.status, 422)
        XCTAssertEqual(reply.json?["path"] as? String, "speakers.height")
        let message = try XCTUnwrap(reply.json?["error"] as? String)
        XCTAssertTrue(message.hasPrefix("home-studio.json: speakers.height: 9 m is outside the room"), message)
        // The same message as `soundstage validate` prints for that room file.
        let bad = studio.folder.appendingPathComponent("bad.json").path
        try Data(try studio.room { room in
            var speakers = room["speakers"] as! [String: Any]
            speakers["height"] = 9.0
            room["speakers"] = speakers
        }.utf8).write(to: URL(fileURLWithPath: bad))
        XCTAssertThrowsError(try RoomFile.load(path: bad)) { error in
            XCTAssertTrue(message.hasSuffix("\(error)"), "\(message) vs \(error)")
        }
    }

    func testMalformedInputGets4xxWithWhereAndNeverACrash() throws {
        let syntax = try studio.simulate("{\n  \"name\": \"x\",\n  \"room\": }\n")
        XCTAssertEqual(syntax.status, 400)
        XCTAssertTrue((syntax.json?["error"] as? String ?? "").contains("line 3"), syntax.text)
        let notJSON = try studio.request("POST", "/api/simulate", body: Data("quality=full".utf8))
        XCTAssertEqual(notJSON.status, 400)
        let noRoom = try studio.request("POST", "/api/simulate", body: Data(#"{"quality":"full"}"#.utf8))
        XCTAssertEqual(noRoom.status, 422)
        XCTAssertEqual(noRoom.json?["path"] as? String, "room")
        let badQuality = try studio.request("POST", "/api/simulate", body: Data(#"{"room":"{}","quality":"ultra"}"#.utf8))
        XCTAssertEqual(badQuality.status, 422)
        XCTAssertEqual(badQuality.json?["path"] as? String, "quality")
        let wrongType = try studio.request("POST", "/api/simulate", body: Data(#"{"room":{"name":"x"}}"#.utf8))
        XCTAssertEqual(wrongType.status, 422)
        XCTAssertEqual(try studio.request("GET", "/api/brir/abc/L.wav").status, 404)
        XCTAssertEqual(try studio.request("GET", "/api/brir/1/L.wav").status, 404) // no such result yet
        let eq = try studio.request("POST", "/api/eq?rate=48000", body: Data("Filter 1: ON PK Fc banana Hz Gain 3 dB Q 1".utf8))
        XCTAssertEqual(eq.status, 422)
        XCTAssertTrue((eq.json?["error"] as? String ?? "").contains("line 1"), eq.text)
        XCTAssertEqual(try studio.request("POST", "/api/eq?rate=-5", body: Data("Preamp: -3 dB".utf8)).status, 400)
        // The server still answers.
        XCTAssertEqual(try studio.request("GET", "/api/room").status, 200)
    }

    func testOnlyTheAssetsAndTheAPIAreServed() throws {
        XCTAssertEqual(try studio.request("GET", "/").status, 200)
        XCTAssertEqual(try studio.request("GET", "/studio.js").headers["content-type"], "text/javascript; charset=utf-8")
        for path in ["/../Package.swift", "/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/studio.js/../../../etc/passwd",
                     "/Assets/studio.js", "/api/brir/1/..%2f..%2f..%2fetc%2fpasswd.wav", "/home-studio.json", "/..%5c..%5cetc%5cpasswd"] {
            let reply = try studio.request("GET", path)
            XCTAssertEqual(reply.status, 404, path)
            XCTAssertFalse(reply.text.contains("root:"), path)
        }
        let headers = try studio.request("GET", "/").headers
        XCTAssertTrue(headers["content-security-policy"]?.contains("frame-ancestors 'self'") ?? false)
        XCTAssertEqual(headers["x-content-type-options"], "nosniff")
    }

    func testOtherSitesCannotDriveTheStudio() throws {
        let body = try JSONSerialization.data(withJSONObject: ["room": try studio.room(), "quality": "preview"])
        let foreign = try studio.request("POST", "/api/simulate", body: body, headers: ["Origin": "http://evil.example"])
        XCTAssertEqual(foreign.status, 403)
        let missing = try studio.request("POST", "/api/simulate", body: body, headers: ["Origin": ""])
        XCTAssertEqual(missing.status, 403)
        let rebound = try studio.request("GET", "/api/room", headers: ["Host": "evil.example:\(studio.port)"])
        XCTAssertEqual(rebound.status, 403, "a DNS-rebinding page reaches the server under another name")
        let reboundWrite = try studio.request("POST", "/api/save", body: Data(#"{"name":"x","room":"{}"}"#.utf8),
                                              headers: ["Host": "evil.example:\(studio.port)", "Origin": "http://evil.example:\(studio.port)"])
        XCTAssertEqual(reboundWrite.status, 403)
        XCTAssertEqual(try studio.request("GET", "/api/room", headers: ["Host": "localhost:\(studio.port)"]).status, 200)
        XCTAssertFalse(FileManager.default.fileExists(atPath: studio.folder.appendingPathComponent("x.json").path))
    }

    func testOversizedBodiesAreRefused() throws {
        let big = Data(repeating: UInt8(ascii: " "), count: StudioServer.bodyLimit + 1)
        XCTAssertEqual(try studio.request("POST", "/api/simulate", body: big).status, 413)
        XCTAssertEqual(try studio.request("GET", "/api/room").status, 200)
    }

    func testSavingWritesANewRoomFileAndNeverTheOriginal() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: studio.roomPath))
        let edited = try studio.room { room in
            var speakers = room["speakers"] as! [String: Any]
            speakers["spacing"] = 2.0
            room["speakers"] = speakers
        }
        func save(_ name: String, _ room: String, overwrite: Bool = false) throws -> StudioTestServer.Reply {
            try studio.request("POST", "/api/save", body: JSONSerialization.data(withJSONObject: ["name": name, "room": room, "overwrite": overwrite]))
        }
        XCTAssertEqual(try save("home-studio", edited, overwrite: true).status, 409)
        XCTAssertEqual(try save("home-studio.json", edited, overwrite: true).status, 409)
        for name in ["../escape", "/tmp/x", ".hidden", "", "a/b"] { XCTAssertEqual(try save(name, edited).status, 422, name) }
        XCTAssertEqual(try save("broken", "{\"name\": 1}").status, 422)
        XCTAssertFalse(FileManager.default.fileExists(atPath: studio.folder.appendingPathComponent("broken.json").path))
        let ok = try save("home-studio-2m", edited)
        XCTAssertEqual(ok.status, 200, ok.text)
        let written = studio.folder.appendingPathComponent("home-studio-2m.json").path
        XCTAssertEqual(try String(contentsOfFile: written, encoding: .utf8), edited)
        XCTAssertEqual(try RoomFile.load(path: written).stereoLayout?.spacing, 2.0)
        XCTAssertEqual(try save("home-studio-2m", edited).status, 409, "an existing file is replaced only when asked")
        XCTAssertEqual(try save("home-studio-2m", edited, overwrite: true).status, 200)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: studio.roomPath)), original)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: studio.folder.path).filter { $0.hasPrefix(".") || $0.contains("tmp") }
        XCTAssertEqual(leftovers, [])
    }

    /// The EQ's biquads as the page's IIRFilterNodes get them: a peak filter's gain at its centre
    /// frequency is its gain (RBJ cookbook), evaluated here from the served coefficients.
    func testTheEQArrivesAsBiquadsWithTheFilesGain() throws {
        let reply = try studio.request("POST", "/api/eq?rate=48000", body: Data("Preamp: -6.5 dB\nFilter 1: ON PK Fc 1000 Hz Gain 6 dB Q 1.41\n".utf8))
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json?["preampDB"] as? Double, -6.5)
        let section = try XCTUnwrap((reply.json?["sections"] as? [[String: [Double]]])?.first)
        let b = section["feedforward"]!, a = section["feedback"]!
        func magnitude(_ f: Double) -> Double {
            let w = 2 * Double.pi * f / 48000
            let (nr, ni) = (b[0] + b[1] * cos(w) + b[2] * cos(2 * w), -(b[1] * sin(w) + b[2] * sin(2 * w)))
            let (dr, di) = (a[0] + a[1] * cos(w) + a[2] * cos(2 * w), -(a[1] * sin(w) + a[2] * sin(2 * w)))
            return 20 * log10(((nr * nr + ni * ni) / (dr * dr + di * di)).squareRoot())
        }
        XCTAssertEqual(magnitude(1000), 6, accuracy: 1e-6)
        XCTAssertEqual(magnitude(20), 0, accuracy: 0.05)
    }

    /// A newer edit makes the running one stop: the full run started first answers 409.
    func testANewerEditCancelsTheRunningOne() async throws {
        let room = try studio.room()
        let studio = self.studio!
        async let first = Task.detached { try studio.simulate(room, quality: "full") }.value
        try await Task.sleep(nanoseconds: 150_000_000)
        let second = try await Task.detached { try studio.simulate(room, quality: "preview") }.value
        let superseded = try await first
        XCTAssertEqual(second.status, 200)
        XCTAssertEqual(superseded.status, 409, superseded.text)
    }
}
