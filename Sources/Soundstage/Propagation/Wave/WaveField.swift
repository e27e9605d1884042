import Foundation

/// The pressure field of the wave solver and its time stepping: the standard rectilinear (7-point)
/// leapfrog scheme for the wave equation p_tt = c²∇²p on the cubic grid of `WaveGrid`, in the
/// finite-volume form that gives locally reacting boundaries (Bilbao 2013, IEEE TASLP 21(7); the
/// scheme itself: Botteldooren 1995, JASA 98(6); Kowalczyk & van Walstijn 2011, IEEE TASLP 19(1)).
///
/// For air node l with K air neighbours m and boundary faces f, each with a normalized admittance
/// β_f (a filter: `BoundaryModel`, `DiscreteBoundary`) turning the pressure into the wall's normal
/// velocity times ρc, vₗ = Σ_f β_f ∗ p̄ₗ:
///
///     pₗⁿ⁺¹ − 2pₗⁿ + pₗⁿ⁻¹ = λ² (Σₘ pₘⁿ − K pₗⁿ) − λ (vₗⁿ⁺½ − vₗⁿ⁻½) + λ² sₗⁿ/h,   p̄ₗⁿ⁺½ = (pₗⁿ⁺¹ + pₗⁿ)/2,
///
/// λ = c k / h the Courant number, k the time step, sₗ the source. Interior nodes (K = 6, no faces)
/// reduce at λ = 1/√3 — the stability limit of the scheme in 3-D, where it is exact along the
/// grid's diagonals — to pⁿ⁺¹ = ⅓ Σₘ pₘⁿ − pⁿ⁻¹. The boundary term discretizes the locally reacting
/// condition ∂p/∂n = −(1/c) ∂v/∂t; vⁿ⁺½ depends on pⁿ⁺¹ through the filters' instantaneous part H,
/// so each boundary node solves one scalar equation (1 + λH/2) pⁿ⁺¹ = …. For a constant β it is the
/// centred form (1 + λβ/2) pⁿ⁺¹ = … − (1 − λβ/2) pⁿ⁻¹ of Bilbao 2013, §IV. Multiplying by
/// pⁿ⁺¹ − pⁿ⁻¹ = 2(p̄ⁿ⁺½ − p̄ⁿ⁻½) shows the boundary removes 2λ Σₙ Δv Δp̄ ≥ 0 of the scheme's discrete
/// energy whenever each β_f has a non-negative real part on the unit circle — true of the bilinear
/// transform of a positive-real admittance — and conserves it when every β is 0. Numerical dispersion: the
/// relative phase-velocity error along the axes is ≈ (κh)²(1 − λ²)/24 (κ the wavenumber) — 1.1 % at
/// 10 points per wavelength, 0.27 % at 20, 0.07 % at 40 — less off axis and zero along the diagonals.
///
/// A point source with the continuous source term c² f(t) δ(x − x₀) radiates f(t − r/c)/(4πr) (the
/// free-field Green's function, as SPEC §2 asks). Discretized with δ ≈ 1/h³ at a node, the step adds
/// k²c² f(tₙ)/h³ = λ²/h · f(tₙ) to pⁿ⁺¹, spread over the 8 nodes around x₀ with trilinear weights. Receivers
/// read with the same weights, so swapping source and receiver gives the same response (the update
/// is symmetric in l and m: reciprocity).
public final class WaveField {
    public let grid: WaveGrid
    /// The Courant number λ = c k / h.
    public let courant: Double
    public let timeStep: Double
    /// pⁿ (current) and pⁿ⁻¹ (previous), padded storage; solid cells stay 0.
    public private(set) var current: UnsafeMutablePointer<Float>
    public private(set) var previous: UnsafeMutablePointer<Float>
    private let threads: Int
    private let boundary: BoundaryNodes
    /// The work of a step in parallel parts: runs of air (the boundary nodes among them are the
    /// same part of `boundary`).
    private let chunks: [Range<Int>]

