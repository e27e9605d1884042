import Foundation

/// `simulation.wave` (SPEC §6): the wave part below a crossover frequency.
public enum WaveSetting: Sendable, Equatable {
    /// On, with the crossover from the room (`Scene.autoCrossover`), unless the grid exceeds the budget.
    case auto
    case off
    /// On with these settings (a crossover of `.auto` follows the room).
    case on(crossover: AutoOr<Double>, pointsPerWavelength: Double)
}

/// What the wave part of a run will do: the crossover, the grid and its cost.
public struct WavePlan: Sendable, Equatable {
    /// Below it the wave solver's response is used, above it the geometric one (Hz).
    public var crossover: Double
    /// Upper edge of the wave part's excitation: 2 × crossover (Hz).
    public var bandEdge: Double { 2 * crossover }
    public var pointsPerWavelength: Double
    /// Cell side asked for: c / (band edge × points per wavelength).
    public var spacing: Double
    public var timeStep: Double
    public var steps: Int
    /// Estimated air cells (V / h³) and grid memory (padded bounding box).
    public var cells: Int
    public var memoryBytes: Int
    /// Cell updates of the whole run (all speakers) and its time at `updatesPerSecond`.
    public var updates: Double
    public var estimatedSeconds: Double { updates / WavePlan.updatesPerSecond }
    /// Whether the wave part runs; when not, `note` says why.
    public var enabled: Bool
    public var note: String

    /// A conservative rate for the estimates (`make bench` prints the solver's own).
    public static let updatesPerSecond = 1e9
    /// The budget beyond which "auto" turns the wave part off: memory and cell updates.
    public static let memoryBudget = 4 << 30
    public static let updateBudget = 6e10
}

extension Scene {
    /// The crossover "auto" picks: the Schroeder frequency 2000 √(T/V) (Schroeder & Kuttruff 1962;
    /// T the Eyring reverberation time averaged over the 125–500 Hz octaves, V in m³), at least
    /// 150 Hz — the modal region where geometric acoustics fails — and at most 300 Hz: the cost grows
    /// as the fourth power of the crossover (cells × steps), and above a few hundred hertz a small
    /// room's modes overlap densely enough for the geometric model. (The solver leaves out air
    /// absorption, negligible there: ISO 9613-1 gives < 0.002 dB/m at 300 Hz.)
    public func autoCrossover() -> Double {
        let eyring = statisticalRT60().eyring
        let bands = FrequencyBands.octaves.indices(fromHertz: 125, throughHertz: 500)
        let t = bands.reduce(0.0) { $0 + eyring[$1] } / Double(max(1, bands.count))
        let schroeder = 2000 * (max(t, 0.01) / volume).squareRoot()
        return min(300, max(150, schroeder))
    }

    /// The wave part's plan for a response of `durationSeconds` (nil when the room file turns it off).
    public func wavePlan(durationSeconds: Double) -> WavePlan? {
        let crossover: Double, ppw: Double, asked: Bool
        switch simulation.wave {
        case .off: return nil
        case .auto: (crossover, ppw, asked) = (autoCrossover(), 10, false)
        case .on(let x, let p):
            if case .value(let f) = x { crossover = f } else { crossover = autoCrossover() }
            (ppw, asked) = (p, true)
        }
        let c = air.speedOfSound
        let h = c / (2 * crossover * ppw)
        let k = WaveField.timeStep(spacing: h, speedOfSound: c)
        let steps = Int((durationSeconds / k).rounded(.up)) + 1
        let size = boundary.maxCorner - boundary.minCorner
        let box = (size.x / h + 2) * (size.y / h + 2) * (size.z / h + 2)
        let cells = Int(volume / (h * h * h))
        let memory = Int(box * Double(WaveGrid.bytesPerCell))
        let updates = Double(cells) * Double(steps) * Double(speakers.count)
        var plan = WavePlan(crossover: crossover, pointsPerWavelength: ppw, spacing: h, timeStep: k, steps: steps, cells: cells,
                            memoryBytes: memory, updates: updates, enabled: true, note: "")
        let summary = String(format: "wave part below %.0f Hz: %d cells of %.3f m, %d steps of %.3f ms, %.1f MiB, ≈ %.1f s",
                              crossover, cells, h, steps, k * 1000, Double(memory) / 1048576, plan.estimatedSeconds)
        if memory > WavePlan.memoryBudget || updates > WavePlan.updateBudget {
            plan.enabled = false
            plan.note = summary + String(format: " — beyond the budget (%.0f GiB, %.0g cell updates): %@", Double(WavePlan.memoryBudget) / 1073741824,
                                         WavePlan.updateBudget, asked ? "lower simulation.wave.crossover or pointsPerWavelength" : "the wave part is off; give simulation.wave a lower crossover to use it")
        } else {
            plan.note = summary
        }
        return plan
    }
}

