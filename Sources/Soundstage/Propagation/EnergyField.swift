import Foundation

/// Sound energy arriving at the listener from one speaker, per octave band × time bin × direction
/// of arrival: what the ray tracer measures (Vorländer, *Auralization*, 2008, §11.2, the
/// "energy histogram" — here with a direction dimension, as Schröder's RAVEN keeps it for the
/// binaural tail).
///
/// Units: `energy(band:bin:)` is the band's Σ p² over the bin's samples of the omnidirectional RIR
/// at the simulation's sample rate (SPEC §2's convention: an omni source's direct sound at r has
/// amplitude 1/(4πr), so its energy is 1/(16π²r²)). Directions are cells of a `SphereGrid` in the
/// listener's head frame, kept per frame of `binsPerFrame` bins.
public struct EnergyField: Sendable {
    public let bandCount: Int
    public let binSeconds: Double
    public let binCount: Int
    public let grid: SphereGrid
    /// Bins per frame of the directional part: directions are kept at a coarser time resolution
    /// (8 ms), which is what their users need (the tail's directions, the late lateral energy) and
    /// keeps the field small enough to stay in cache while rays are traced.
    public let binsPerFrame: Int
    public var frameCount: Int { (binCount + binsPerFrame - 1) / binsPerFrame }
    /// Energy per bin, one lane per band: omni[bin][band].
    private(set) var omni: [SIMD8<Float>]
    /// Energy per frame and direction cell, one lane per band: directional[frame · cells + cell][band].
    private(set) var directional: [SIMD8<Float>]

    public init(bandCount: Int, binSeconds: Double, binCount: Int, grid: SphereGrid = SphereGrid(), binsPerFrame: Int = 8) {
        precondition(bandCount <= SIMD8<Float>.scalarCount, "an energy field holds at most 8 bands")
        self.bandCount = bandCount
        self.binSeconds = binSeconds
        self.binCount = binCount
        self.grid = grid
        self.binsPerFrame = binsPerFrame
        omni = [SIMD8<Float>](repeating: .zero, count: binCount)
        directional = [SIMD8<Float>](repeating: .zero, count: ((binCount + binsPerFrame - 1) / binsPerFrame) * grid.cellCount)
    }

    /// Adds `energy` (one lane per band) arriving at `seconds` from head-frame cell `cell`.
    @inline(__always)
    mutating func add(seconds: Double, cell: Int, energy: SIMD8<Float>) {
        let bin = Int(seconds / binSeconds)
        guard bin >= 0, bin < binCount else { return }
        let frame = bin / binsPerFrame, cells = grid.cellCount
        omni.withUnsafeMutableBufferPointer { $0[bin] += energy }
        directional.withUnsafeMutableBufferPointer { $0[frame * cells + cell] += energy }
    }

    /// Adds what a worker accumulated (merging work slots in a fixed order).
    mutating func add(_ a: EnergyFieldAccumulator) {
        precondition(a.omniCount == omni.count && a.directionalCount == directional.count)
        for i in omni.indices { omni[i] += a.omni[i] }
        for i in directional.indices { directional[i] += a.directional[i] }
    }

    /// Adds another field of the same shape (merging work slots in a fixed order).
    mutating func add(_ other: EnergyField) {
        precondition(other.omni.count == omni.count && other.directional.count == directional.count)
        for i in omni.indices { omni[i] += other.omni[i] }
        for i in directional.indices { directional[i] += other.directional[i] }
    }

    /// Multiplies the energy at time `seconds` per band by `factors` (lanes beyond the bands ignored):
    /// `factor(t)` is evaluated at each bin's and each frame's centre.
    mutating func scale(by factor: (_ seconds: Double) -> SIMD8<Float>) {
        for bin in omni.indices { omni[bin] *= factor((Double(bin) + 0.5) * binSeconds) }
        let cells = grid.cellCount
        for frame in 0..<frameCount {
            let f = factor((Double(frame * binsPerFrame) + 0.5 * Double(binsPerFrame)) * binSeconds)
            for c in 0..<cells { directional[frame * cells + c] *= f }
        }
    }

    /// Energy in `band` within `bin`, all directions.
    public func energy(band: Int, bin: Int) -> Double { Double(omni[bin][band]) }

    /// Energy in `band` from cell `cell` within frame `frame` (bins frame·binsPerFrame …).
    public func energy(band: Int, frame: Int, cell: Int) -> Double { Double(directional[frame * grid.cellCount + cell][band]) }

    /// Per band: the energy arriving from the first frame starting at or after `seconds` on (up to
    /// the frames that start before `end`), and the part of it along the ear axis (Σ E·y², y the
    /// head-frame left component of the arrival direction, averaged over each cell).
    public func lateEnergy(after seconds: Double, before end: Double = .infinity) -> (total: [Double], lateral: [Double]) {
        var total = [Double](repeating: 0, count: bandCount), lateral = total
        let frameSeconds = binSeconds * Double(binsPerFrame)
        let first = max(0, Int((seconds / frameSeconds).rounded(.up)))
        let last = end.isFinite ? min(frameCount, max(0, Int((end / frameSeconds).rounded(.up)))) : frameCount
        guard first < last else { return (total, lateral) }
        for frame in first..<last {
            for c in 0..<grid.cellCount {
                let w = grid.meanLateralSquare[c]
                for b in 0..<bandCount {
                    let e = energy(band: b, frame: frame, cell: c)
                    total[b] += e
                    lateral[b] += e * w
                }
            }
        }
        return (total, lateral)
    }
}

