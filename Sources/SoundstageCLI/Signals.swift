import Dispatch
import Foundation
import Soundstage
import Synchronization

/// SIGINT (Ctrl-C) and SIGTERM: every temporary output in progress is removed, outputs already in
/// place stay as they were (a set being renamed into place is finished first, see
/// `TemporaryFiles.publish`), one line says so, and the process exits with 128 + the signal number.
/// The signals are taken through `DispatchSource`s on a queue of their own, so the handler is plain
/// code (locks, file removal) rather than a signal handler, where neither is allowed.
enum Signals {
    private static let queue = DispatchQueue(label: "soundstage.signals")
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    /// Set by the handler before it removes anything.
    private static let received = Atomic<Int32>(0)

    /// Called before the process exits on its own: when a signal has arrived, the handler owns the
    /// exit (its cleanup may be what made the command fail), so this waits for it.
    static func settle() {
        guard received.load(ordering: .acquiring) != 0 else { return }
        while true { sleep(1) }
    }

    static func install() {
        for (number, name) in [(SIGINT, "interrupted"), (SIGTERM, "terminated")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                received.store(number, ordering: .releasing)
                TemporaryFiles.removeAll()
                let line = "soundstage: \(name); unfinished outputs removed, earlier outputs unchanged\n"
                _ = line.withCString { write(2, $0, strlen($0)) }
                _exit(128 + number)
            }
            source.resume()
            sources.append(source)
        }
    }
}
