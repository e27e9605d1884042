import Dispatch
import Foundation
import Synchronization

/// Runs `body(i)` for i in 0..<count on at most `threads` threads. Items are handed out one at a
/// time; each item must write only its own output, so the result does not depend on the thread
/// count or the schedule.
func parallelFor(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
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

/// A shared counter.
final class Counter: Sendable {
    private let value = Mutex(0)
    /// Returns the current value and increments it.
    func take() -> Int { value.withLock { v in v += 1; return v - 1 } }
    /// Adds `n`; returns the new total.
    func add(_ n: Int) -> Int { value.withLock { v in v += n; return v } }
}

/// Slots written by distinct parallel work items (each index by one item only), read in index order
/// afterwards — the fixed merge order that keeps results independent of the thread count.
final class Slots<T: Sendable>: Sendable {
    private let values: Mutex<[T?]>
    public init(count: Int) { values = Mutex(Array(repeating: nil, count: count)) }
    public subscript(i: Int) -> T? {
        get { values.withLock { $0[i] } }
        set { values.withLock { $0[i] = newValue } }
    }
    /// Every slot's value, in index order (after all items have finished).
    public var all: [T] { values.withLock { $0.map { $0! } } }
}

/// The number of CPU cores, the default for `--threads`.
public var defaultThreadCount: Int { ProcessInfo.processInfo.activeProcessorCount }

/// A raw pointer handed to parallel work items that each touch their own, disjoint part of the
/// memory it points to (the pointer itself never changes).
struct SendablePointer: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
    var floats: UnsafeMutablePointer<Float> { raw.assumingMemoryBound(to: Float.self) }
}
