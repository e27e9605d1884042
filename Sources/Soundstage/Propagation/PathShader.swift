import Foundation

/// Turns a specular path's geometry into per-band amplitude factors (without 1/(4πr)) and adds it
/// to a `BandAccumulator`: the shared "shade" step of both image-source engines.
struct PathShader: Sendable {
    let bandCount: Int
    let speaker: Speaker
    let sampleRate: Double
    let speedOfSound: Double
    /// Energy attenuation of air per band, 1/m (zero when air absorption is off).
    let airCoefficients: [Double]
    /// Directivity gain per band tabulated over θ = 0…π in `directivitySteps` steps.
    let directivity: [Float]
    static let directivitySteps = 1024
    let omni: Bool
    let linearGain: Double
    let table = FractionalDelayTable.shared
    /// Air absorption is on (some band's coefficient is not zero).
    let hasAir: Bool
    /// A measured speaker's directivity, read per direction (its roll about the axis matters).
    let measured: MeasuredDirectivity?

    init(scene: Scene, speaker: Speaker, bandCount: Int) {
        self.bandCount = bandCount
        self.speaker = speaker
        sampleRate = Double(scene.simulation.sampleRate)
        speedOfSound = scene.air.speedOfSound
        airCoefficients = scene.simulation.airAbsorption ? AirAbsorption.energyCoefficients(air: scene.air).values
            : Array(repeating: 0, count: FrequencyBands.octaves.count)
        omni = speaker.directivity.isOmni
        measured = speaker.directivity.measurement
        let steps = PathShader.directivitySteps
        var d = [Float](repeating: 1, count: bandCount * (steps + 1))
        for b in 0..<bandCount {
            for i in 0...steps {
                d[b * (steps + 1) + i] = Float(speaker.directivity.gain(band: b, angle: Double(i) / Double(steps) * .pi, speedOfSound: scene.air.speedOfSound))
            }
        }
        directivity = d
        linearGain = pow(10, speaker.gainDB / 20)
        hasAir = airCoefficients.contains { $0 != 0 }
    }

    /// Per band b (lane b; lanes beyond the bands repeat the last): the pressure factor of air
    /// absorption over `distance` metres, exp(−½ m_b d).
    func airFactors(distance: Double) -> SIMD8<Float> {
        SIMD8<Float>((0..<8).map { Float(exp(-0.5 * airCoefficients[min($0, bandCount - 1)] * distance)) })
    }

    /// Per band: ½ m_b, the amplitude's attenuation coefficient (1/m) — for air absorption applied
    /// to many arrivals at once by their path length (`ArrivalGrid.attenuate`).
    var airAmplitudeCoefficients: SIMD8<Double> {
        SIMD8<Double>((0..<8).map { 0.5 * airCoefficients[min($0, bandCount - 1)] })
    }

    /// `gains(reflection:emission:distance:into:)` for all bands at once, without air absorption
    /// (`airFactors`): lane b is band b (lanes at and above `bandCount` repeat the last band's value
    /// when `reflection`'s do).
    @inline(__always)
    func gainsWithoutAir(reflection: SIMD8<Float>, emission: Vec3) -> SIMD8<Float> {
        var g = reflection * Float(linearGain)
        if let measured {
            let at = rollPosition(emission)
            for b in 0..<bandCount { g[b] *= Float(pow(10, measured.levelDB(band: b, offAxis: at.theta, cos2: at.cos2, up: at.up) / 20)) }
            for b in bandCount..<8 { g[b] = g[bandCount - 1] }
        } else if !omni {
            let at = directivityPosition(emission)
            for b in 0..<bandCount { g[b] *= directivityGain(band: b, at: at) }
            for b in bandCount..<8 { g[b] = g[bandCount - 1] }
        }
        return g
    }

    /// Where `emission` leaves a measured speaker: angle to the axis, cos² of the roll angle from
    /// the speaker's horizontal plane, and whether it points above the axis.
    @inline(__always)
    func rollPosition(_ emission: Vec3) -> (theta: Double, cos2: Double, up: Bool) {
        let o = speaker.orientation, length = max(emission.length, 1e-300)
        let x = emission.dot(o.forward) / length, y = emission.dot(o.up.cross(o.forward)) / length, z = emission.dot(o.up) / length
        let side = y * y + z * z
        return (acos(max(-1, min(1, x))), side > 1e-24 ? y * y / side : 1, z > 0)
    }

    /// Where `emission` falls in the directivity table: row index and fraction (angle to the axis).
    @inline(__always)
    func directivityPosition(_ emission: Vec3) -> (Int, Float) {
        let cosine = max(-1, min(1, emission.dot(speaker.orientation.forward) / max(emission.length, 1e-300)))
        let index = acos(cosine) / .pi * Double(PathShader.directivitySteps)
        let i0 = min(Int(index), PathShader.directivitySteps - 1)
        return (i0, Float(index - Double(i0)))
    }

    /// Band `band`'s directivity gain at a table position, interpolated linearly.
    @inline(__always)
    func directivityGain(band: Int, at position: (Int, Float)) -> Float {
        let (i0, t) = position, row = band * (PathShader.directivitySteps + 1)
        return directivity[row + i0] * (1 - t) + directivity[row + i0 + 1] * t
    }

    /// Band gains of a path of length `distance` leaving the speaker along `emission` (need not be
    /// unit length) after walls whose combined pressure reflection factors are `reflection`.
    @inline(__always)
    func gains(reflection: UnsafePointer<Double>, emission: Vec3, distance: Double, into out: UnsafeMutablePointer<Float>) {
        let at = omni || measured != nil ? (0, 0) : directivityPosition(emission)
        let roll = measured == nil ? (theta: 0, cos2: 1, up: true) : rollPosition(emission)
        for b in 0..<bandCount {
            let air = airCoefficients[b] == 0 ? 1 : exp(-0.5 * airCoefficients[b] * distance)
            var g = Float(reflection[b] * air * linearGain)
            if let measured { g *= Float(pow(10, measured.levelDB(band: b, offAxis: roll.theta, cos2: roll.cos2, up: roll.up) / 20)) }
            else if !omni { g *= directivityGain(band: b, at: at) }
            out[b] = g
        }
    }

    /// Adds the path to `accumulator`: amplitude gains/(4π r) at delay r/c + the speaker's delay.
    @inline(__always)
    func accumulate(_ accumulator: inout BandAccumulator, gains: UnsafeMutablePointer<Float>, distance: Double) {
        let spread = Float(1 / (4 * Double.pi * distance))
        for b in 0..<bandCount { gains[b] *= spread }
        accumulator.add(delaySamples: (distance / speedOfSound + speaker.delaySeconds) * sampleRate, gains: gains, table: table)
        for b in 0..<bandCount { gains[b] /= spread }
    }

    func bandValues(_ gains: UnsafePointer<Float>) -> BandValues {
        BandValues(FrequencyBands.octaves.indices.map { Double(gains[min($0, bandCount - 1)]) })
    }

    func bandValues(_ gains: SIMD8<Float>) -> BandValues {
        BandValues(FrequencyBands.octaves.indices.map { Double(gains[min($0, bandCount - 1)]) })
    }
}
