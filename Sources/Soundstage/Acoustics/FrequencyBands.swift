import Foundation

/// Frequency bands after IEC 61260-1: the engine's octaves (nominal centres 63 Hz … 8 kHz) and,
/// for analysis, third-octaves (50 Hz … 10 kHz).
///
/// Band edges lie at `fc · 2^(±1/(2N))` for 1/N-octave bands, except that the lowest band reaches
/// down to DC and the highest up to Nyquist (SPEC §2), so the bands together cover the whole spectrum.
/// Exact centres are `1000 · 2^(k/N)` Hz (base-2), nominal centres the rounded labels.
public struct FrequencyBands: Sendable, Equatable {
    /// Exact mid-band frequencies in Hz (`1000 · 2^(k/N)`).
    public let centres: [Double]
    /// Nominal labels as printed in tables ("63", "125", … "8k"; "1.25k", "3.15k" for thirds).
    public let labels: [String]
    /// N of 1/N-octave bands: 1 for octaves, 3 for third-octaves.
    public let bandsPerOctave: Int

    public init(centres: [Double], labels: [String], bandsPerOctave: Int = 1) {
        precondition(centres.count == labels.count && bandsPerOctave >= 1)
        self.centres = centres
        self.labels = labels
        self.bandsPerOctave = bandsPerOctave
    }

    /// The eight octave bands 63 Hz – 8 kHz the engine works in.
    public static let octaves = FrequencyBands(
        centres: (-4...3).map { 1000 * pow(2, Double($0)) },
        labels: ["63", "125", "250", "500", "1k", "2k", "4k", "8k"])

    /// The 24 third-octave bands 50 Hz – 10 kHz: the three thirds of each engine octave, for
    /// analysis (ISO 3382-1 allows octave or third-octave bands; measured data such as BRAS are
    /// published in thirds). Nominal labels after IEC 61260-1 Annex E.
    public static let thirdOctaves = FrequencyBands(
        centres: (-13...10).map { 1000 * pow(2, Double($0) / 3) },
        labels: ["50", "63", "80", "100", "125", "160", "200", "250", "315", "400", "500", "630", "800",
                 "1k", "1.25k", "1.6k", "2k", "2.5k", "3.15k", "4k", "5k", "6.3k", "8k", "10k"],
        bandsPerOctave: 3)

    public var count: Int { centres.count }
    public var indices: Range<Int> { centres.indices }

    /// Ratio of a band's upper edge to its centre, `2^(1/(2N))`.
    public var halfBandRatio: Double { pow(2, 0.5 / Double(bandsPerOctave)) }

    /// Lower edge of band `i` in Hz (0 for the lowest band).
    public func lowerEdge(_ i: Int) -> Double { i == 0 ? 0 : centres[i] / halfBandRatio }

    /// Upper edge of band `i` in Hz (`.infinity` for the highest band: up to Nyquist).
    public func upperEdge(_ i: Int) -> Double {
        i == count - 1 ? .infinity : centres[i] * halfBandRatio
    }

    /// The indices of these bands whose centres lie within band `i` of `coarser` (e.g. the three
    /// third-octaves of an octave).
    public func indices(within i: Int, of coarser: FrequencyBands) -> [Int] {
        let half = 0.5 / Double(coarser.bandsPerOctave)
        return indices.filter { abs(log2(centres[$0] / coarser.centres[i])) < half - 1e-9 }
    }

    /// Index of the octave band whose exact centre is nearest to `hertz` on a log scale,
    /// possibly outside `0..<count` (e.g. -1 for 31.5 Hz, 8 for 16 kHz).
    public func nearestOctaveIndex(hertz: Double) -> Int {
        Int((log2(hertz / 1000)).rounded()) + 4
    }

    /// The band whose centre is nearest to `hertz` on a log scale, clamped to these bands.
    public func index(ofHertz hertz: Double) -> Int {
        indices.min { abs(log2(centres[$0] / hertz)) < abs(log2(centres[$1] / hertz)) }!
    }

    /// The bands with centres from `low` to `high` Hz (nearest bands, inclusive).
    public func indices(fromHertz low: Double, throughHertz high: Double) -> ClosedRange<Int> {
        index(ofHertz: low)...index(ofHertz: high)
    }
}

/// Ordinary least-squares line y = intercept + slope · x (nil for fewer than two points or
/// a degenerate x spread).
func leastSquaresLine(_ points: [(x: Double, y: Double)]) -> (slope: Double, intercept: Double)? {
    guard points.count >= 2 else { return nil }
    let n = Double(points.count)
    var sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
    for p in points { sx += p.x; sy += p.y; sxx += p.x * p.x; sxy += p.x * p.y }
    let d = n * sxx - sx * sx
    guard d != 0 else { return nil }
    let slope = (n * sxy - sx * sy) / d
    return slope.isFinite ? (slope, (sy - slope * sx) / n) : nil
}

/// One value per band of `FrequencyBands.octaves` (absorption, scattering, gain, …).
///
/// The count is checked on construction, so a value of this type always matches the bands.
public struct BandValues: Sendable, Equatable, CustomStringConvertible {
    public private(set) var values: [Double]

    public init(_ values: [Double]) {
        precondition(values.count == FrequencyBands.octaves.count,
                     "BandValues needs \(FrequencyBands.octaves.count) values, got \(values.count)")
        self.values = values
    }

    /// The same value in every band.
    public init(uniform value: Double) {
        self.values = Array(repeating: value, count: FrequencyBands.octaves.count)
    }

    public subscript(band: Int) -> Double {
        get { values[band] }
        set { values[band] = newValue }
    }

    public func map(_ transform: (Double) -> Double) -> BandValues { BandValues(values.map(transform)) }

    public var description: String {
        values.map { String(format: "%.2f", $0) }.joined(separator: " ")
    }
}
