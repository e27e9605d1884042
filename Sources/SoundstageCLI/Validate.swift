import ArgumentParser
import Foundation
import Soundstage

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check room files and print a summary of each.",
        discussion: "Prints volume, surface area, Sabine and Eyring RT60 per octave band, and each speaker's distance, azimuth and elevation seen from the listener with its nearest surfaces. Exits with status 1 naming the JSON path of the first problem.")

    @Argument(help: "Room files (JSON).")
    var rooms: [String]

    func run() throws {
        var failed = false
        for (i, path) in rooms.enumerated() {
            do {
                let scene = try loadRoom(path)
                // The HRTF is opened as a simulation would open it: a missing, empty or non-SOFA file
                // fails here, not after a simulation's work.
                if case .file(let sofa) = scene.listener.hrtf {
                    do { _ = try HRTFSet(path: sofa, sampleRate: Double(scene.simulation.sampleRate)) } catch {
                        throw InputError(file: path, reason: "listener.hrtf: \(error)")
                    }
                }
                // The work a simulation of it would do, refused here as `simulate` would refuse it.
                let plan = scene.resolve()
                do { try WorkEstimate(scene: scene, plan: plan).check(scene: scene, plan: plan) } catch let e as SceneError {
                    throw InputError(file: path, reason: e.description)
                }
                if i > 0 { print("") }
                print(scene.summary())
            } catch {
                printError(SoundstageCommand.describe(error))
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}
