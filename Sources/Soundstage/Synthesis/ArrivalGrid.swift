import Foundation

/// Arrivals per octave band on a grid `oversampling` (8) times finer than the sample rate, each
/// placed with a 4-tap Lagrange interpolator; the band filter bank (`BandFilterBank.combine`)
/// takes the grid's spectrum below the output's Nyquist frequency, which is band-limited
/// resampling to the sample rate.
///
/// Why: one arrival costs 4 taps × the 8 bands in one SIMD lane each — 4 vector multiply-adds —
/// instead of 81 taps × 8 bands on the sample-rate grid (`FractionalDelayTable`). On an 8× grid
/// only the lowest eighth of the grid's band has to be right, where an order-3 Lagrange
/// interpolator (maximally flat at DC; Laakso, Välimäki, Karjalainen & Laine 1996, "Splitting the
/// unit delay", §3.3) departs from the ideal delay e^{−jωτ} by at most 1.3·10⁻⁴ up to 0.7 × the
/// output's Nyquist frequency, 3.6·10⁻⁴ up to 0.9 × and 5.5·10⁻⁴ at Nyquist (the 81-tap
/// Hann-windowed sinc: 5·10⁻⁵, 1.5·10⁻³, and it halves the amplitude at Nyquist). Whatever the
/// interpolator puts above the output's Nyquist frequency is discarded with the bins it falls in.
///
/// Lane b of `data[m]` is band b at grid time m / (oversampling · fs) − `offset` / fs: the same
/// padded time axis as `BandAccumulator`. A grid holds `range` of that axis (a work slot's part) or
/// all of it.
public struct ArrivalGrid: Sendable {
    public static let oversampling = 8
    public static let taps = 4
    /// Sub-grid phases of the tabulated interpolator: an arrival is placed within 1/2048 of a grid
    /// step (1/16384 of a sample) of its time.
    static let phases = 1024
    /// Row p (p = 0 … phases): the interpolator for a delay of 1 + p/phases grid steps over taps
    /// 0…3, h[k] = Π_{m≠k} (d − m)/(k − m) (Lagrange, order 3, d = 1 + p/phases).
    static let coefficients: [SIMD4<Float>] = (0...phases).map { p in
        let d = 1 + Double(p) / Double(phases)
        var h = SIMD4<Float>()
        for k in 0..<taps {
            var c = 1.0
            for m in 0..<taps where m != k { c *= (d - Double(m)) / Double(k - m) }
            h[k] = Float(c)
        }
        return h
    }
    /// `coefficients` in memory that lives as long as the process, for the writers' hot loop (one
    /// look-up of the static per writer, not per arrival).
    nonisolated(unsafe) static let coefficientTable: UnsafePointer<SIMD4<Float>> = {
        let table = UnsafeMutablePointer<SIMD4<Float>>.allocate(capacity: coefficients.count)
        table.initialize(from: coefficients, count: coefficients.count)
        return UnsafePointer(table)
    }()

    /// Whether `images` arrivals in `bands` bands on a padded axis of `length` samples cost less on
    /// the grid than with the sample-rate kernel (`BandAccumulator.add`, 81 taps per band and
    /// arrival). The grid's cost is mostly fixed — per band, a transform of `oversampling` × S points
    /// (S = the transform size at the sample rate), whose point·log₂ costs about 0.4 kernel tap with
    /// FFTW — plus about 30 taps' worth per arrival (the interpolator, the lanes, the bounds).
    public static func pays(images: Double, bands: Int, length: Int) -> Bool {
        let points = Double(oversampling * FFTSize.good(atLeast: length))
        return images * (81 * Double(bands) - 30) > 0.4 * Double(bands) * points * log2(points)
    }

    /// Samples of padding before time zero (at the sample rate).
    public let offset: Int
    /// Grid points held: a part of 0 ..< oversampling · length.
    public let range: Range<Int>
    /// Points of the whole padded axis: oversampling × its length at the sample rate.
    public let fullCount: Int
    public private(set) var data: [SIMD8<Float>]

    /// A grid for the padded axis of `length` samples (`offset` of them before time zero), holding
    /// the grid points in `range` (nil: all of them).
    public init(length: Int, offset: Int, range: Range<Int>? = nil) {
        self.offset = offset
        let full = ArrivalGrid.oversampling * length
        fullCount = full
        let r = range.map { $0.clamped(to: 0..<full) } ?? 0..<full
        self.range = r
        data = [SIMD8<Float>](repeating: SIMD8<Float>(), count: max(1, r.count)) // one point at least: a valid base address
    }