/// The wave part's responses of one speaker, at the simulation's sample rate: zero-phase band-limited
/// below `WavePlan.bandEdge`, free-field calibrated like every impulse response here (a unit sample
/// emitted gives the direct sound 1/(4πr) at r/c, below the band edge), and high-passed like the
/// geometric part.
public struct WaveResponse: Sendable {
    public var omni: [Float]
    /// The pressure at two points on the ear axis ±1.5 a from its centre (a: the head radius): a plane
    /// wave from azimuth θ reaches them 3a sin θ / c apart — the low-frequency interaural time
    /// difference of a sphere (Kuhn 1977, JASA 62(1)) — with no level difference, as the head gives at
    /// low frequencies.
    public var left: [Float]
    public var right: [Float]
    /// For turned heads (`ears(yawDegrees:)`): the pressure at `WaveResponse.ringNodes` points on the
    /// horizontal circle of radius 1.5 a round the ear-axis centre, node j at 360°·j/N from the left
    /// ear turning left (node 0 is `left`, node N/2 `right`); empty when not asked for.
    public var ring: [[Float]] = []
    public var plan: WavePlan
    /// The grid's actual spacing and air cells.
    public var spacing: Double
    public var airCells: Int
}

extension WaveResponse {
    /// Points on the ear circle: enough for the angular harmonics of the field on a circle of radius
    /// r below the crossover. The m-th harmonic goes as Jₘ(kr) (Williams, *Fourier Acoustics*, ch. 6);
    /// at 1.5 × 8.75 cm and 500 Hz, kr = 1.2 and J₈(1.2) ≈ 4e-7: 16 nodes resolve it.
    public static let ringNodes = 16

    /// The ears of a head turned by `yawDegrees` (+ = left) from the room file's listener: trigonometric
    /// interpolation of the ring's nodes with the periodic sinc of an even node count,
    /// S_N(φ) = sin(Nφ/2)/(N tan(φ/2)) (Trefethen, *Spectral Methods in MATLAB*, ch. 3); at a node,
    /// that node's own signal.
    public func ears(yawDegrees: Double) -> (left: [Float], right: [Float]) {
        guard yawDegrees != 0 else { return (left, right) }
        precondition(!ring.isEmpty, "the wave part was run without its ring of ear points")
        let psi = radians(yawDegrees)
        return (WaveResponse.ringValue(ring, angle: psi), WaveResponse.ringValue(ring, angle: psi + .pi))
    }

    /// The signal at angle `phi` (radians) on a ring of equally spaced nodes (node j at 2πj/N).
    static func ringValue(_ ring: [[Float]], angle phi: Double) -> [Float] {
        let n = ring.count, frames = ring[0].count
        let position = phi / (2 * .pi) * Double(n)
        let nearest = position.rounded()
        if abs(position - nearest) < 1e-9 { return ring[((Int(nearest) % n) + n) % n] }
        var out = [Float](repeating: 0, count: frames)
        for j in 0..<n {
            let d = phi - 2 * .pi * Double(j) / Double(n)
            let w = Float(sin(Double(n) * d / 2) / (Double(n) * tan(d / 2)))
            for i in 0..<frames { out[i] += w * ring[j][i] }
        }
        return out
    }
}

/// The wave solver stage: one FDTD run per source, recording at any number of points.
public enum WaveSolver {
    /// The excitation: a linear-phase low-pass FIR (Blackman-windowed sinc) with unit sum, cut off at
    /// `cutoff` (−6 dB) with a transition `cutoff`/2 wide, at `rate`. Its spectrum is flat to
    /// 0.01 dB in the pass band, so nothing needs dividing out below 3/4 of the cutoff.
    static func excitation(cutoff: Double, rate: Double) -> [Float] {
        windowedSinc(cutoff: cutoff, transition: 0.5 * cutoff, rate: rate)
    }