    public init(grid: WaveGrid, speedOfSound c: Double, threads: Int = 1) {
        self.grid = grid
        courant = WaveField.courantNumber
        timeStep = WaveField.timeStep(spacing: grid.spacing, speedOfSound: c)
        current = .allocate(capacity: grid.storageCount)
        current.initialize(repeating: 0, count: grid.storageCount)
        previous = .allocate(capacity: grid.storageCount)
        previous.initialize(repeating: 0, count: grid.storageCount)
        self.threads = max(1, threads)
        let parts = self.threads > 1 && grid.airCellCount > 20_000 ? self.threads * 4 : 1
        chunks = (0..<parts).map { c in grid.runs.count * c / parts ..< grid.runs.count * (c + 1) / parts }
        // Each part's boundary nodes: those before the first run of the next part.
        let ends = chunks.map { $0.upperBound < grid.runs.count ? grid.runs[$0.upperBound].start : Int.max }
        boundary = BoundaryNodes(grid: grid, timeStep: timeStep, courant: courant, partEnds: ends)
    }

    deinit { current.deallocate(); previous.deallocate() }

    /// λ = 1/√3, the 3-D stability limit of the scheme.
    public static let courantNumber = 1 / 3.0.squareRoot()

    /// The time step k = λ h / c of a grid with spacing `h`.
    public static func timeStep(spacing h: Double, speedOfSound c: Double) -> Double { courantNumber * h / c }

    /// The amount added to pⁿ⁺¹ per unit of the source function f(tₙ): λ²/h.
    public var sourceScale: Double { courant * courant / grid.spacing }

    /// Advances one step: pⁿ⁻¹ ← pⁿ⁺¹ computed from pⁿ and pⁿ⁻¹, then the buffers swap; `source`
    /// adds (padded index, amount) to pⁿ⁺¹.
    public func step(source: [(index: Int, amount: Float)] = []) {
        let p = UnsafePointer(current), q = previous
        let sx = grid.sx, sxy = grid.sxy
        // Each chunk sweeps its runs of air, then corrects its boundary nodes (listed in the same order):
        // the correction needs only pⁿ and the node's own swept value, so no barrier lies between them,
        // and the values it corrects are still in cache.
        let runs = grid.runs, nodes = boundary, parts = chunks
        if parts.count > 1 {
            let pointers = (SendablePointer(raw: UnsafeMutableRawPointer(mutating: p)), SendablePointer(raw: UnsafeMutableRawPointer(q)))
            parallelFor(parts.count, threads: threads) { c in
                let (p, q) = (UnsafePointer(pointers.0.floats), pointers.1.floats)
                WaveField.sweep(runs, parts[c], p, q, sx: sx, sxy: sxy)
                nodes.update(p, q, part: c)
            }
        } else {
            WaveField.sweep(runs, 0..<runs.count, p, q, sx: sx, sxy: sxy)
            nodes.update(p, q, part: 0)
        }
        for (i, a) in source { q[i] += a }
        swap(&current, &previous)
    }

    /// The interior update q ← ⅓ Σ₆ p − q over the air runs `range` (eight cells at a time).
    static func sweep(_ runs: [(start: Int, count: Int)], _ range: Range<Int>, _ p: UnsafePointer<Float>, _ q: UnsafeMutablePointer<Float>,
                      sx: Int, sxy: Int) {
        let third: Float = 1 / 3
        for r in range {
            let (start, count) = runs[r]
            var i = start
            let end = start + count
            while i + 8 <= end {
                let s = load8(p + i - 1) + load8(p + i + 1) + load8(p + i - sx) + load8(p + i + sx) + load8(p + i - sxy) + load8(p + i + sxy)
                store8(third * s - load8(q + i), q + i)
                i += 8
            }
            while i < end {
                q[i] = third * (p[i - 1] + p[i + 1] + p[i - sx] + p[i + sx] + p[i - sxy] + p[i + sxy]) - q[i]
                i += 1
            }
        }
    }

    @inline(__always) static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// The pressure now at `weights` (trilinear, from `WaveGrid.trilinear`).
    public func read(_ weights: [(index: Int, weight: Float)]) -> Float {
        weights.reduce(0) { $0 + $1.weight * current[$1.index] }
    }
}

