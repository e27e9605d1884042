import Foundation

/// A loudspeaker's directivity and on-axis response from measurements (`directivity: {"measured":
/// …}` in the room file): horizontal and vertical polar data, or an AES69 FreeFieldDirectivityTF file.
///
/// - Per octave band, each off-axis angle θ (0…180°, 5° steps) holds the level re on-axis in three
///   planes: horizontal (left and right averaged), vertical up, vertical down — from the curves
///   within ±22.5° of roll of each plane, linear in θ between them (a sphere of measurement points,
///   as a FreeFieldDirectivityTF file holds, contributes the points near the two planes). A band's level is the
///   power mean over the sixth-octave around its centre: the presets are defined at the band centre,
///   and a sixth-octave smooths a measurement's fine ripple while keeping a piston's main lobe within
///   0.5 dB of its centre value down to −20 dB.
/// - Between the planes the level in dB follows the roll angle φ about the axis,
///   L(θ, φ) = L_h(θ) cos²φ + L_v(θ) sin²φ (L_v the up or down plane by the sign of sin φ): the
///   elliptical interpolation of two orthogonal polars: exact on both planes, a model between them
///   (CTA-2034-A likewise describes a loudspeaker by its horizontal and vertical orbits alone).
/// - The on-axis response (bass roll-off, the treble's tilt) is kept as a curve: one filter common to
///   every path leaving the speaker, applied once to its responses (`onAxisFilter`), normalized to
///   0 dB as the mean of 500 Hz – 2 kHz; that mean is `sensitivityDB` (what the file's levels are,
///   e.g. dB SPL at 1 m for 2.83 V), printed by `validate` and not applied (`gain` sets levels).
public struct MeasuredDirectivity: Sendable, Equatable {
    /// The file it came from (for messages and `validate`).
    public let source: String
    public static let angleStep = 5.0
    /// dB re on-axis, [angle index][band], angles 0, 5, … 180.
    public let horizontalDB: [[Double]]
    public let upDB: [[Double]]
    public let downDB: [[Double]]
    /// The on-axis level (dB re its 500 Hz – 2 kHz mean) at `onAxisHertz`.
    public let onAxisHertz: [Double]
    public let onAxisDB: [Double]
    public let sensitivityDB: Double

    /// The measurement's file names without their folders ("a.txt + b.txt").
    public var name: String {
        source.components(separatedBy: " + ").map { ($0 as NSString).lastPathComponent }.joined(separator: " + ")
    }

    /// One measured polar curve: the level (dB) at `hertz` in the direction θ off the axis, rolled by φ
    /// about it (φ = 0 toward the speaker's left or right side, +90° up, −90° down).
    public struct Curve: Sendable {
        public var offAxisDegrees: Double
        public var rollDegrees: Double
        public var hertz: [Double]
        public var levelDB: [Double]
    }

    /// Reduces measured curves to the band tables; throws `MeasuredDirectivityError` when no
    /// on-axis curve or no off-axis angle is given, or the curves do not cover the bands.
    public init(curves: [Curve], source: String) throws {
        guard let axis = curves.min(by: { $0.offAxisDegrees < $1.offAxisDegrees }), axis.offAxisDegrees < 0.5 else {
            throw MeasuredDirectivityError("no on-axis (0°) curve")
        }
        guard curves.contains(where: { $0.offAxisDegrees >= 0.5 }) else { throw MeasuredDirectivityError("no off-axis angle: nothing to say about directivity") }
        if let empty = curves.first(where: { $0.hertz.isEmpty }) { throw MeasuredDirectivityError("the \(empty.offAxisDegrees)° curve has no levels") }
        try self.init(reducing: curves, axis: axis, source: source)
    }