/// One worker's energy field while rays are traced: the same layout as `EnergyField`, in raw
/// memory, so the hot loop pays no copy-on-write checks.
final class EnergyFieldAccumulator {
    let binsPerSecond: Double
    let binCount: Int, binsPerFrame: Int, cells: Int
    /// log₂ binsPerFrame when it is a power of two (the default 8), else −1: the frame of an
    /// arrival by a shift instead of a division.
    let frameShift: Int
    let omniCount: Int, directionalCount: Int
    let omni: UnsafeMutablePointer<SIMD8<Float>>
    let directional: UnsafeMutablePointer<SIMD8<Float>>

    init(shape f: EnergyField) {
        binsPerSecond = 1 / f.binSeconds
        binCount = f.binCount
        binsPerFrame = f.binsPerFrame
        frameShift = f.binsPerFrame.nonzeroBitCount == 1 ? f.binsPerFrame.trailingZeroBitCount : -1
        cells = f.grid.cellCount
        omniCount = f.binCount
        directionalCount = f.frameCount * cells
        omni = .allocate(capacity: omniCount)
        omni.initialize(repeating: .zero, count: omniCount)
        directional = .allocate(capacity: directionalCount)
        directional.initialize(repeating: .zero, count: directionalCount)
    }

    deinit {
        omni.deallocate()
        directional.deallocate()
    }

    @inline(__always)
    func add(seconds: Double, cell: Int, energy: SIMD8<Float>) {
        let bin = Int(seconds * binsPerSecond)
        guard bin >= 0, bin < binCount else { return }
        omni[bin] += energy
        let frame = frameShift >= 0 ? bin >> frameShift : bin / binsPerFrame
        directional[frame * cells + cell] += energy
    }
}

/// A coarse grid of directions: `rings` equal-area rings of elevation (equal steps of sin(elevation),
/// Archimedes' hat-box theorem) × `sectors` azimuth sectors centred on 0°, 360°/sectors, …: every
/// cell covers the same solid angle 4π/(rings · sectors). Directions are head-frame unit vectors
/// (x forward, y left, z up: SOFA azimuth and elevation).
public struct SphereGrid: Sendable, Equatable {
    public let rings: Int
    public let sectors: Int
    public var cellCount: Int { rings * sectors }
    /// Mean of y² (the squared cosine to the ear axis) over each cell.
    public let meanLateralSquare: [Double]

    public init(rings: Int = 4, sectors: Int = 8) {
        self.rings = rings
        self.sectors = sectors
        // Cell means of y² by a fine midpoint rule in (z, azimuth), which is uniform in solid angle.
        let steps = 32
        var means = [Double](repeating: 0, count: rings * sectors)
        for r in 0..<rings {
            for s in 0..<sectors {
                var sum = 0.0
                for i in 0..<steps {
                    let z = -1 + (Double(r) + (Double(i) + 0.5) / Double(steps)) * 2 / Double(rings)
                    for j in 0..<steps {
                        let az = (Double(s) - 0.5 + (Double(j) + 0.5) / Double(steps)) * 2 * .pi / Double(sectors)
                        let y = (1 - z * z).squareRoot() * sin(az)
                        sum += y * y
                    }
                }
                means[r * sectors + s] = sum / Double(steps * steps)
            }
        }
        meanLateralSquare = means
    }

    /// The cell holding head-frame unit direction `v`.
    @inline(__always)
    public func cell(_ v: Vec3) -> Int {
        let ring = min(rings - 1, max(0, Int((v.z + 1) * 0.5 * Double(rings))))
        if sectors == 8 {
            // Octants of the plane turned by 22.5° (sector k is centred on k·45°), branch-free: the
            // signs of x and y and whether |y| > |x| index a table.
            let c = 0.9238795325112867, s = 0.3826834323650898 // cos, sin 22.5°
            let x = v.x * c - v.y * s, y = v.x * s + v.y * c // turned by +22.5°
            let i = (x >= 0 ? 1 : 0) | (y >= 0 ? 2 : 0) | (abs(y) > abs(x) ? 4 : 0)
            return ring * sectors + SphereGrid.octants[i]
        }
        var a = SphereGrid.fastAtan2(v.y, v.x) / (2 * .pi) * Double(sectors) + 0.5
        if a < 0 { a += Double(sectors) }
        let sector = min(sectors - 1, Int(a)) % sectors
        return ring * sectors + sector
    }

    /// Octant (0 = around 0°, counting anticlockwise) by [x ≥ 0] + 2·[y ≥ 0] + 4·[|y| > |x|].
    static let octants = [4, 7, 3, 0, 5, 6, 2, 1]

    /// atan2 to within 1e-5 rad (a minimax polynomial for atan on [0, 1], then octant symmetry):
    /// ample for choosing a cell, and several times cheaper than libm's.
    @inline(__always)
    static func fastAtan2(_ y: Double, _ x: Double) -> Double {
        let ax = abs(x), ay = abs(y)
        let big = max(ax, ay)
        guard big > 0 else { return 0 }
        let a = min(ax, ay) / big
        let s = a * a
        // Abramowitz & Stegun 4.4.49-style odd polynomial (max error ≈ 1e-5 rad).
        var r = ((((0.0208351 * s - 0.085133) * s + 0.180141) * s - 0.3302995) * s + 0.999866) * a
        if ay > ax { r = .pi / 2 - r }
        if x < 0 { r = .pi - r }
        return y < 0 ? -r : r
    }

    /// A direction inside cell `cell` for uniform numbers u, w in [0, 1): uniform in solid angle.
    public func direction(cell: Int, _ u: Double, _ w: Double) -> Vec3 {
        let ring = cell / sectors, sector = cell % sectors
        let z = -1 + (Double(ring) + u) * 2 / Double(rings)
        let az = (Double(sector) - 0.5 + w) * 2 * .pi / Double(sectors)
        let rho = max(0, 1 - z * z).squareRoot()
        return Vec3(rho * cos(az), rho * sin(az), z)
    }
}
