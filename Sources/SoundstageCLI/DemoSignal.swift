import ArgumentParser
import Foundation
import Soundstage

struct DemoSignal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-signal",
        abstract: "Write an 8-second stereo test piece: a plucked line on the left, percussive noise in the centre, a bass line on the right, then all three.")

    @Argument(help: "Output WAV file.") var file: String

    func run() throws {
        try AudioFile.write(DemoPiece.make(), to: file, format: .wavFloat32)
        print("wrote \(file): 8 s, stereo, 48 kHz (left: plucked line; centre: percussion; right: bass; then all)")
    }
}
