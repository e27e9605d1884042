import Foundation

/// A point or direction in room coordinates, metres (SPEC §1: x right, y toward the front wall, z up).
public typealias Vec3 = SIMD3<Double>

extension SIMD3 where Scalar == Double {
    @inlinable public func dot(_ other: Vec3) -> Double { (self * other).sum() }

    @inlinable public func cross(_ o: Vec3) -> Vec3 {
        Vec3(y * o.z - z * o.y, z * o.x - x * o.z, x * o.y - y * o.x)
    }

    @inlinable public var length: Double { dot(self).squareRoot() }

    /// Unit vector in the same direction (the zero vector stays zero).
    @inlinable public var normalized: Vec3 {
        let l = length
        return l > 0 ? self / l : self
    }

    @inlinable public func distance(to other: Vec3) -> Double { (self - other).length }

    /// Formats as `(x, y, z)` with centimetre resolution, for messages.
    public var formatted: String {
        String(format: "(%.2f, %.2f, %.2f)", x, y, z)
    }

    /// True when every component is finite.
    public var isFinite: Bool { x.isFinite && y.isFinite && z.isFinite }
}

/// A point on the floor plan, metres.
public typealias Vec2 = SIMD2<Double>

extension SIMD2 where Scalar == Double {
    /// z-component of the 2-D cross product.
    @inlinable public func cross(_ o: Vec2) -> Double { x * o.y - y * o.x }
    @inlinable public var length: Double { (x * x + y * y).squareRoot() }
    @inlinable public func dot(_ o: Vec2) -> Double { x * o.x + y * o.y }
}

/// Degrees ↔ radians.
@inlinable public func radians(_ degrees: Double) -> Double { degrees * .pi / 180 }
@inlinable public func degrees(_ radians: Double) -> Double { radians * 180 / .pi }
