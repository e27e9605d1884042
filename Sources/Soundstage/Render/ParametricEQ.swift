import Foundation

/// An IEM/headphone equalizer as Equalizer APO reads it and AutoEq writes it, in either of AutoEq's
/// forms (or both in one file):
/// - "ParametricEQ.txt": `Preamp: -6.2 dB`, `Filter 1: ON PK Fc 105 Hz Gain -2.7 dB Q 0.70`, with filter
///   types PK, LSC/LS, HSC/HS, LP and HP, Q optional (0.7071). Each filter is a biquad after
///   R. Bristow-Johnson's "Audio EQ Cookbook".
/// - "GraphicEQ.txt" (also Wavelet's): `GraphicEQ: 20 -3.2; 21 -3.1; …` — gains in dB at ascending
///   frequencies, joined by straight lines in dB over log frequency and held flat beyond the first and
///   last points (Equalizer APO's graphic EQ), applied as a minimum-phase FIR (`graphicFilter`).
///   Several GraphicEQ lines act in series: their gains add.
public struct ParametricEQ: Sendable {
    public enum Kind: String, Sendable { case peak = "PK", lowShelf = "LSC", highShelf = "HSC", lowPass = "LP", highPass = "HP" }
    public struct Filter: Sendable { public var kind: Kind; public var hertz: Double; public var gainDB: Double; public var q: Double }
    public var preampDB: Double
    public var filters: [Filter]
    /// Each GraphicEQ line's points (Hz, dB), ascending in frequency.
    public var graphic: [[(hertz: Double, gainDB: Double)]] = []

    public struct ParseError: Error, CustomStringConvertible {
        /// The line (1-based), or 0 for the file as a whole.
        public let line: Int, reason: String
        public var description: String { line > 0 ? "line \(line): \(reason)" : reason }
    }

    /// Largest total boost (dB) the preamps and filters may reach at any frequency, and largest total
    /// preamp either way: beyond them a float render overflows (or the music drowns in rounding), and
    /// no IEM needs them. (Cuts by low- and high-pass filters are not bounded: they are their purpose.)
    public static let gainLimit = 60.0

