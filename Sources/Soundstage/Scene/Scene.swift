import Foundation

/// A validated, resolved room: what every later stage consumes. Independent of JSON.
///
/// Invariants (checked by `SceneBuilder`): every surface is a planar polygon with a unit normal
/// pointing into the room's air and a material per band; speakers and the listener lie inside the
/// room, outside every object, at least `SceneBuilder.minimumClearance` from walls and each other.
public struct Scene: Sendable {
    public var name: String
    /// The room's own closed boundary (without objects), with containment and nearest-wall queries.
    public var boundary: RoomBoundary
    public var shape: RoomShape { boundary.shape }
    /// Every reflecting boundary: the room's own surfaces, then the objects' faces.
    public var surfaces: [Surface]
    public var objects: [SceneObject]
    public var speakers: [Speaker]
    public var listener: Listener
    public var air: Air
    public var simulation: SimulationSettings
    /// Room volume in m³ (the air volume: the objects' volumes are subtracted).
    public var volume: Double
    /// Where the room file lives (for messages and resolving relative paths); nil when built in memory.
    public var sourcePath: String?
    /// The stereo layout that placed the speakers, when the room file gave one (`StereoLayout`).
    public var stereoLayout: StereoLayout? = nil
    /// The room file's `optimize` block (SPEC §7), when it has one.
    public var optimize: PlacementSearchSpace? = nil
}

/// How the room's boundary was described.
public enum RoomShape: Sendable, Equatable {
    case shoebox(width: Double, length: Double, height: Double)
    /// Extruded simple polygon, counter-clockwise seen from above.
    case floorPlan(points: [Vec2], height: Double)
    /// Closed polyhedral mesh read from `file`.
    case mesh(file: String)
}

/// One reflecting polygon with its material.
public struct Surface: Sendable {
    /// Surface name: `floor`, `front`, `wall-3`, a mesh material name, or an object's name.
    public var name: String
    public var polygon: Polygon
    public var material: Material
    /// Name of the object this face belongs to, nil for the room's own boundary.
    public var objectName: String?
    /// For a patch (`SurfacePatch`): the name of the room surface it lies on.
    public var patchOf: String? = nil
}

/// A box inside the room (desk, sofa, console): it reflects and occludes.
public struct SceneObject: Sendable {
    public var name: String
    public var minCorner: Vec3
    public var maxCorner: Vec3
    public var material: Material

    /// An axis-aligned box (desk, sofa, console) with its material; it reflects and occludes.
    public init(name: String, minCorner: Vec3, maxCorner: Vec3, material: Material) {
        (self.name, self.minCorner, self.maxCorner, self.material) = (name, minCorner, maxCorner, material)
    }

    /// Whether `point` lies strictly inside the box, shrunk by `margin` metres.
    public func contains(_ point: Vec3, margin: Double = 0) -> Bool {
        all(point .> minCorner + margin) && all(point .< maxCorner - margin)
    }

    /// Distance from `point` to the box (0 inside).
    public func distance(to point: Vec3) -> Double {
        let d = simd_max(simd_max(minCorner - point, point - maxCorner), .zero)
        return d.length
    }

    public var volume: Double { let s = maxCorner - minCorner; return s.x * s.y * s.z }
}

@inlinable func simd_max(_ a: Vec3, _ b: Vec3) -> Vec3 { Vec3(max(a.x, b.x), max(a.y, b.y), max(a.z, b.z)) }

/// An orientation in room coordinates: where the front points, and which way is up.
public struct Orientation: Sendable, Equatable {
    /// Unit vector along the main axis (a speaker's on-axis direction, a listener's nose).
    public var forward: Vec3
    /// Unit vector perpendicular to `forward`, the top of the cabinet or head.
    public var up: Vec3

    /// From yaw and pitch in degrees. Yaw turns counter-clockwise seen from above (toward −x
    /// for a listener facing +y, i.e. to the listener's left); pitch tilts up. `reference` is the
    /// horizontal direction at yaw 0.
    public init(yawDegrees yaw: Double, pitchDegrees pitch: Double, reference: Vec3) {
        let a0 = atan2(reference.y, reference.x) + radians(yaw)
        let p = radians(pitch)
        forward = Vec3(cos(p) * cos(a0), cos(p) * sin(a0), sin(p))
        up = Vec3(-sin(p) * cos(a0), -sin(p) * sin(a0), cos(p))
    }

    /// Pointing along `direction` (need not be unit), with the up vector as level as possible.
    public init(facing direction: Vec3) {
        let f = direction.normalized
        forward = f
        let horizontal = Vec3(0, 0, 1).cross(f)
        up = horizontal.length > 1e-9 ? f.cross(horizontal).normalized : Vec3(1, 0, 0).cross(f).normalized
    }

    /// Yaw in degrees relative to `reference` (counter-clockwise positive) and pitch in degrees.
    public func yawPitch(reference: Vec3) -> (yaw: Double, pitch: Double) {
        var yaw = degrees(atan2(forward.y, forward.x) - atan2(reference.y, reference.x))
        if yaw > 180 { yaw -= 360 }
        if yaw <= -180 { yaw += 360 }
        return (yaw, degrees(asin(max(-1, min(1, forward.z)))))
    }
}

/// How a speaker radiates, per band, as a function of the angle off its axis.
public enum Directivity: Sendable, Equatable {
    case omni
    /// First-order cardioid, pressure gain (1 + cos θ)/2.
    case cardioid
    /// A typical 2-way studio monitor: near-omni at low frequencies, narrowing with frequency.
    case monitor
    /// Rigid circular piston in an infinite baffle, radius in metres: 2 J₁(ka sin θ)/(ka sin θ).
    case piston(radius: Double)
    /// Measured table: attenuation in dB (≤ 0 is quieter) at off-axis `angles` (degrees, 0…180,
    /// increasing) per band, interpolated linearly in angle; axisymmetric.
    case table(angles: [Double], attenuationDB: [BandValues])
    /// From a loudspeaker's measured polar data: per band, horizontal and vertical planes, and its
    /// on-axis response (`MeasuredDirectivity`).
    case measured(MeasuredDirectivity)

