import XCTest
@testable import Soundstage

/// A small seeded round of the fuzzer (`make fuzz` runs 10 000 cases): mutated rooms, meshes,
/// audio, EQ and SOFA files and command-line numbers through the `soundstage` executable, with
/// nothing found in any category — and the fuzzer itself shown to find what it looks for.
final class FuzzTests: XCTestCase {
    var fuzzer: URL { soundstageExecutable.deletingLastPathComponent().appendingPathComponent("SoundstageFuzz") }

    func fuzz(_ arguments: [String]) throws -> CLIRun {
        let process = Process()
        process.executableURL = fuzzer
        process.arguments = arguments + ["--keep", TestPaths.temporaryFolder().path]
        process.currentDirectoryURL = TestPaths.packageRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIRun(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    func count(_ finding: String, in output: String) -> Int? {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("findings:") }),
              let range = line.range(of: "\(finding) (\\d+)", options: .regularExpression) else { return nil }
        return Int(line[range].split(separator: " ").last!)
    }

    func testASeededRoundFindsNothing() throws {
        let r = try fuzz(["--cases", "80", "--seed", "20261203", "--jobs", "2"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        for finding in ["crash", "hang", "NaN", "error without a path", "exit 0 on invalid input", "JSON grammar disagreement"] {
            XCTAssertEqual(count(finding, in: r.stdout), 0, "\(finding)\n\(r.stdout)")
        }
        // Every kind of input was tried, and both refusals and successful runs happened.
        for kind in ["room", "mesh", "audio", "eq", "sofa", "args"] { XCTAssertTrue(r.stdout.contains("  \(kind): "), "\(kind)\n\(r.stdout)") }
        let refused = r.stdout.matches(of: /(\d+) refused/).reduce(0) { $0 + Int($1.1)! }
        let accepted = r.stdout.matches(of: /(\d+) accepted/).reduce(0) { $0 + Int($1.1)! }
        XCTAssertGreaterThan(refused, 20, r.stdout)
        XCTAssertGreaterThan(accepted, 5, r.stdout)
    }

    func testTheFuzzerFindsCrashesAndAcceptedInvalidInput() throws {
        // Programs that accept everything, or die of a signal, must be reported.
        let folder = TestPaths.temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, body, finding) in [("accepts", "exit 0", "exit 0 on invalid input"), ("crashes", "kill -SEGV $$", "crash"),
                                      ("mumbles", "echo 'something went wrong' >&2; exit 1", "error without a path")] {
            let script = folder.appendingPathComponent(name)
            try "#!/bin/sh\n\(body)\n".write(to: script, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
            let r = try fuzz(["--cases", "30", "--seed", "5", "--jobs", "2", "--executable", script.path])
            XCTAssertEqual(r.status, 1, r.stdout)
            XCTAssertGreaterThan(count(finding, in: r.stdout) ?? 0, 0, "\(name)\n\(r.stdout)")
        }
    }
}
