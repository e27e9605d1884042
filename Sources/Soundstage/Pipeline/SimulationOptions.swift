import Foundation

/// What a run may change beyond the room file's `simulation` block (the command line's
/// `--sample-rate`, `--max-order`, … and the studio's edits). Each `nil` keeps the room file's value.
/// The limits are the room file's own (`SimulationLimits`), so a value refused in a room file is
/// refused here too, and the other way round.
public struct SimulationOptions: Sendable, Equatable {
    public var sampleRate: Int?
    public var maxOrder: AutoOr<Int>?
    public var rays: AutoOr<Int>?
    public var seed: UInt64?
    /// An AES69 SOFA file replacing the listener's HRTF.
    public var hrtfPath: String?
    public var durationSeconds: AutoOr<Double>?
    public var highpassHertz: Double?
    /// Worker threads; the output does not depend on it.
    public var threads: Int
    /// Paths up to this order are listed in reflections.json and drawn.
    public var reflectionsOrder: Int
    /// Replaces the room file's `simulation.wave`; a nil points-per-wavelength keeps the room's.
    public var wave: WaveOption?

    /// `--no-wave` / `--wave-crossover`.
    public enum WaveOption: Sendable, Equatable {
        case off
        case on(crossover: AutoOr<Double>, pointsPerWavelength: Double?)
    }

    public init(sampleRate: Int? = nil, maxOrder: AutoOr<Int>? = nil, rays: AutoOr<Int>? = nil, seed: UInt64? = nil,
                hrtfPath: String? = nil, durationSeconds: AutoOr<Double>? = nil, highpassHertz: Double? = nil,
                threads: Int = defaultThreadCount, reflectionsOrder: Int = 3, wave: WaveOption? = nil) {
        self.wave = wave
        (self.sampleRate, self.maxOrder, self.rays, self.seed, self.hrtfPath) = (sampleRate, maxOrder, rays, seed, hrtfPath)
        (self.durationSeconds, self.highpassHertz, self.threads, self.reflectionsOrder) = (durationSeconds, highpassHertz, threads, reflectionsOrder)
    }

    /// Checks every value against `SimulationLimits`; the error names the option.
    public func validate() throws {
        func check<T: Comparable>(_ value: T?, _ range: ClosedRange<T>, _ option: String, _ what: String) throws {
            if let value, !range.contains(value) { throw OptionError(option: option, reason: "\(what) (got \(value))") }
        }
        let l = SimulationLimits.self
        try check(sampleRate, l.sampleRate, "--sample-rate", "must be between \(l.sampleRate.lowerBound) and \(l.sampleRate.upperBound) Hz")
        if case .value(let n) = maxOrder { try check(n, l.maxOrder, "--max-order", "expected 'auto' or a whole number \(l.maxOrder.lowerBound)…\(l.maxOrder.upperBound)") }
        if case .value(let n) = rays { try check(n, l.rays, "--rays", "expected 'auto' or a whole number \(l.rays.lowerBound)…\(l.rays.upperBound)") }
        try check(seed, l.seed, "--seed", "must be a whole number 0…\(l.seed.upperBound)")
        if case .value(let d) = durationSeconds {
            guard d.isFinite else { throw OptionError(option: "--duration", reason: "expected 'auto' or seconds") }
            try check(d, l.durationSeconds, "--duration", "expected 'auto' or seconds between \(l.durationSeconds.lowerBound) and \(l.durationSeconds.upperBound)")
        }
        if let h = highpassHertz {
            guard h.isFinite else { throw OptionError(option: "--highpass", reason: "expected a frequency in Hz") }
            try check(h, l.highpassHertz, "--highpass", "must be between 0 and \(l.highpassHertz.upperBound) Hz")
        }
        try check(threads, 1...1024, "--threads", "must be between 1 and 1024")
        try check(reflectionsOrder, 0...20, "--reflections-order", "must be between 0 and 20")
        if case .on(.value(let f), _) = wave {
            guard f.isFinite else { throw OptionError(option: "--wave-crossover", reason: "expected 'auto' or a frequency in Hz") }
            try check(f, l.waveCrossover, "--wave-crossover", "must be between \(Int(l.waveCrossover.lowerBound)) and \(Int(l.waveCrossover.upperBound)) Hz")
        }
    }

    /// The scene with these options applied (after `validate`).
    public func applied(to scene: Scene) throws -> Scene {
        try validate()
        var s = scene
        if let v = sampleRate { s.simulation.sampleRate = v }
        if let v = maxOrder { s.simulation.maxOrder = v }
        if let v = rays { s.simulation.rays = v }
        if let v = seed { s.simulation.seed = v }
        if let v = hrtfPath { s.listener.hrtf = .file(v) }
        if let v = durationSeconds { s.simulation.durationSeconds = v }
        if let v = highpassHertz { s.simulation.highpassHertz = v }
        switch wave {
        case nil: break
        case .off: s.simulation.wave = .off
        case .on(let crossover, let ppw):
            var points = 10.0
            if case .on(_, let p) = s.simulation.wave { points = p }
            s.simulation.wave = .on(crossover: crossover, pointsPerWavelength: ppw ?? points)
        }
        return s
    }
}

/// The ranges the room file's `simulation` block and the command line both accept.
public enum SimulationLimits {
    public static let sampleRate = 8000...384_000
    public static let maxOrder = 0...1000
    public static let rays = 0...100_000_000
    public static let seed: ClosedRange<UInt64> = 0...(1 << 53)
    public static let durationSeconds = 0.01...60.0
    /// At most 1 kHz, so always below Nyquist (≥ 4 kHz at the lowest allowed rate).
    public static let highpassHertz = 0.0...1000.0
    public static let receiverRadius = 0.01...5.0
    /// The wave part's crossover: from 50 Hz up to 1 kHz (above it air absorption, which the wave
    /// solver leaves out, starts to matter, and the grid grows as f³).
    public static let waveCrossover = 50.0...1000.0
    public static let wavePointsPerWavelength = 4.0...40.0
}

/// A command-line option's value is out of range or malformed: `<option>: <reason>`.
public struct OptionError: Error, CustomStringConvertible, Equatable {
    public let option: String
    public let reason: String
    public init(option: String, reason: String) { (self.option, self.reason) = (option, reason) }
    public var description: String { "\(option): \(reason)" }
}
