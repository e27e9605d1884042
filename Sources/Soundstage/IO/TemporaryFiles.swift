import Foundation
import Synchronization

/// The process's temporary outputs in progress (files and staging folders), so that an interrupted
/// run removes them all and leaves every previous output as it was.
///
/// Writers register a temporary path before creating it and unregister it once it has been renamed
/// into place or removed. `removeAll()` (called when SIGINT or SIGTERM arrives) deletes every
/// registered path and closes the registry: a writer that registers afterwards is refused, so no
/// new temporary file appears while the process exits. Renames that publish outputs run inside
/// `publish`, which `removeAll()` waits for — a set of outputs is moved into place whole or not at all.
public enum TemporaryFiles {
    private struct State {
        var paths = Set<String>()
        var closed = false
    }
    private static let state = Mutex(State())

    /// Thrown by `register` once the process is shutting down after a signal.
    public struct Interrupted: Error, CustomStringConvertible {
        public var description: String { "interrupted" }
    }

    /// Records `path` as a temporary output; throws `Interrupted` after `removeAll()`.
    public static func register(_ path: String) throws {
        try state.withLock { s in
            guard !s.closed else { throw Interrupted() }
            s.paths.insert(path)
        }
    }

    public static func unregister(_ path: String) {
        _ = state.withLock { $0.paths.remove(path) }
    }

    /// Runs `body` (renames that publish outputs) with no removal in between.
    public static func publish<R>(_ body: () throws -> R) throws -> R {
        try state.withLock { s in
            guard !s.closed else { throw Interrupted() }
            return try body()
        }
    }

    /// Removes every registered temporary path (file or folder) and refuses new ones.
    public static func removeAll() {
        let paths: Set<String> = state.withLock { s in
            s.closed = true
            defer { s.paths.removeAll() }
            return s.paths
        }
        for p in paths { try? FileManager.default.removeItem(atPath: p) }
    }

    /// A unique temporary name beside `path`: `.<name>.tmp-<pid>-<random>` (hidden, and naming the
    /// process that made it, so `removeStale` can tell a killed run's leftovers from a live one's).
    public static func sibling(of path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
    }

    /// Removes temporary files and folders in `folder` left by processes that no longer run
    /// (a run killed with SIGKILL, or a power cut, cannot clean up after itself).
    public static func removeStale(in folder: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasPrefix(".") {
            guard let range = name.range(of: ".tmp-", options: .backwards) else { continue }
            let rest = name[range.upperBound...]
            guard let pid = rest.split(separator: "-").first.flatMap({ Int32($0) }), pid > 0 else { continue }
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(name))
            }
        }
    }
}
