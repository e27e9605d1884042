import XCTest
@testable import Soundstage

/// Mutates the example rooms (deletions, type swaps, extreme numbers, NaN/Infinity strings,
/// shuffled arrays) and checks that parsing never crashes or hangs: each mutant yields either a
/// `SceneError` or a scene whose numbers are finite and whose placements hold.
final class RoomFuzzTests: XCTestCase {
    static let extremes: [JSONValue] = [
        .number(0), .number(-0.0), .number(-1), .number(1e308), .number(-1e308), .number(1e-300),
        .number(0.1), .number(1e6), .string("NaN"), .string("Infinity"), .string("-Infinity"), .string(""),
        .string("auto"), .null, .bool(true), .array([]), .object([:]), .array([.number(1), .number(2), .number(3)]),
    ]

    /// Every path (as a list of keys/indices) to a value in `v`.
    func paths(_ v: JSONValue, _ prefix: [String] = []) -> [[String]] {
        switch v {
        case .object(let o): return [prefix] + o.keys.sorted().flatMap { paths(o[$0]!, prefix + [$0]) }
        case .array(let a): return [prefix] + a.indices.flatMap { paths(a[$0], prefix + ["\($0)"]) }
        default: return [prefix]
        }
    }

    func replacing(_ v: JSONValue, at path: ArraySlice<String>, with f: (JSONValue) -> JSONValue?) -> JSONValue? {
        guard let key = path.first else { return f(v) }
        switch v {
        case .object(var o):
            guard let child = o[key] else { return v }
            o[key] = replacing(child, at: path.dropFirst(), with: f)
            return .object(o)
        case .array(var a):
            guard let i = Int(key), a.indices.contains(i) else { return v }
            if let n = replacing(a[i], at: path.dropFirst(), with: f) { a[i] = n } else { a.remove(at: i) }
            return .array(a)
        default: return v
        }
    }

    func testMutatedExampleRoomsNeverCrash() throws {
        var rng = SplitMix64(seed: 2026)
        var accepted = 0, rejected = 0
        for url in TestPaths.exampleRooms {
            let folder = url.deletingLastPathComponent()
            let original = try JSONValue.parse(Data(contentsOf: url), file: url.path)
            let all = paths(original).filter { !$0.isEmpty }
            let mutants = url.lastPathComponent.hasPrefix("bras") ? 60 : 400 // the 326-polygon mesh is slower
            for _ in 0..<mutants {
                var doc = original
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let path = all.randomElement(using: &rng)!
                    doc = replacing(doc, at: path[...], with: { old in
                        switch Int.random(in: 0..<4, using: &rng) {
                        case 0: return nil // delete
                        case 1: return Self.extremes.randomElement(using: &rng)!
                        case 2: if case .number(let d) = old { return .number(d * Double([-1, 10, 1e-3, 1e9].randomElement(using: &rng)!)) }; return .number(1)
                        default: if case .array(let a) = old { return .array(a.shuffled(using: &rng)) }; return .string("x")
                        }
                    }) ?? .null
                }
                do {
                    let scene = try SceneBuilder(json: doc, defaultName: "fuzz") { file in
                        try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                    }.build()
                    accepted += 1
                    XCTAssertTrue(scene.volume.isFinite && scene.volume > 0)
                    XCTAssertTrue(scene.surfaces.allSatisfy { $0.polygon.area.isFinite && $0.material.absorption.values.allSatisfy { (0..<1).contains($0) } })
                    XCTAssertTrue(scene.contains(scene.listener.position))
                    for s in scene.speakers {
                        XCTAssertTrue(s.position.isFinite && s.orientation.forward.isFinite)
                        XCTAssertEqual(s.orientation.forward.length, 1, accuracy: 1e-9)
                    }
                    let rt = scene.statisticalRT60()
                    XCTAssertTrue(rt.sabine.values.allSatisfy { $0.isFinite && $0 > 0 })
                } catch is SceneError {
                    rejected += 1
                }
            }
        }
        // Both outcomes occur: the mutations are neither all harmless nor all fatal.
        XCTAssertGreaterThan(accepted, 10)
        XCTAssertGreaterThan(rejected, 100)
    }

    func testMutatedTextNeverCrashesTheParser() throws {
        // Byte-level damage: truncation, flipped bytes, inserted brackets, quotes and digits.
        var rng = SplitMix64(seed: 9613)
        var rejected = 0
        for url in TestPaths.exampleRooms where !url.lastPathComponent.hasPrefix("bras") {
            let original = Array(try Data(contentsOf: url))
            for _ in 0..<200 {
                var bytes = original
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
                case 1: for _ in 0..<4 { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                default: bytes.insert(Array("{[\"9e999-,:".utf8).randomElement(using: &rng)!, at: Int.random(in: 0..<bytes.count, using: &rng))
                }
                do {
                    let json = try JSONValue.parse(Data(bytes), file: "fuzz.json")
                    _ = try SceneBuilder(json: json, defaultName: "fuzz") { _ in throw SceneError.unreadable(file: "x", reason: "none") }.build()
                } catch is SceneError { rejected += 1 }
            }
        }
        XCTAssertGreaterThan(rejected, 500)
    }
}
