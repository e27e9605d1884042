import Foundation

/// A head turned away from the room file's listener orientation: `yawDegrees` about the vertical
/// (+ = to the left, SPEC §1) and `pitchDegrees` (+ = up), added to the listener's own yaw and
/// pitch. The ears stay on the horizontal ear axis (pitch turns the head about it), so the wave
/// part's ears depend on the yaw alone (`WaveResponse.ears(yawDegrees:)`).
public struct HeadOrientation: Sendable, Equatable, Hashable {
    public var yawDegrees: Double
    public var pitchDegrees: Double

    public init(yawDegrees: Double = 0, pitchDegrees: Double = 0) {
        (self.yawDegrees, self.pitchDegrees) = (yawDegrees, pitchDegrees)
    }

    public static let straight = HeadOrientation()

    /// The head's orientation in room coordinates for `listener`.
    public func orientation(of listener: Listener) -> Orientation {
        Orientation(yawDegrees: listener.yawDegrees + yawDegrees, pitchDegrees: listener.pitchDegrees + pitchDegrees, reference: Vec3(0, 1, 0))
    }

    /// The direction of an arrival given in `listener`'s head frame (SOFA azimuth/elevation, degrees)
    /// as seen by this turned head.
    public func turned(azimuth: Double, elevation: Double, listener: Listener) -> (azimuth: Double, elevation: Double) {
        if self == .straight { return (azimuth, elevation) }
        let base = listener.orientation, head = orientation(of: listener)
        let a = radians(azimuth), e = radians(elevation)
        let baseLeft = base.up.cross(base.forward), headLeft = head.up.cross(head.forward)
        let d = base.forward * (cos(e) * cos(a)) + baseLeft * (cos(e) * sin(a)) + base.up * sin(e)
        let x = d.dot(head.forward), y = d.dot(headLeft), z = d.dot(head.up)
        return (degrees(atan2(y, x)), degrees(asin(max(-1, min(1, z)))))
    }

    /// Every (yaw, pitch) of two ranges, pitch varying slowest.
    public static func grid(yaw: AngleRange, pitch: AngleRange) -> [HeadOrientation] {
        pitch.values.flatMap { p in yaw.values.map { HeadOrientation(yawDegrees: $0, pitchDegrees: p) } }
    }
}

/// Angles from `from` to `to` (inclusive) in steps of `step` degrees, written FROM:TO:STEP.
public struct AngleRange: Sendable, Equatable {
    public let from: Double, to: Double, step: Double
    /// The most angles a range may hold (0.1° steps round the circle).
    public static let maximumCount = 3601

    public init(from: Double, to: Double, step: Double) throws {
        guard from.isFinite, to.isFinite, step.isFinite else { throw AngleRangeError("angles must be finite numbers") }
        guard (-360...360).contains(from), (-360...360).contains(to) else { throw AngleRangeError("angles must lie within ±360°") }
        guard to >= from else { throw AngleRangeError("TO (\(to)) is below FROM (\(from))") }
        guard step > 0 || to == from else { throw AngleRangeError("STEP must be above 0") }
        let count = to == from ? 1 : Int(((to - from) / step + 1e-9).rounded(.down)) + 1
        guard count <= AngleRange.maximumCount else { throw AngleRangeError("\(count) angles; at most \(AngleRange.maximumCount)") }
        (self.from, self.to, self.step) = (from, to, step)
    }

    /// Parses "FROM:TO:STEP" (or one angle, "A").
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        if parts.count == 1, let a = parts[0] { try self.init(from: a, to: a, step: 1); return }
        guard parts.count == 3, let f = parts[0], let t = parts[1], let s = parts[2] else {
            throw AngleRangeError("'\(text)' is not FROM:TO:STEP in degrees (e.g. -90:90:2)")
        }
        try self.init(from: f, to: t, step: s)
    }

    public var values: [Double] {
        if to == from { return [from] }
        let count = Int(((to - from) / step + 1e-9).rounded(.down)) + 1
        return (0..<count).map { from + Double($0) * step }
    }
}

public struct AngleRangeError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