/// The boundary nodes' update of `WaveField.step`, in two lists over flat storage. Nodes whose faces
/// are all plain conductances (no filter sections) keep, in single precision, their padded index,
/// λ²(6 − K) − λH/2, 1/(1 + λH/2), H (the sum of their faces' β) and S − vⁿ⁻½ for the coming step
/// (S = 0, v = H p̄). The others keep the same in double precision and their entries (one per
/// material on their faces): face count, material, and two states per section of the material's
/// filter (`DiscreteBoundary`: conductance and sections in one small table shared by every entry
/// of the material). Each list is cut into the step's parts by padded index.
final class BoundaryNodes: @unchecked Sendable {
    let count: Int
    private let courant: Double
    // Plain nodes.
    private let plainIndex: [Int32]
    private let plainStiffness: [Float], plainReciprocal: [Float], plainAdmittance: [Float]
    private let plainPending: UnsafeMutablePointer<Float>
    private let plainParts: [Range<Int>]
    // Filtered nodes.
    private let index: [Int32]
    /// λ²(6 − K) − λH/2, 1/(1 + λH/2).
    private let stiffness: [Double], reciprocal: [Double]
    private let entryStart: [Int32]
    private let faces: [Double]
    private let material: [Int32]
    private let stateStart: [Int32]
    /// S − vⁿ⁻½ of the coming step, and the sections' states.
    private let pending: UnsafeMutablePointer<Double>
    private let state: UnsafeMutablePointer<Double>
    private let parts: [Range<Int>]
    /// Per material: its conductance, and its sections `sectionStart[m] ..< sectionStart[m + 1]` of
    /// `coefficients` (b₀, b₁, b₂, a₁, a₂ each).
    private let conductance: [Double]
    private let sectionStart: [Int]
    private let coefficients: [Double]

    /// `partEnds[c]`: the padded index where part c's runs end (the next part's first run).
    init(grid: WaveGrid, timeStep k: Double, courant: Double, partEnds: [Int]) {
        self.courant = courant
        let filters = grid.boundaryModels.map { DiscreteBoundary($0, timeStep: k) }
        conductance = filters.map(\.conductance)
        var starts = [0]
        for f in filters { starts.append(starts.last! + f.sections.count) }
        sectionStart = starts
        coefficients = filters.flatMap { $0.sections.flatMap { [$0.b0, $0.b1, $0.b2, $0.a1, $0.a2] } }
        count = grid.boundaryIndex.count
        var pIndex: [Int32] = [], pStiff: [Float] = [], pRecip: [Float] = [], pH: [Float] = []
        var fIndex: [Int32] = [], fStiff: [Double] = [], fRecip: [Double] = [], fStart: [Int32] = [0]
        var fFaces: [Double] = [], fMaterial: [Int32] = [], fState: [Int32] = []
        var states = 0
        for n in 0..<count {
            let entries = Int(grid.boundaryEntryStart[n])..<Int(grid.boundaryEntryStart[n + 1])
            let h = entries.reduce(0.0) { $0 + Double(grid.entryFaces[$1]) * filters[Int(grid.entryMaterial[$1])].instantaneous }
            let stiff = courant * courant * Double(6 - grid.boundaryNeighbours[n]) - courant * h / 2
            let recip = 1 / (1 + courant * h / 2)
            if entries.allSatisfy({ filters[Int(grid.entryMaterial[$0])].sections.isEmpty }) {
                pIndex.append(grid.boundaryIndex[n]); pStiff.append(Float(stiff)); pRecip.append(Float(recip)); pH.append(Float(h))
            } else {
                fIndex.append(grid.boundaryIndex[n]); fStiff.append(stiff); fRecip.append(recip)
                for e in entries {
                    let m = Int(grid.entryMaterial[e])
                    fFaces.append(Double(grid.entryFaces[e])); fMaterial.append(Int32(m)); fState.append(Int32(states))
                    states += 2 * filters[m].sections.count
                }
                fStart.append(Int32(fFaces.count))
            }
        }
        (plainIndex, plainStiffness, plainReciprocal, plainAdmittance) = (pIndex, pStiff, pRecip, pH)
        (index, stiffness, reciprocal, entryStart, faces, material, stateStart) = (fIndex, fStiff, fRecip, fStart, fFaces, fMaterial, fState)
        plainPending = .allocate(capacity: max(1, pIndex.count)); plainPending.initialize(repeating: 0, count: max(1, pIndex.count))
        pending = .allocate(capacity: max(1, fIndex.count)); pending.initialize(repeating: 0, count: max(1, fIndex.count))
        state = .allocate(capacity: max(1, states)); state.initialize(repeating: 0, count: max(1, states))
        func cut(_ list: [Int32]) -> [Range<Int>] {
            var start = 0
            return partEnds.map { end in
                var n = start
                while n < list.count && Int(list[n]) < end { n += 1 }
                defer { start = n }
                return start..<n
            }
        }
        plainParts = cut(pIndex); parts = cut(fIndex)
    }

