import Foundation

/// A computed acoustic parameter: a value, or the reason it cannot be computed (never a made-up number).
public struct Parameter: Codable, Sendable, Equatable {
    public var value: Double?
    public var missing: String?

    public static func of(_ v: Double) -> Parameter { v.isFinite ? Parameter(value: v, missing: nil) : .missing("not finite") }
    public static func missing(_ reason: String) -> Parameter { Parameter(value: nil, missing: reason) }

    /// The value formatted for a table, or "—".
    public func formatted(_ format: String) -> String { value.map { String(format: format, $0) } ?? "—" }
}
