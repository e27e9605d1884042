import Dispatch
import Foundation

/// Runs `body(i)` for i in 0..<count on at most `threads` threads. Items are handed out one at a
/// time; each item must write only its own output, so the result does not depend on the thread
/// count or the schedule.
public func parallelFor(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
    let workers = max(1, min(threads, count))
    if workers == 1 {
        for i in 0..<count { body(i) }
        return
    }
    let next = Counter()
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
        while true {
            let i = next.take()
            if i >= count { break }
            body(i)
        }
    }
}

final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func take() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value - 1 }
    /// Adds `n`; returns the new total.
    func add(_ n: Int) -> Int { lock.lock(); defer { lock.unlock() }; value += n; return value }
}

/// Slots written by distinct parallel work items (each index by one item only).
public final class Slots<T>: @unchecked Sendable {
    private var values: [T?]
    private let lock = NSLock()
    public init(count: Int) { values = Array(repeating: nil, count: count) }
    public subscript(i: Int) -> T? {
        get { lock.lock(); defer { lock.unlock() }; return values[i] }
        set { lock.lock(); values[i] = newValue; lock.unlock() }
    }
    /// Every slot's value, in index order (after all items have finished).
    public var all: [T] { lock.lock(); defer { lock.unlock() }; return values.map { $0! } }
}

/// The number of CPU cores, the default for `--threads`.
public var defaultThreadCount: Int { ProcessInfo.processInfo.activeProcessorCount }

/// A raw pointer handed to parallel work items that each touch their own part of the memory.
struct SendablePointer: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
}
