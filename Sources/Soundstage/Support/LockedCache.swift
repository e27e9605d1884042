import Synchronization

/// A small thread-safe cache (first-in, first-out beyond `limit` entries).
final class LockedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State { var entries: [Key: Value] = [:]; var order: [Key] = [] }
    private let state = Mutex(State())
    private let limit: Int
    init(limit: Int) { self.limit = limit }
    func value(for key: Key) -> Value? { state.withLock { $0.entries[key] } }
    func store(_ value: Value, for key: Key) {
        state.withLock { s in
            if s.entries[key] == nil { s.order.append(key) }
            s.entries[key] = value
            if s.order.count > limit { s.entries[s.order.removeFirst()] = nil }
        }
    }
}