    /// The measurement, for a measured speaker.
    public var measurement: MeasuredDirectivity? { if case .measured(let m) = self { return m }; return nil }
}

/// A loudspeaker in the room.
public struct Speaker: Sendable {
    public var name: String
    public var position: Vec3
    public var orientation: Orientation
    public var directivity: Directivity
    /// Which input channel drives it: 0-based index into the music file's channels.
    public var channel: Int
    /// Level trim in dB and delay in seconds applied to this speaker.
    public var gainDB: Double
    public var delaySeconds: Double

    public init(name: String, position: Vec3, orientation: Orientation, directivity: Directivity, channel: Int, gainDB: Double, delaySeconds: Double) {
        (self.name, self.position, self.orientation, self.directivity, self.channel, self.gainDB, self.delaySeconds) =
            (name, position, orientation, directivity, channel, gainDB, delaySeconds)
    }
}

/// Where the listener's HRTF comes from.
public enum HRTFSource: Sendable, Equatable {
    /// The MIT KEMAR set that libmysofa installs (`/usr/share/libmysofa/default.sofa`).
    case `default`
    /// Any AES69 SOFA file (absolute path, or resolved against the room file's folder).
    case file(String)
}

/// The listener: ear-axis centre, head orientation and HRTF.
public struct Listener: Sendable {
    public var position: Vec3
    /// Head yaw (+ = turned left) and pitch (+ = up) in degrees; 0/0 faces the front wall (+y).
    public var yawDegrees: Double
    public var pitchDegrees: Double
    public var hrtf: HRTFSource
    /// Whether the HRTF set is diffuse-field equalized (the default, for headphones and IEMs).
    public var hrtfEqualization: HRTFEqualization = .diffuseField

    /// The listener at `position` (the centre of the ear axis), facing the front wall (+y) turned by
    /// `yawDegrees` (+ = left) and `pitchDegrees` (+ = up).
    public init(position: Vec3, yawDegrees: Double = 0, pitchDegrees: Double = 0, hrtf: HRTFSource = .default,
                hrtfEqualization: HRTFEqualization = .diffuseField) {
        (self.position, self.yawDegrees, self.pitchDegrees, self.hrtf, self.hrtfEqualization) = (position, yawDegrees, pitchDegrees, hrtf, hrtfEqualization)
    }

    public var orientation: Orientation {
        Orientation(yawDegrees: yawDegrees, pitchDegrees: pitchDegrees, reference: Vec3(0, 1, 0))
    }

    /// Azimuth (SOFA: 0 ahead, +90 left) and elevation (+90 up) in degrees of `point`, in the head frame.
    public func direction(of point: Vec3) -> (azimuth: Double, elevation: Double, distance: Double) {
        let d = point - position
        let o = orientation
        let left = o.up.cross(o.forward)
        let x = d.dot(o.forward), y = d.dot(left), z = d.dot(o.up)
        let r = d.length
        return (degrees(atan2(y, x)), degrees(asin(max(-1, min(1, z / max(r, 1e-12))))), r)
    }
}

/// How the HRTF set is equalized before use (see `DiffuseFieldEqualizer`).
public enum HRTFEqualization: String, Sendable, Equatable {
    case diffuseField = "diffuse-field"
    case none
}

/// The air: temperature, humidity and the speed of sound.
public struct Air: Sendable, Equatable {
    public var temperatureCelsius: Double
    /// Relative humidity in percent.
    public var relativeHumidity: Double
    /// Atmospheric pressure in kPa (ISO 9613-1 reference 101.325 kPa).
    public var pressureKilopascal: Double
    /// Speed of sound in m/s.
    public var speedOfSound: Double

    public init(temperatureCelsius: Double = 20, relativeHumidity: Double = 50,
                pressureKilopascal: Double = 101.325, speedOfSound: Double? = nil) {
        self.temperatureCelsius = temperatureCelsius
        self.relativeHumidity = relativeHumidity
        self.pressureKilopascal = pressureKilopascal
        self.speedOfSound = speedOfSound ?? AirAbsorption.speedOfSound(celsius: temperatureCelsius)
    }
}

/// A setting that is either chosen by the engine or given.
public enum AutoOr<Value: Sendable & Equatable>: Sendable, Equatable {
    case auto
    case value(Value)
}

/// The `simulation` block, after defaults.
public struct SimulationSettings: Sendable, Equatable {
    public var sampleRate: Int = 48000
    public var durationSeconds: AutoOr<Double> = .auto
    public var maxOrder: AutoOr<Int> = .auto
    public var rays: AutoOr<Int> = .auto
    /// Radius of the ray tracer's receiver sphere (metres).
    public var receiverRadius: AutoOr<Double> = .auto
    public var seed: UInt64 = 1
    public var airAbsorption = true
    public var scattering = true
    /// Finite-surface (diffraction) scattering in the ray tracer (Christensen & Rindel 2005).
    public var diffraction = true
    /// High-pass corner in Hz; 0 = off.
    public var highpassHertz: Double = 10
    /// The wave solver below a crossover (SPEC §6).
    public var wave: WaveSetting = .auto
    public init() {}
}

extension Scene {
    /// Whether `point` is in the room's air: inside the boundary and outside every object.
    public func contains(_ point: Vec3) -> Bool {
        boundary.contains(point) && !objects.contains { $0.contains(point) }
    }
}