    /// A linear-phase low-pass FIR at `rate` Hz: a Blackman-windowed sinc (Harris 1978) of unit DC
    /// gain, −6 dB at `cutoff`, its transition band `transition` Hz wide (5.5/N of the rate for N
    /// taps), below −70 dB beyond it.
    static func windowedSinc(cutoff: Double, transition: Double, rate: Double) -> [Float] {
        let half = Int((2.75 * rate / transition).rounded(.up))
        let fc = cutoff / rate
        var w = (0...(2 * half)).map { n -> Double in
            let t = Double(n - half)
            let sinc = t == 0 ? 2 * fc : sin(2 * .pi * fc * t) / (.pi * t)
            let x = Double(n) / Double(2 * half)
            return sinc * (0.42 - 0.5 * cos(2 * .pi * x) + 0.08 * cos(4 * .pi * x))
        }
        let sum = w.reduce(0, +)
        w = w.map { $0 / sum }
        return w.map(Float.init)
    }

    /// Runs the solver with a source at `source` and records the pressure at `receivers`; returns each
    /// receiver's response to a unit impulse band-limited by `excitation`'s FIR, zero-phase (the FIR's
    /// delay removed), one sample per time step: sample m is time m·k.
    ///
    /// A monopole whose source function has a net area injects net volume, and in a closed room the
    /// mean pressure then grows without bound (∫p dV = c² ∫∫f dt, for rigid walls) — the same
    /// build-up image sources show, which the room file's high-pass removes. Single precision would
    /// lose the response under that ramp, so the grid is driven with the FIR's first difference
    /// (no net volume: the field stays bounded) and the recorded responses are summed back, in
    /// double precision, to the response to the FIR itself. With `highpass` > 0 the excitation is also
    /// high-passed by the room file's second-order filter (the one the geometric part gets after its
    /// synthesis): the source then moves no net volume, and the response is the high-passed one.
    public static func run(grid: WaveGrid, speedOfSound c: Double, steps: Int, cutoff: Double, source: Vec3, receivers: [Vec3],
                           highpass: Double = 0, threads: Int) -> (responses: [[Float]], timeStep: Double) {
        let field = WaveField(grid: grid, speedOfSound: c, threads: threads)
        let k = field.timeStep
        var fir = excitation(cutoff: cutoff, rate: 1 / k)
        let delay = fir.count / 2 // the linear-phase FIR's own delay, removed from the responses
        if highpass > 0 {
            // The high-pass's own response lasts ≈ 10/(2π f) — then the excitation is over.
            fir += [Float](repeating: 0, count: Int(2 / (highpass * k)))
            Biquad.highpass(cutoff: highpass, sampleRate: 1 / k).process(&fir)
        }
        let sourceWeights = grid.trilinear(source)
        let receiverWeights = receivers.map { grid.trilinear($0) }
        // f(tₙ) = fir[n]/k is a band-limited δ(t) of unit area; the grid gets its difference, f(tₙ) − f(tₙ₋₁).
        let scale = field.sourceScale / k
        var sums = [Double](repeating: 0, count: receivers.count)
        var out = [[Float]](repeating: [Float](repeating: 0, count: steps), count: receivers.count)
        let total = steps + delay
        for n in 0..<(total - 1) {
            let difference = (n < fir.count ? Double(fir[n]) : 0) - (n >= 1 && n - 1 < fir.count ? Double(fir[n - 1]) : 0)
            let amount = Float(difference * scale)
            field.step(source: amount == 0 ? [] : sourceWeights.map { ($0.index, $0.weight * amount) })
            // pⁿ⁺¹ is now current: time (n + 1)·k, i.e. sample n + 1 − delay of the zero-phase response.
            let m = n + 1 - delay
            for (r, w) in receiverWeights.enumerated() {
                sums[r] += Double(field.read(w))
                if m >= 0 && m < steps { out[r][m] = Float(sums[r]) }
            }
        }
        return (out, k)
    }

