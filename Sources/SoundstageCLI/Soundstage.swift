import ArgumentParser
import Foundation
import Soundstage

@main
struct SoundstageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soundstage",
        abstract: "Virtual room acoustics for in-ear monitors and headphones.",
        discussion: """
        Describe a room in JSON (see README.md, docs/ROOM-FORMAT.md and rooms/); Soundstage checks it and \
        simulates how each speaker reaches the listener's ears. Errors are one line on standard error: \
        exit status 1 for bad input, 2 for bad usage, 130 after Ctrl-C (143 after SIGTERM).
        """,
        version: SoundstageVersion.string,
        subcommands: [Validate.self, Simulate.self, Render.self, Export.self, Analyze.self, Compare.self, Optimize.self, Studio.self, Batch.self, Scenes.self, Plot.self, Materials.self, DemoSignal.self])

    /// One convention for every command: `error: <what>: <reason>` on one line, exit 1 for bad input,
    /// 2 for bad usage; `--help` and `--version` as ArgumentParser prints them.
    static func main() {
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            fail(oneLine(message(for: error)) + " (see --help)", status: 2)
        }
        Signals.install()
        ProcessMemory.keepFreedPages()
        do {
            try command.run()
            Signals.settle()
        } catch let e as CleanExit {
            exit(withError: e)
        } catch let code as ExitCode {
            Signals.settle()
            Foundation.exit(code.rawValue)
        } catch let e as ValidationError {
            fail(oneLine(e.message), status: 2)
        } catch let e as OptionError {
            fail(e.description, status: 2)
        } catch BatchError.usage(let message) {
            fail(message, status: 2)
        } catch is TemporaryFiles.Interrupted {
            Signals.settle()
            Foundation.exit(130)
        } catch {
            // ArgumentParser's own (a help request parsed into its help command, a usage error).
            if String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
                if exitCode(for: error) == .success { exit(withError: error) }
                fail(oneLine(message(for: error)) + " (see --help)", status: 2)
            }
            fail(describe(error), status: 1)
        }
    }

    static func oneLine(_ text: String) -> String {
        let line = text.split(separator: "\n").first.map(String.init) ?? text
        return line.hasPrefix("Error: ") ? String(line.dropFirst(7)) : line
    }

    /// Library errors print as they describe themselves; Foundation's as the path and the system's reason.
    static func describe(_ error: Error) -> String {
        if type(of: error) is NSError.Type || error is CocoaError {
            let ns = error as NSError
            let path = ns.userInfo[NSFilePathErrorKey] as? String ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
            return (path.map { "\($0): " } ?? "") + FileError.reason(of: error)
        }
        return oneLine("\(error)")
    }
}

/// Prints `error: <message>` on standard error and exits with `status` — unless a signal arrived,
/// whose handler then exits (the failure is likely its cleanup's doing).
func fail(_ message: String, status: Int32) -> Never {
    Signals.settle()
    printError(message)
    exit(status)
}

/// Prints `message` to standard error as one line.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
}

/// A progress or information line on standard error.
func note(_ message: String) {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}

/// A failure of one input file: prints as `<file>: <reason>`.
struct InputError: Error, CustomStringConvertible {
    let file: String
    let reason: String
    var description: String { "\(file): \(reason)" }
}

/// Loads a room; a failure becomes `<file>: <JSON path>: <reason>`.
func loadRoom(_ path: String) throws -> Scene {
    do {
        return try RoomFile.load(path: path)
    } catch let error as SceneError {
        if case .invalid = error { throw InputError(file: path, reason: error.description) }
        throw error
    }
}

/// The simulator for a room file, with errors (a bad HRTF, an option out of range) naming the file.
func makeSimulator(_ scene: Scene, options: SimulationOptions, binaural: Bool = true) throws -> Simulator {
    do { return try Simulator(scene: scene, options: options, binaural: binaural) } catch let e as SceneError {
        throw InputError(file: scene.sourcePath ?? scene.name, reason: e.description)
    }
}

/// The command line as typed, recorded in outputs.
var commandLine: String { (["soundstage"] + CommandLine.arguments.dropFirst()).joined(separator: " ") }
