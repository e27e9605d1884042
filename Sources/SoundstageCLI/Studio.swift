import ArgumentParser
import Synchronization
import Foundation
import Soundstage
import SoundstageStudio

struct Studio: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open a room in the browser: move the speakers and the seat, see the metrics, hear it on your IEMs.",
        discussion: """
        Serves a local web page (SPEC §8) at http://127.0.0.1:PORT/: the room to scale, speakers and listener \
        dragged or typed, metrics, the seat's response, first reflections and the echogram after every edit, \
        music played through the current BRIRs in the browser with A/B against a pinned setup and an IEM EQ \
        file, the optimizer's map as an overlay, and the edited room saved as a new room file beside ROOM. \
        While a speaker is dragged the page asks for a preview (at most 4000 rays, image order 3, wave part \
        to 120 Hz), on release for the room's own quality. The room file itself is never written. Stop with Ctrl-C.
        """)

    @Argument(help: "Room file (JSON).") var room: String
    @Option(parsing: .unconditional, help: "TCP port (0: any free port).") var port: Int = 8765
    @Option(help: "Address to listen on. The default serves this machine only; any other address lets the network drive the studio.") var host: String = "127.0.0.1"
    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).") var threads: Int?

    func run() throws {
        guard (0...65535).contains(port) else { throw OptionError(option: "--port", reason: "must be 0 to 65535") }
        let threadCount = threads ?? defaultThreadCount
        guard (1...1024).contains(threadCount) else { throw OptionError(option: "--threads", reason: "must be 1 to 1024") }
        _ = try loadRoom(room)
        let session = try StudioSession(roomPath: room, threads: threadCount)
        if !StudioServer.isLoopback(host) {
            note("warning: --host \(host): the studio is reachable from other machines on that network, and it runs simulations and saves room files for whoever reaches it")
        }
        let server = StudioServer(session: session, host: host, port: port)
        let outcome = Mutex<Error?>(nil)
        let done = DispatchSemaphore(value: 0)
        let shown = host.contains(":") ? "[\(host)]" : host
        Task {
            do {
                // SIGINT and SIGTERM are the command line's (`Signals`): the studio has nothing unfinished to remove.
                try await server.run(onRunning: { port in
                    FileHandle.standardOutput.write(Data("Soundstage studio: http://\(shown):\(port)/  (\(session.roomPath); Ctrl-C stops)\n".utf8))
                }, handlesSignals: false)
            } catch {
                outcome.withLock { $0 = error }
            }
            done.signal()
        }
        done.wait()
        if let error = outcome.withLock({ $0 }) { throw InputError(file: "\(shown):\(port)", reason: "\(error)") }
    }
}
