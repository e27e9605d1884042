import ArgumentParser
import Foundation
import Soundstage

@main
struct SoundstageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soundstage",
        abstract: "Virtual room acoustics for in-ear monitors and headphones.",
        discussion: "Describe a room in JSON (see README.md and rooms/); Soundstage checks it, and simulates how each speaker reaches the listener's ears.",
        version: SoundstageVersion.string,
        subcommands: [Validate.self, Simulate.self, Render.self, Export.self, Analyze.self, Compare.self, Plot.self, Materials.self, DemoSignal.self])
}

/// Prints `message` to standard error as one line.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
}

/// Loads a room, turning a failure into one clear line on stderr and exit status 1.
func loadRoom(_ path: String) throws -> Scene {
    do {
        return try RoomFile.load(path: path)
    } catch let error as SceneError {
        switch error {
        case .invalid: printError("\(path): \(error)")
        default: printError("\(error)")
        }
        throw ExitCode(1)
    }
}
