import XCTest
@testable import Soundstage

/// Runs the built `soundstage` executable as a user would.
final class CLITests: XCTestCase {
    struct Run { var status: Int32; var stdout: String; var stderr: String }

    func soundstage(_ arguments: [String]) throws -> Run {
        // The executable is built beside the test bundle, in .build/<triple>/<config>/.
        let bundle = Bundle(for: CLITests.self).bundleURL
        let executable = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("soundstage") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? bundle.appendingPathComponent("soundstage")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: executable.path), "build the executable first")
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = TestPaths.packageRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    func testValidatePrintsTheSummary() throws {
        let r = try soundstage(["validate", "rooms/home-studio.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("volume"))
        XCTAssertTrue(r.stdout.contains("Sabine"))
        XCTAssertTrue(r.stdout.contains("Eyring"))
        XCTAssertTrue(r.stdout.contains("Speaker L at"))
        XCTAssertTrue(r.stdout.contains("azimuth +30.0°"))
        XCTAssertEqual(r.stderr, "")
    }

    func testValidateBadRoomExitsNonZeroWithOneLine() throws {
        let r = try soundstage(["validate", "Tests/SoundstageTests/Fixtures/bad-rooms/speaker-outside-width.json"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr, "error: Tests/SoundstageTests/Fixtures/bad-rooms/speaker-outside-width.json: speakers[1].position: the speaker at (5.30, 1.00, 1.20) lies outside the room (width 4.2 m)\n")
    }

    func testValidateEveryExampleRoom() throws {
        let rooms = TestPaths.exampleRooms.map { "rooms/" + $0.lastPathComponent }
        let r = try soundstage(["validate"] + rooms)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.components(separatedBy: "RT60 (s)").count - 1, rooms.count)
    }

    func testMissingFileAndHelp() throws {
        let r = try soundstage(["validate", "rooms/does-not-exist.json"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, "error: rooms/does-not-exist.json: no such file\n")
        for command in ["validate", "materials"] {
            let h = try soundstage([command, "--help"])
            XCTAssertEqual(h.status, 0)
            XCTAssertTrue(h.stdout.contains("USAGE"))
        }
    }

    func testMaterialsListsTheLibraryWithSources() throws {
        let r = try soundstage(["materials"])
        XCTAssertEqual(r.status, 0)
        for name in ["concrete", "heavy-curtain", "carpet-on-pad", "panel-100mm", "sofa"] { XCTAssertTrue(r.stdout.contains(name), name) }
        XCTAssertTrue(r.stdout.contains("Vorländer"))
    }
}
