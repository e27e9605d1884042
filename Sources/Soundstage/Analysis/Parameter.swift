import Foundation

/// A computed acoustic parameter: a value, or the reason it cannot be computed (never a made-up number).
public struct Parameter: Codable, Sendable, Equatable {
    public var value: Double?
    public var missing: String?
    /// Standard error of a simulated value from the ray tracer's counting noise (balanced half-samples
    /// of its eight independent ray batches, `HalfSamples`); absent for a deterministic value or a measured one.
    public var uncertainty: Double?

    public static func of(_ v: Double) -> Parameter { v.isFinite ? Parameter(value: v, missing: nil, uncertainty: nil) : .missing("not finite") }
    public static func missing(_ reason: String) -> Parameter { Parameter(value: nil, missing: reason, uncertainty: nil) }

    /// Whether `other` differs from this value by less than twice the combined standard error
    /// (|Δ| < 2√(σ₁² + σ₂²), about 95 % for normal errors): a difference the noise could make.
    /// False when either has no value or no uncertainty.
    public func isIndistinguishable(from other: Parameter) -> Bool {
        guard let a = value, let b = other.value, let s = uncertainty, let t = other.uncertainty else { return false }
        return abs(a - b) < 2 * (s * s + t * t).squareRoot()
    }

    /// The value formatted for a table, or "—".
    public func formatted(_ format: String) -> String { value.map { String(format: format, $0) } ?? "—" }

    /// The value with "±σ" when it has an uncertainty (σ in the same format, without a sign), or "—".
    public func formattedWithUncertainty(_ format: String) -> String {
        guard let u = uncertainty, value != nil else { return formatted(format) }
        return formatted(format) + "±" + String(format: format.replacingOccurrences(of: "+", with: ""), u)
    }

    /// The mark `compare` gives a value that does not differ significantly from the first room's
    /// (same speaker, `isIndistinguishable`), and its note.
    public static let alikeMark = "≈"
    public static let alikeNote = "≈ not significantly different from the first room's value for this speaker: the difference is within "
        + "twice the two runs' combined counting noise (|Δ| < 2√(σ₁² + σ₂²))"

    /// The note that explains "±" in a summary.
    public static let uncertaintyNote = "± the standard error of the ray tracer's counting noise (balanced halves of its 8 independent "
        + "ray batches): another seed moves the value by about this much; more rays (--rays) shrink it as 1/√rays"

}