    /// Band-limited interpolation of a response sampled every `timeStep` (content well below half its
    /// rate) onto `frames` samples at `sampleRate`, delayed by `delay` seconds: a Blackman-windowed
    /// sinc over ±16 input samples. sin π(u − m) = (−1)ᵐ sin πu, so each output sample needs one sine;
    /// the window comes from a table.
    public static func resample(_ x: [Float], timeStep k: Double, sampleRate fs: Double, frames: Int, delay: Double = 0) -> [Float] {
        let half = 16, resolution = 256
        let window: [Double] = (0...(half * resolution)).map { i in
            let t = Double(i) / Double(resolution)
            return 0.42 + 0.5 * cos(.pi * t / Double(half)) + 0.08 * cos(2 * .pi * t / Double(half))
        }
        var y = [Float](repeating: 0, count: frames)
        for n in 0..<frames {
            let u = (Double(n) / fs - delay) / k
            let m0 = Int(u.rounded(.down))
            let lo = max(0, m0 - half + 1), hi = min(x.count - 1, m0 + half)
            guard lo <= hi else { continue }
            let sinU = sin(.pi * (u - Double(m0))) // sin π(u − m) = (−1)^(m − m0) · sin π(u − m0)
            var acc = 0.0
            for m in lo...hi {
                let t = u - Double(m)
                let sign: Double = (m - m0) & 1 == 0 ? 1 : -1
                let sinc = abs(t) < 1e-9 ? 1 : sign * sinU / (.pi * t)
                let p = abs(t) * Double(resolution)
                let i = min(Int(p), half * resolution - 1), f = p - Double(i)
                acc += Double(x[m]) * sinc * (window[i] + f * (window[i + 1] - window[i]))
            }
            y[n] = Float(acc)
        }
        return y
    }

    /// The wave part of speaker `index` of `scene`: omni at the listener and the two ear points.
    public static func respond(scene: Scene, speaker index: Int, plan: WavePlan, grid: WaveGrid, sampleRate: Int, frames: Int,
                               headRadius: Double, threads: Int, ring: Bool = false) -> WaveResponse {
        let speaker = scene.speakers[index]
        let listener = scene.listener
        let o = listener.orientation
        let left = o.up.cross(o.forward) // toward the listener's left ear
        let ears = [listener.position + left * (1.5 * headRadius), listener.position - left * (1.5 * headRadius)]
        // The ring's other nodes: at angle φ from the left ear, turning left (toward the back).
        let back = left.cross(Vec3(0, 0, 1)) * -1
        let n = WaveResponse.ringNodes
        let others: [Vec3] = ring ? (1..<n).filter { $0 != n / 2 }.map { j in
            let phi = 2 * Double.pi * Double(j) / Double(n)
            return listener.position + left * (1.5 * headRadius * cos(phi)) + back * (1.5 * headRadius * sin(phi))
        } : []
        let c = scene.air.speedOfSound
        let steps = Int((Double(frames) / Double(sampleRate) / WaveField.timeStep(spacing: grid.spacing, speedOfSound: c)).rounded(.up)) + 2
        let run = run(grid: grid, speedOfSound: c, steps: steps,
                      cutoff: plan.bandEdge, source: speaker.position, receivers: [listener.position] + ears + others,
                      highpass: scene.simulation.highpassHertz, threads: threads)
        // The solver's responses are continuous-time (a δ of unit area in, pressure out); a discrete
        // impulse response carries a δ as one sample of value 1, i.e. area 1/fs: scale by 1/fs.
        let gain = Float(pow(10, speaker.gainDB / 20) / Double(sampleRate))
        let resampled = run.responses.map { r in
            resample(r, timeStep: run.timeStep, sampleRate: Double(sampleRate), frames: frames, delay: speaker.delaySeconds).map { $0 * gain }
        }
        var nodes: [[Float]] = []
        if ring {
            nodes = [resampled[1]] + Array(resampled[3..<(3 + n / 2 - 1)]) + [resampled[2]] + Array(resampled[(3 + n / 2 - 1)...])
        }
        return WaveResponse(omni: resampled[0], left: resampled[1], right: resampled[2], ring: nodes, plan: plan, spacing: grid.spacing,
                            airCells: grid.airCellCount)
    }
}
