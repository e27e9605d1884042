import XCTest
@testable import Soundstage

/// Issue #21's sweep: every value of every example room replaced by one of the wrong type must be
/// refused with a message that names that key (or the value that holds it, such as the vector of
/// a bad coordinate) — never a key the user did not write.
final class KeySweepTests: XCTestCase {
    /// Every leaf of a JSON tree with its room-file path (`objects[1].box.min[0]`) and its keys and indices.
    func leaves(_ value: Any, path: String = "", keys: [String] = []) -> [(String, [String], Any)] {
        switch value {
        case let d as [String: Any]:
            return d.keys.sorted().filter { !$0.hasPrefix("_") }.flatMap { leaves(d[$0]!, path: path.isEmpty ? $0 : "\(path).\($0)", keys: keys + [$0]) }
        case let a as [Any]:
            return a.enumerated().flatMap { leaves($0.element, path: "\(path)[\($0.offset)]", keys: keys + ["\($0.offset)"]) }
        default:
            return [(path, keys, value)]
        }
    }

    /// `root` with the leaf at `path` replaced by `replacement`.
    func replacing(_ root: Any, path: [String], with replacement: Any) -> Any {
        guard let first = path.first else { return replacement }
        let rest = Array(path.dropFirst())
        if var d = root as? [String: Any] { d[first] = replacing(d[first]!, path: rest, with: replacement); return d }
        if var a = root as? [Any], let i = Int(first) { a[i] = replacing(a[i], path: rest, with: replacement); return a }
        return root
    }

    func testEveryKeyOfEveryExampleRoomWithAWrongValueIsNamedInItsMessage() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: TestPaths.rooms.path).filter { $0.hasSuffix(".json") }.sorted()
        var checked = 0
        for file in files {
            let url = TestPaths.rooms.appendingPathComponent(file)
            let text = try String(contentsOf: url, encoding: .utf8)
            let root = try JSONSerialization.jsonObject(with: Data(text.utf8))
            // Meshes and measured speakers' polar files the room names, by their relative paths.
            var meshes: [String: String] = [:]
            for (path, _, value) in leaves(root) where path.hasSuffix("mesh.file") || path.contains("directivity.measured") {
                let name = value as! String
                meshes[name] = try String(contentsOf: TestPaths.rooms.appendingPathComponent(name), encoding: .utf8)
            }
            XCTAssertNoThrow(try RoomFile.parse(text, files: meshes), file)
            for (path, keys, value) in leaves(root) where keys.last != "name" {
                // A number becomes text, text a number ("auto" a boolean: those keys take numbers), a boolean text.
                let wrong: Any = value as? String == "auto" ? true : value is String ? 12345 : (value as? NSNumber).map { String(cString: $0.objCType) == "c" } == true ? "maybe" : "not-a-number"
                // And a number far out of range (some keys take it, e.g. a seed): when refused, the same rule.
                for (replacement, mustRefuse) in [(wrong, true)] + (value is String || wrong as? String == "maybe" ? [] : [(-1e6 as Any, false)]) {
                    let mutated = replacing(root, path: keys, with: replacement)
                    let json = String(decoding: try JSONSerialization.data(withJSONObject: mutated, options: [.sortedKeys]), as: UTF8.self)
                    do {
                        _ = try RoomFile.parse(json, files: meshes)
                        if mustRefuse { XCTFail("\(file): \(path) = \(replacement) was accepted") }
                    } catch SceneError.invalid(let named, let reason) {
                        let parent = path.range(of: #"(\.[^.\[]+|\[\d+\])$"#, options: .regularExpression).map { String(path[..<$0.lowerBound]) } ?? ""
                        XCTAssertTrue(named == path || (named == parent && !parent.isEmpty), "\(file): \(path) = \(replacement) → \(named): \(reason)")
                    } catch {
                        XCTFail("\(file): \(path) = \(replacement) → \(error)")
                    }
                }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 300)
    }
}
