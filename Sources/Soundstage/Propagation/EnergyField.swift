import Foundation

/// Sound energy arriving at the listener from one speaker, per octave band × time bin × direction
/// of arrival: what the ray tracer measures (Vorländer, *Auralization*, 2008, §11.2, the
/// "energy histogram" — here with a direction dimension, as Schröder's RAVEN keeps it for the
/// binaural tail).
///
/// Units: `energy(band:bin:)` is the band's Σ p² over the bin's samples of the omnidirectional RIR
/// at the simulation's sample rate (SPEC §2's convention: an omni source's direct sound at r has
/// amplitude 1/(4πr), so its energy is 1/(16π²r²)). Directions are cells of a `SphereGrid` in the
/// listener's head frame.
public struct EnergyField: Sendable {
    public let bandCount: Int
    public let binSeconds: Double
    public let binCount: Int
    public let grid: SphereGrid
    /// data[(bin · cells + cell) · bandCount + band]
    public private(set) var data: [Float]

    public init(bandCount: Int, binSeconds: Double, binCount: Int, grid: SphereGrid = SphereGrid()) {
        self.bandCount = bandCount
        self.binSeconds = binSeconds
        self.binCount = binCount
        self.grid = grid
        data = [Float](repeating: 0, count: binCount * grid.cellCount * bandCount)
    }

    /// Adds `energy` (one value per band) arriving at `seconds` from head-frame cell `cell`.
    @inline(__always)
    mutating func add(seconds: Double, cell: Int, energy: UnsafePointer<Float>) {
        let bin = Int(seconds / binSeconds)
        guard bin >= 0, bin < binCount else { return }
        let base = (bin * grid.cellCount + cell) * bandCount
        data.withUnsafeMutableBufferPointer { d in
            for b in 0..<bandCount { d[base + b] += energy[b] }
        }
    }

    /// Adds another field of the same shape (merging work slots in a fixed order).
    mutating func add(_ other: EnergyField) {
        precondition(other.data.count == data.count)
        for i in data.indices { data[i] += other.data[i] }
    }

    /// Multiplies every direction's energy in `bin` by `factors[band]`.
    mutating func scale(bin: Int, by factors: [Float]) {
        let cells = grid.cellCount, bands = bandCount
        data.withUnsafeMutableBufferPointer { d in
            for c in 0..<cells {
                let base = (bin * cells + c) * bands
                for b in 0..<bands { d[base + b] *= factors[b] }
            }
        }
    }

    /// Energy in `band` within `bin`, summed over directions.
    public func energy(band: Int, bin: Int) -> Double {
        var s = 0.0
        for c in 0..<grid.cellCount { s += Double(data[(bin * grid.cellCount + c) * bandCount + band]) }
        return s
    }

    /// Energy in `band` from cell `cell` within `bin`.
    public func energy(band: Int, bin: Int, cell: Int) -> Double {
        Double(data[(bin * grid.cellCount + cell) * bandCount + band])
    }

    /// Per band: the energy arriving at or after `seconds`, and the part of it along the ear axis
    /// (Σ E·y², y the head-frame left component of the arrival direction, averaged over each cell).
    public func lateEnergy(after seconds: Double) -> (total: [Double], lateral: [Double]) {
        var total = [Double](repeating: 0, count: bandCount), lateral = total
        let first = max(0, Int((seconds / binSeconds).rounded(.up)))
        guard first < binCount else { return (total, lateral) }
        for bin in first..<binCount {
            for c in 0..<grid.cellCount {
                let w = grid.meanLateralSquare[c]
                for b in 0..<bandCount {
                    let e = Double(data[(bin * grid.cellCount + c) * bandCount + b])
                    total[b] += e
                    lateral[b] += e * w
                }
            }
        }
        return (total, lateral)
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
        var a = atan2(v.y, v.x) / (2 * .pi) * Double(sectors) + 0.5
        if a < 0 { a += Double(sectors) }
        let sector = min(sectors - 1, Int(a)) % sectors
        return ring * sectors + sector
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