    /// The reduction itself; every curve has levels. A band outside a curve's measured range takes the
    /// level at the nearest end (flat beyond the ends).
    private init(reducing curves: [Curve], axis: Curve, source: String) throws {
        let centres = FrequencyBands.octaves.centres
        func band(_ c: Curve, _ fc: Double) -> Double {
            let lo = fc / pow(2, 1 / 12.0), hi = fc * pow(2, 1 / 12.0)
            let inside = zip(c.hertz, c.levelDB).filter { $0.0 >= lo && $0.0 <= hi }.map(\.1)
            if !inside.isEmpty { return 10 * log10(inside.reduce(0) { $0 + pow(10, $1 / 10) } / Double(inside.count)) }
            return MeasuredDirectivity.interpolate(c.hertz, c.levelDB, at: fc)!
        }
        let onAxisBands = centres.map { band(axis, $0) }
        // Per plane (horizontal, up, down): the curves within ±22.5° of roll of it (the on-axis curve
        // in all three), each as (θ, level re on-axis per band); equal angles averaged (a horizontal
        // export's ±θ).
        var points: [[(theta: Double, levels: [Double])]] = [[], [], []]
        for c in curves {
            let roll = c.rollDegrees.truncatingRemainder(dividingBy: 360)
            let wrapped = roll > 180 ? roll - 360 : (roll <= -180 ? roll + 360 : roll)
            var planes: [Int] = []
            if c.offAxisDegrees < 0.5 { planes = [0, 1, 2] } else {
                if abs(wrapped) <= 22.5 || abs(wrapped) >= 157.5 { planes.append(0) }
                if abs(wrapped - 90) <= 22.5 { planes.append(1) }
                if abs(wrapped + 90) <= 22.5 { planes.append(2) }
            }
            guard !planes.isEmpty, c.offAxisDegrees <= 180 else { continue }
            let levels = centres.enumerated().map { band(c, $0.element) - onAxisBands[$0.offset] }
            for p in planes { points[p].append((c.offAxisDegrees, levels)) }
        }
        // On the 5° grid: linear in angle between the measured ones, flat beyond the last.
        let grid = (0...Int(180 / MeasuredDirectivity.angleStep)).map { Double($0) * MeasuredDirectivity.angleStep }
        var tables: [[[Double]]] = []
        for p in 0..<3 {
            var merged: [(theta: Double, levels: [Double], count: Int)] = []
            for point in points[p].sorted(by: { $0.theta < $1.theta }) {
                if let last = merged.last, abs(last.theta - point.theta) < 0.01 {
                    merged[merged.count - 1] = (last.theta, zip(last.levels, point.levels).map { $0 + $1 }, last.count + 1)
                } else { merged.append((point.theta, point.levels, 1)) }
            }
            let x = merged.map(\.theta)
            tables.append(grid.map { angle in
                (0..<centres.count).map { b in
                    MeasuredDirectivity.interpolate(x, merged.map { $0.levels[b] / Double($0.count) }, at: angle) ?? 0
                }
            })
        }
        // A plane without data takes the horizontal one (an axisymmetric speaker).
        func offAxis(_ p: Int) -> Bool { points[p].contains { $0.theta >= 0.5 && $0.theta <= 179.5 } }
        let hasUp = offAxis(1), hasDown = offAxis(2)
        horizontalDB = tables[0]
        upDB = hasUp ? tables[1] : (hasDown ? tables[2] : tables[0])
        downDB = hasDown ? tables[2] : upDB
        let pass = zip(axis.hertz, axis.levelDB).filter { $0.0 >= 500 && $0.0 <= 2000 }.map(\.1)
        let sensitivity = pass.isEmpty ? onAxisBands[4] : pass.reduce(0, +) / Double(pass.count)
        sensitivityDB = sensitivity
        onAxisHertz = axis.hertz
        onAxisDB = axis.levelDB.map { $0 - sensitivity }
        self.source = source
    }

    /// Linear interpolation of y(x) (x increasing) at `x0`, flat beyond the ends; nil without points.
    static func interpolate(_ x: [Double], _ y: [Double], at x0: Double) -> Double? {
        guard let first = x.first, let last = x.last else { return nil }
        if x0 <= first { return y[0] }
        if x0 >= last { return y[y.count - 1] }
        let i = x.firstIndex { $0 >= x0 }!
        let t = (x0 - x[i - 1]) / (x[i] - x[i - 1])
        return y[i - 1] + t * (y[i] - y[i - 1])
    }

    /// Level re on-axis (dB) in band `band` at θ off the axis; `cos2` = cos²φ of the roll angle,
    /// `up` whether the direction points above the axis.
    public func levelDB(band: Int, offAxis θ: Double, cos2: Double, up: Bool) -> Double {
        let position = min(180, max(0, degrees(θ))) / MeasuredDirectivity.angleStep
        let k = min(Int(position), horizontalDB.count - 2), t = position - Double(k)
        func at(_ table: [[Double]]) -> Double { table[k][band] * (1 - t) + table[k + 1][band] * t }
        return at(horizontalDB) * cos2 + at(up ? upDB : downDB) * (1 - cos2)
    }

    /// The mean pressure gain over the roll angle at θ (the axisymmetric equivalent, for the
    /// presets' interface `Directivity.gain(band:angle:)`): the rms over φ of the gain.
    public func meanGain(band: Int, offAxis θ: Double) -> Double {
        let n = 16
        let power = (0..<n).reduce(0.0) { sum, j in
            let phi = (Double(j) + 0.5) / Double(n) * 2 * .pi
            return sum + pow(10, levelDB(band: band, offAxis: θ, cos2: cos(phi) * cos(phi), up: sin(phi) > 0) / 10)
        }
        return (power / Double(n)).squareRoot()
    }

    /// The −6 dB beamwidths per band, horizontal and vertical (`Directivity.beamwidths`); the vertical
    /// one from the mean power of up and down.
    public var beamwidths: (horizontal: [Double], vertical: [Double]) {
        let bands = FrequencyBands.octaves.count
        return ((0..<bands).map { b in Directivity.beamwidth { levelDB(band: b, offAxis: radians($0), cos2: 1, up: true) } },
                (0..<bands).map { b in
                    Directivity.beamwidth {
                        10 * log10((pow(10, levelDB(band: b, offAxis: radians($0), cos2: 0, up: true) / 10)
                            + pow(10, levelDB(band: b, offAxis: radians($0), cos2: 0, up: false) / 10)) / 2)
                    }
                })
    }

    /// The on-axis response as a minimum-phase FIR at `sampleRate` (0 dB = the 500 Hz – 2 kHz mean;
    /// flat beyond the measured range), `MinimumPhase`'s cepstral construction.
    public func onAxisFilter(sampleRate fs: Double) -> [Float] {
        let logHertz = onAxisHertz.map { log(max($0, 1e-3)) }
        return MinimumPhase.filter(length: 8192, sampleRate: fs) { f in
            pow(10, (MeasuredDirectivity.interpolate(logHertz, onAxisDB, at: log(max(f, 1))) ?? 0) / 20)
        }
    }
}

public struct MeasuredDirectivityError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