    /// Parses the file and checks it as a whole: at least one Preamp or Filter line, the preamps'
    /// sum within ±`gainLimit` dB, and the total gain (preamps plus every filter and graphic EQ,
    /// 10 Hz – 20 kHz at 48 kHz) at most +`gainLimit` dB.
    public static func parse(_ text: String) throws -> ParametricEQ {
        var eq = ParametricEQ(preampDB: 0, filters: [])
        var recognized = false
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.split(separator: "#").first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
            if line.isEmpty { continue }
            let t = line.replacingOccurrences(of: ":", with: " : ").split(separator: " ").map(String.init)
            func value(after key: String) throws -> Double? {
                guard let i = t.firstIndex(where: { $0.caseInsensitiveCompare(key) == .orderedSame }) else { return nil }
                guard i + 1 < t.count, let v = Double(t[i + 1]), v.isFinite else { throw ParseError(line: n + 1, reason: "\(key) needs a number") }
                return v
            }
            if t[0].lowercased() == "preamp" {
                guard let i = t.firstIndex(of: ":"), i + 1 < t.count, let v = Double(t[i + 1]), abs(v) <= 60 else {
                    throw ParseError(line: n + 1, reason: "expected \"Preamp: <dB> dB\"")
                }
                eq.preampDB += v
                recognized = true
                continue
            }
            if t[0].lowercased() == "graphiceq" {
                eq.graphic.append(try graphicPoints(line, line: n + 1))
                recognized = true
                continue
            }
            guard t[0].lowercased() == "filter" else { continue } // other APO commands are ignored
            recognized = true
            guard let colon = t.firstIndex(of: ":"), colon + 2 < t.count else { throw ParseError(line: n + 1, reason: "expected \"Filter N: ON TYPE Fc … Hz …\"") }
            guard t[colon + 1].uppercased() == "ON" else { continue }
            let typeName = t[colon + 2].uppercased()
            let kinds: [String: Kind] = ["PK": .peak, "PEQ": .peak, "LSC": .lowShelf, "LS": .lowShelf, "HSC": .highShelf, "HS": .highShelf,
                                         "LP": .lowPass, "LPQ": .lowPass, "HP": .highPass, "HPQ": .highPass]
            guard let kind = kinds[typeName] else { throw ParseError(line: n + 1, reason: "unsupported filter type \"\(typeName)\" (PK, LSC, HSC, LP, HP)") }
            guard let fc = try value(after: "Fc"), fc > 0, fc < 100_000 else { throw ParseError(line: n + 1, reason: "missing or bad \"Fc <Hz>\"") }
            let gain = try value(after: "Gain") ?? 0
            guard abs(gain) <= 40 else { throw ParseError(line: n + 1, reason: "gain beyond ±40 dB") }
            let q = try value(after: "Q") ?? 0.5.squareRoot()
            guard q > 0, q <= 100 else { throw ParseError(line: n + 1, reason: "Q must be in (0, 100]") }
            if (kind == .peak || kind == .lowShelf || kind == .highShelf), try value(after: "Gain") == nil {
                throw ParseError(line: n + 1, reason: "\(typeName) needs \"Gain <dB> dB\"")
            }
            eq.filters.append(Filter(kind: kind, hertz: fc, gainDB: gain, q: q))
        }
        guard recognized else {
            throw ParseError(line: 0, reason: "no \"Preamp:\", \"Filter N:\" or \"GraphicEQ:\" line: nothing to equalize with")
        }
        guard abs(eq.preampDB) <= gainLimit else {
            throw ParseError(line: 0, reason: String(format: "the preamps add up to %+.0f dB; at most ±%.0f dB", eq.preampDB, gainLimit))
        }
        let fs = 48_000.0, sections = eq.biquads(sampleRate: fs)
        // 201 frequencies over 10 Hz – 20 kHz, and every GraphicEQ point there (a graphic EQ's peaks
        // are its points, which may fall between the others).
        let points = eq.graphic.joined().map(\.hertz).filter { (10...20_000).contains($0) }
        for f in (0...200).map({ 10 * pow(2000, Double($0) / 200) }) + points {
            let db = eq.preampDB + eq.graphicGainDB(hertz: f)
                + sections.reduce(0.0) { $0 + 20 * log10(max($1.magnitude(hertz: f, sampleRate: fs), 1e-300)) }
            guard !(db > gainLimit) && !db.isNaN else {
                throw ParseError(line: 0, reason: String(format: "the preamp and filters add up to %+.0f dB at %.0f Hz; at most +%.0f dB", db.isFinite ? db : 9999, f, gainLimit))
            }
        }
        return eq
    }

    /// The points of a `GraphicEQ: f g; f g; …` line (1-based `line` for errors).
    static func graphicPoints(_ text: String, line: Int) throws -> [(hertz: Double, gainDB: Double)] {
        guard let colon = text.firstIndex(of: ":") else { throw ParseError(line: line, reason: "expected \"GraphicEQ: <Hz> <dB>; <Hz> <dB>; …\"") }
        var points: [(hertz: Double, gainDB: Double)] = []
        for (i, item) in text[text.index(after: colon)...].split(separator: ";").enumerated() {
            let fields = item.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.isEmpty { continue } // a trailing ";"
            guard fields.count == 2, let f = Double(fields[0]), let g = Double(fields[1]), f.isFinite, g.isFinite else {
                throw ParseError(line: line, reason: "GraphicEQ point \(i + 1) (\"\(item.trimmingCharacters(in: .whitespaces))\"): expected \"<Hz> <dB>\"")
            }
            guard f > 0, f < 1_000_000 else { throw ParseError(line: line, reason: "GraphicEQ point \(i + 1): frequency \(fields[0]) Hz out of range") }
            guard abs(g) <= 120 else { throw ParseError(line: line, reason: "GraphicEQ point \(i + 1): gain \(fields[1]) dB beyond ±120 dB") }
            if let last = points.last, f <= last.hertz {
                throw ParseError(line: line, reason: "GraphicEQ point \(i + 1): \(fields[0]) Hz after \(last.hertz) Hz (frequencies must ascend)")
            }
            points.append((f, g))
        }
        guard !points.isEmpty else { throw ParseError(line: line, reason: "GraphicEQ line without points") }
        return points
    }

    /// The GraphicEQ lines' gain at `hertz` (dB; 0 without any): each line's points joined by
    /// straight lines in dB over log frequency, flat beyond its ends; the lines' gains add.
    public func graphicGainDB(hertz f: Double) -> Double {
        graphic.reduce(0.0) { sum, points in
            guard let first = points.first, let last = points.last else { return sum }
            if f <= first.hertz { return sum + first.gainDB }
            if f >= last.hertz { return sum + last.gainDB }
            // The segment holding f (binary search: AutoEq writes 127 points, Wavelet more).
            var lo = 0, hi = points.count - 1
            while hi - lo > 1 { let mid = (lo + hi) / 2; if points[mid].hertz <= f { lo = mid } else { hi = mid } }
            let u = log(f / points[lo].hertz) / log(points[hi].hertz / points[lo].hertz)
            return sum + points[lo].gainDB + u * (points[hi].gainDB - points[lo].gainDB)
        }
    }

    /// Taps of the graphic EQ's FIR at `sampleRate`: 16 384 at 48 kHz and below (0.34 s, a 2.9 Hz
    /// bin: fine enough for AutoEq's 20 Hz start), doubling with each doubling of the rate.
    public static func graphicLength(sampleRate fs: Double) -> Int {
        var n = 16_384
        while Double(n) < 16_384 * fs / 48_000 { n *= 2 }
        return n
    }

    /// The GraphicEQ lines as one minimum-phase FIR (`MinimumPhase.filter`) at `sampleRate`, nil
    /// without any. Gains are floored at −120 dB (a minimum-phase design takes the log of the magnitude).
    public func graphicFilter(sampleRate fs: Double) -> [Float]? {
        guard !graphic.isEmpty else { return nil }
        return MinimumPhase.filter(length: ParametricEQ.graphicLength(sampleRate: fs), sampleRate: fs) { f in
            pow(10, max(-120, graphicGainDB(hertz: f)) / 20)
        }
    }

    /// The filters as biquads at `sampleRate` (filters at or above Nyquist are dropped).
    public func biquads(sampleRate fs: Double) -> [Biquad] {
        filters.filter { $0.hertz < fs / 2 }.map { f in
            let a = pow(10, f.gainDB / 40), w0 = 2 * .pi * f.hertz / fs, cw = cos(w0), alpha = sin(w0) / (2 * f.q)
            let (b0, b1, b2, a0, a1, a2): (Double, Double, Double, Double, Double, Double)
            switch f.kind {
            case .peak:
                (b0, b1, b2, a0, a1, a2) = (1 + alpha * a, -2 * cw, 1 - alpha * a, 1 + alpha / a, -2 * cw, 1 - alpha / a)
            case .lowShelf:
                let s = 2 * a.squareRoot() * alpha
                (b0, b1, b2) = (a * ((a + 1) - (a - 1) * cw + s), 2 * a * ((a - 1) - (a + 1) * cw), a * ((a + 1) - (a - 1) * cw - s))
                (a0, a1, a2) = ((a + 1) + (a - 1) * cw + s, -2 * ((a - 1) + (a + 1) * cw), (a + 1) + (a - 1) * cw - s)
            case .highShelf:
                let s = 2 * a.squareRoot() * alpha
                (b0, b1, b2) = (a * ((a + 1) + (a - 1) * cw + s), -2 * a * ((a - 1) + (a + 1) * cw), a * ((a + 1) + (a - 1) * cw - s))
                (a0, a1, a2) = ((a + 1) - (a - 1) * cw + s, 2 * ((a - 1) - (a + 1) * cw), (a + 1) - (a - 1) * cw - s)
            case .lowPass:
                (b0, b1, b2, a0, a1, a2) = ((1 - cw) / 2, 1 - cw, (1 - cw) / 2, 1 + alpha, -2 * cw, 1 - alpha)
            case .highPass:
                (b0, b1, b2, a0, a1, a2) = ((1 + cw) / 2, -(1 + cw), (1 + cw) / 2, 1 + alpha, -2 * cw, 1 - alpha)
            }
            return Biquad(b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: a1 / a0, a2: a2 / a0)
        }
    }
}

