import Foundation
import Synchronization

/// A one-line progress bar on standard error — percentage, speed and time left — drawn only when
/// standard error is a terminal, at most ten times a second, from any thread.
final class ProgressBar: Sendable {
    private let label: String
    private let total: Double
    private let speed: @Sendable (_ donePerSecond: Double) -> String
    private let start = Date()
    private let last = Mutex(Date.distantPast)
    private let enabled = isatty(2) != 0

    /// `speed` formats the rate of progress (units of `total` per second), e.g. "12 k rays/s".
    init(_ label: String, total: Double, speed: @escaping @Sendable (Double) -> String) {
        self.label = label
        self.total = max(total, 1e-300)
        self.speed = speed
    }

    func update(_ done: Double) {
        guard enabled else { return }
        last.withLock { last in
            let now = Date()
            guard now.timeIntervalSince(last) >= 0.1 else { return }
            last = now
            let elapsed = now.timeIntervalSince(start)
            let fraction = min(1, max(0, done / total))
            let width = 24, filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let rate = elapsed > 0 ? done / elapsed : 0
            let eta = rate > 0 ? (total - done) / rate : 0
            let line = String(format: "\r%@ [%@] %3.0f %%  %@  ETA %@ ", label, bar, fraction * 100, speed(rate), ProgressBar.clock(eta))
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// Clears the line.
    func finish() {
        guard enabled else { return }
        last.withLock { _ in FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: 100) + "\r").utf8)) }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
