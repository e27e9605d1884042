import Foundation

/// Arrivals per octave band on a grid `oversampling` (2) times finer than the sample rate, each
/// placed with a 10-tap least-squares fractional-delay interpolator; the band filter bank
/// (`BandFilterBank.combine`) takes the grid's spectrum below the output's Nyquist frequency, which
/// is band-limited resampling to the sample rate.
///
/// Why: one arrival costs 10 taps × the 8 bands in one SIMD lane each — 10 vector multiply-adds —
/// instead of 81 taps × 8 bands on the sample-rate grid (`FractionalDelayTable`). On a 2× grid only
/// the lower half of the grid's band has to be right (whatever the interpolator puts above the
/// output's Nyquist frequency is discarded with the bins it falls in), so the interpolator is the
/// one that minimizes the integral squared error ∫₀^{ωc} |H(e^{jω}) − e^{−jωd}|² dω over exactly
/// that band, ωc = π/2 (Laakso, Välimäki, Karjalainen & Laine 1996, "Splitting the unit delay",
/// §3.2: the normal equations R h = p with R_km = sin(ωc(k−m))/(k−m), p_k = sin(ωc(k−d))/(k−d)).
/// It departs from the ideal delay by at most 5.0·10⁻⁵ up to 0.7 × the output's Nyquist frequency,
/// 7.2·10⁻⁵ up to 0.9 × and 2.1·10⁻⁴ at Nyquist (the 81-tap Hann-windowed sinc: 5·10⁻⁵, 1.5·10⁻³,
/// and it halves the amplitude at Nyquist); rounding the delay to the table's phases adds at most
/// ω·δ ≤ π/16384 (1.7·10⁻⁴ at 0.9 × Nyquist). The transform of a 2× grid is a quarter of an 8× one's,
/// and the grid a quarter of the memory.
///
/// Lane b of `data[m]` is band b at grid time m / (oversampling · fs) − `offset` / fs: the same
/// padded time axis as `BandAccumulator`. A grid holds `range` of that axis (a work slot's part) or
/// all of it.
public struct ArrivalGrid: Sendable {
    public static let oversampling = 2
    public static let taps = 10
    /// Taps before the grid point at or just before an arrival.
    static let leadingTaps = taps / 2 - 1
    /// Sub-grid phases of the tabulated interpolator (a power of two): an arrival is placed within
    /// 1/8192 of a grid step (1/16384 of a sample) of its time.
    static let phaseBits = 12
    static let phases = 1 << phaseBits
    /// Row p (p = 0 … phases − 1), `taps` floats: the least-squares interpolator (see the type) for
    /// a delay of `leadingTaps` + p/phases grid steps after its first tap. One factorization of R
    /// (Cholesky; R depends on ωc only) serves every row.
    static let coefficients: [Float] = {
        let n = taps, band = Double.pi / Double(oversampling)
        func sinc(_ x: Double) -> Double { abs(x) < 1e-12 ? band : sin(band * x) / x }
        var l = [Double](repeating: 0, count: n * n) // R = L Lᵀ
        for i in 0..<n {
            for j in 0...i {
                var v = sinc(Double(i - j))
                for k in 0..<j { v -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = i == j ? v.squareRoot() : v / l[j * n + j]
            }
        }
        var table = [Float](repeating: 0, count: phases * n)
        var y = [Double](repeating: 0, count: n), h = [Double](repeating: 0, count: n)
        for p in 0..<phases {
            let d = Double(leadingTaps) + Double(p) / Double(phases)
            for i in 0..<n {
                var v = sinc(Double(i) - d)
                for k in 0..<i { v -= l[i * n + k] * y[k] }
                y[i] = v / l[i * n + i]
            }
            for i in stride(from: n - 1, through: 0, by: -1) {
                var v = y[i]
                for k in (i + 1)..<n { v -= l[k * n + i] * h[k] }
                h[i] = v / l[i * n + i]
            }
            for k in 0..<n { table[p * n + k] = Float(h[k]) }
        }
        return table
    }()
    /// `coefficients` in memory that lives as long as the process, for the writers' hot loop (one
    /// look-up of the static per writer, not per arrival).
    nonisolated(unsafe) static let coefficientTable: UnsafePointer<Float> = {
        let table = UnsafeMutablePointer<Float>.allocate(capacity: coefficients.count)
        table.initialize(from: coefficients, count: coefficients.count)
        return UnsafePointer(table)
    }()

    /// Whether `images` arrivals in `bands` bands on a padded axis of `length` samples cost less on
    /// the grid than with the sample-rate kernel (`BandAccumulator.add`, 81 taps per band and
    /// arrival). The grid's cost is mostly fixed — per band, a transform of `oversampling` × S points
    /// (S = the transform size at the sample rate), whose point·log₂ costs about 0.4 kernel tap with
    /// FFTW — plus about 40 taps' worth per arrival (the interpolator, the lanes, the bounds).
    public static func pays(images: Double, bands: Int, length: Int) -> Bool {
        let points = Double(oversampling * FFTSize.good(atLeast: length))
        return images * (81 * Double(bands) - 40) > 0.4 * Double(bands) * points * log2(points)
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
        let lo = Int(((delays.lowerBound + Double(offset)) * Double(oversampling)).rounded(.down)) - leadingTaps - 1
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
        /// writer's points, maybe outside them) and the interpolator's row. The delay in
        /// 1/`phases` grid steps, rounded to nearest, splits into the grid point (high bits) and the
        /// row (low bits).
        @inline(__always)
        public func place(delaySamples: Double) -> (start: Int, phase: Int) {
            let steps = (delaySamples + Double(offset)) * Double(ArrivalGrid.oversampling * ArrivalGrid.phases) + 0.5
            var q = Int(steps)
            if Double(q) > steps { q -= 1 } // floor, also below zero
            return ((q >> ArrivalGrid.phaseBits) - ArrivalGrid.leadingTaps - lowerBound, q & (ArrivalGrid.phases - 1))
        }

        /// Adds an impulse placed by `place(delaySamples:)`.
        @inline(__always)
        public func add(start: Int, phase: Int, gains: SIMD8<Float>) {
            let h = table + phase * ArrivalGrid.taps
            if start >= 0 && start + ArrivalGrid.taps <= count {
                let out = base + start
                out[0] += gains * h[0]; out[1] += gains * h[1]; out[2] += gains * h[2]; out[3] += gains * h[3]
                out[4] += gains * h[4]; out[5] += gains * h[5]; out[6] += gains * h[6]; out[7] += gains * h[7]
                out[8] += gains * h[8]; out[9] += gains * h[9]
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
    /// to each arrival: an arrival's taps lie within five grid points (2.5 samples) of it, where the
    /// factor differs from its own by at most k_b · 2.5 c/fs relative — 6.5·10⁻⁴ in the 8 kHz band at
    /// 16 kHz (ISO 9613-1 at 20 °C, 50 %: k = 0.012 /m), on the outer taps, which carry the least weight.
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