    deinit { plainPending.deallocate(); pending.deallocate(); state.deallocate() }

    /// q holds ⅓Σ − pⁿ⁻¹ at the boundary nodes (solid neighbours 0); makes it
    /// [2pⁿ − pⁿ⁻¹ + λ²(Σ − K pⁿ) − λ(H pⁿ/2 + S − vⁿ⁻½)] / (1 + λH/2), S the sections' state part of
    /// vⁿ⁺½, then advances the sections with p̄ⁿ⁺½ = (pⁿ⁺¹ + pⁿ)/2 — for the nodes of part `part` (each
    /// node touches only its own q and state, so parts may run in parallel). S − vⁿ⁺½ for the next
    /// step is Σ over entries of faces × (Σ first states − β ∗ p̄), both known once the sections
    /// have advanced.
    func update(_ p: UnsafePointer<Float>, _ q: UnsafeMutablePointer<Float>, part: Int) {
        let l = courant
        plainIndex.withUnsafeBufferPointer { idx in
        plainStiffness.withUnsafeBufferPointer { stiff in
        plainReciprocal.withUnsafeBufferPointer { recip in
        plainAdmittance.withUnsafeBufferPointer { h in
            for n in plainParts[part] {
                let i = Int(idx[n]), pn = Double(p[i])
                let next = (Double(q[i]) + Double(stiff[n]) * pn - l * Double(plainPending[n])) * Double(recip[n])
                q[i] = Float(next)
                plainPending[n] = Float(-Double(h[n]) * (next + pn) * 0.5)
            }
        } } } }
        let range = parts[part]
        guard !range.isEmpty else { return }
        index.withUnsafeBufferPointer { index in
        stiffness.withUnsafeBufferPointer { stiffness in
        reciprocal.withUnsafeBufferPointer { reciprocal in
        entryStart.withUnsafeBufferPointer { entryStart in
        faces.withUnsafeBufferPointer { faces in
        material.withUnsafeBufferPointer { material in
        stateStart.withUnsafeBufferPointer { stateStart in
        conductance.withUnsafeBufferPointer { g in
        sectionStart.withUnsafeBufferPointer { ss in
        coefficients.withUnsafeBufferPointer { cc in
            for n in range {
                let i = Int(index[n])
                let pn = Double(p[i])
                let next = (Double(q[i]) + stiffness[n] * pn - l * pending[n]) * reciprocal[n]
                q[i] = Float(next)
                let x = (next + pn) / 2
                // Advance the sections; what the next step needs of them is S − vⁿ⁺½.
                var sum = 0.0
                for e in Int(entryStart[n])..<Int(entryStart[n + 1]) {
                    let m = Int(material[e]), st = state + Int(stateStart[e])
                    var v = g[m] * x, s1 = 0.0
                    for j in 0..<(ss[m + 1] - ss[m]) {
                        let c = 5 * (ss[m] + j)
                        let y = cc[c] * x + st[2 * j]
                        st[2 * j] = cc[c + 1] * x - cc[c + 3] * y + st[2 * j + 1]
                        st[2 * j + 1] = cc[c + 2] * x - cc[c + 4] * y
                        v += y
                        s1 += st[2 * j]
                    }
                    sum += faces[e] * (s1 - v)
                }
                pending[n] = sum
            }
        } } } } } } } } } }
    }
}