    /// The grid points arrivals between `delays` (in samples) touch, to size a slot's grid.
    public static func points(delaySamples delays: ClosedRange<Double>, offset: Int) -> Range<Int> {
        let lo = Int(((delays.lowerBound + Double(offset)) * Double(oversampling)).rounded(.down)) - 4
        let hi = Int(((delays.upperBound + Double(offset)) * Double(oversampling)).rounded(.up)) + taps + 1
        return lo..<max(lo, hi)
    }

    /// Adds arrivals to a grid's points in place (`withWriter`), for loops that place many.
    public struct Writer {
        let base: UnsafeMutablePointer<SIMD8<Float>>
        let count: Int
        let lowerBound: Int
        let offset: Int
        let table = ArrivalGrid.coefficientTable

        /// Adds an impulse at `delaySamples` (time × sample rate) with amplitude `gains[b]` in band b.
        /// Taps outside the grid's range are dropped.
        @inline(__always)
        public func add(delaySamples: Double, gains: SIMD8<Float>) {
            let (start, phase) = place(delaySamples: delaySamples)
            add(start: start, phase: phase, gains: gains)
        }

        /// Where an impulse at `delaySamples` goes: the first of its taps (an index into this
        /// writer's points, maybe outside them) and the interpolator's row.
        @inline(__always)
        public func place(delaySamples: Double) -> (start: Int, phase: Int) {
            let position = (delaySamples + Double(offset)) * Double(ArrivalGrid.oversampling)
            var m0 = Int(position)
            if Double(m0) > position { m0 -= 1 }
            let phase = Int((position - Double(m0)) * Double(ArrivalGrid.phases) + 0.5) // ≤ phases: row `phases` is the next point's phase 0
            return (m0 - 1 - lowerBound, phase)
        }

        /// Adds an impulse placed by `place(delaySamples:)`.
        @inline(__always)
        public func add(start: Int, phase: Int, gains: SIMD8<Float>) {
            let h = table[phase]
            if start >= 0 && start + ArrivalGrid.taps <= count {
                let out = base + start
                out[0] += gains * h[0]; out[1] += gains * h[1]; out[2] += gains * h[2]; out[3] += gains * h[3]
            } else {
                for k in 0..<ArrivalGrid.taps where start + k >= 0 && start + k < count { base[start + k] += gains * h[k] }
            }
        }
    }

    public mutating func withWriter<R>(_ body: (Writer) -> R) -> R {
        let (lower, offset, range) = (range.lowerBound, self.offset, self.range)
        return data.withUnsafeMutableBufferPointer { d in
            body(Writer(base: d.baseAddress!, count: range.count, lowerBound: lower, offset: offset))
        }
    }

    /// Adds one impulse (see `Writer.add`).
    public mutating func add(delaySamples: Double, gains: SIMD8<Float>) {
        withWriter { $0.add(delaySamples: delaySamples, gains: gains) }
    }

    /// Adds a part (a work slot's grid) into this one, point by point; merging parts in a fixed
    /// order keeps the sum independent of the thread count.
    public mutating func add(_ part: ArrivalGrid) {
        precondition(part.fullCount == fullCount && part.offset == offset)
        let overlap = part.range.clamped(to: range)
        guard !overlap.isEmpty else { return }
        let a = overlap.lowerBound - range.lowerBound, b = overlap.lowerBound - part.range.lowerBound
        data.withUnsafeMutableBufferPointer { d in part.data.withUnsafeBufferPointer { p in
            for i in 0..<overlap.count { d[a + i] += p[b + i] }
        } }
    }

    /// Multiplies band b at every grid point by exp(−k_b · d), d the path length of an arrival at
    /// that point: `metresAtZero` + m · `metresPerPoint` at grid point m (0 for negative lengths).
    /// Air absorption depends on the path length only, so it can be applied to the grid instead of
    /// to each arrival: an arrival's taps lie within two grid points (a quarter sample) of it, where
    /// the factor differs from its own by k_b · c/(4 fs) relative — below 10⁻⁵ at 16 kHz.
    public mutating func attenuate(perMetre k: SIMD8<Double>, metresAtZero: Double, metresPerPoint: Double) {
        let first = range.lowerBound, n = range.count
        data.withUnsafeMutableBufferPointer { d in
            var i = 0
            while i < n {
                // Exact every 256 points, a running product between (the drift stays near 10⁻¹⁴).
                let end = min(n, i + 256)
                let metres = max(0, metresAtZero + Double(first + i) * metresPerPoint)
                var factor = SIMD8<Double>((0..<8).map { exp(-k[$0] * metres) })
                let step = SIMD8<Double>((0..<8).map { exp(-k[$0] * metresPerPoint) })
                var length = metres
                while i < end {
                    d[i] *= SIMD8<Float>(factor)
                    length += metresPerPoint
                    if length > 0 { factor *= step }
                    i += 1
                }
            }
        }
    }
}
