import Foundation

/// One specular path from a speaker to the listener, found by the image-source method.
///
/// The pressure amplitude of the path in band b is `bandGains[b] / (4π · distance)`: the free-field
/// Green's function 1/(4πr) (SPEC §2) times the product of the wall reflection factors √(1 − α),
/// the air absorption exp(−m r / 2) (ISO 9613-1) and the speaker's directivity toward the emission
/// direction, and the speaker's gain.
public struct Path: Sendable {
    /// Number of reflections (0 = the direct sound).
    public var order: Int
    /// Indices into `Scene.surfaces` of the surfaces hit, in order from the speaker.
    public var surfaces: [Int]
    /// Where the path meets each surface, in the same order (metres).
    public var reflectionPoints: [Vec3]
    /// Length of the path, metres (= distance from the image source to the listener).
    public var distance: Double
    /// Arrival time after the speaker emits, seconds: distance / c plus the speaker's delay.
    public var delaySeconds: Double
    /// Amplitude factor per band, without the 1/(4π r) spreading (see above).
    public var bandGains: BandValues
    /// Direction the sound arrives from, in the listener's head frame (SOFA convention), degrees.
    public var azimuth: Double
    public var elevation: Double

    /// Level per band in dB relative to the direct sound of the same speaker at 1 m on axis:
    /// 20 log₁₀(gain / distance).
    public var levelsDB: [Double] { bandGains.values.map { 20 * log10(max($0, 1e-30) / distance) } }
}
