import XCTest
@testable import Soundstage

/// Every file in Fixtures/bad-rooms must be rejected with the one-line message that
/// `expected.tsv` gives for it (file name, TAB, the JSON path and reason).
final class BadRoomTests: XCTestCase {
    func testEveryBadRoomFailsWithItsMessage() throws {
        let table = try String(contentsOf: TestPaths.badRooms.appendingPathComponent("expected.tsv"), encoding: .utf8)
        let rows = table.split(separator: "\n").map { $0.split(separator: "\t", maxSplits: 1).map(String.init) }
        let files = try FileManager.default.contentsOfDirectory(atPath: TestPaths.badRooms.path).filter { $0.hasSuffix(".json") }
        XCTAssertGreaterThanOrEqual(rows.count, 30)
        XCTAssertEqual(Set(rows.map { $0[0] }), Set(files), "every bad room has an expectation and vice versa")
        for row in rows {
            let path = TestPaths.badRooms.appendingPathComponent(row[0]).path
            do {
                _ = try RoomFile.load(path: path)
                XCTFail("\(row[0]) was accepted")
            } catch let error as SceneError {
                XCTAssertTrue("\(error)".hasSuffix(row[1]), "\(row[0]):\n  got      \(error)\n  expected \(row[1])")
                XCTAssertFalse("\(error)".contains("\n"), "one line")
            }
        }
    }
}