extension Biquad {
    /// |H(e^{jω})| at `hertz`.
    public func magnitude(hertz f: Double, sampleRate fs: Double) -> Double {
        let w = 2 * Double.pi * f / fs
        let e1 = Complex(polar: 1, angle: -w), e2 = Complex(polar: 1, angle: -2 * w)
        return ((Complex(b0, 0) + e1 * b1 + e2 * b2) / (Complex(1, 0) + e1 * a1 + e2 * a2)).magnitude
    }
}

/// A chain of biquads keeping its state across blocks (for streaming).
public struct BiquadChain {
    var sections: [Biquad]
    var state: [(Double, Double)]
    public init(_ sections: [Biquad]) { self.sections = sections; state = Array(repeating: (0, 0), count: sections.count) }
    public mutating func process(_ x: inout [Float]) {
        x.withUnsafeMutableBufferPointer { process($0) }
    }

    /// Filters `x` in place, continuing from the previous call.
    public mutating func process(_ x: UnsafeMutableBufferPointer<Float>) {
        for s in sections.indices {
            var (z1, z2) = state[s]
            let b = sections[s]
            for i in x.indices {
                let input = Double(x[i]), y = b.b0 * input + z1
                z1 = b.b1 * input - b.a1 * y + z2
                z2 = b.b2 * input - b.a2 * y
                x[i] = Float(y)
            }
            state[s] = (z1, z2)
        }
    }
}
