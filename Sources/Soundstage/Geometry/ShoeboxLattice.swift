import Foundation

/// The lattice of mirrored copies of a rectangular room (size W × L × H, cell (i, j, k) covering
/// [iW, (i+1)W] × …): the room reflected |i|, |j|, |k| times about its walls, so that a specular path
/// is a straight line from an image to the room (Allen & Berkley 1979). Each cell holds its copy of
/// every box in the room, reflected the same way — along every axis whose cell index is odd — so an
/// object occludes a path wherever the line crosses one of its copies.
struct ShoeboxLattice: Sendable {
    let size: Vec3
    let occluders: [(min: Vec3, max: Vec3)]

    /// Whether an object blocks the path from `a`, a point of the lattice (an image), to `b`, a
    /// point in the room (cell 0): the line is walked cell by cell through the lattice (Amanatides & Woo 1987, "A fast voxel traversal algorithm"), and
    /// in each cell its piece is tested against the boxes reflected into that cell (slab test,
    /// Kay & Kajiya 1986). A piece that only grazes a box's face (a reflection point on the floor
    /// beside a desk standing on it) is not blocked; one that passes through its inside is.
    func isBlocked(from a: Vec3, to b: Vec3) -> Bool {
        let d = b - a
        var cell = SIMD3<Int>(Int((a.x / size.x).rounded(.down)), Int((a.y / size.y).rounded(.down)), Int((a.z / size.z).rounded(.down)))
        let target = SIMD3<Int>(0, 0, 0)
        var next = SIMD3<Double>(repeating: .infinity), step = SIMD3<Double>(repeating: .infinity), move = SIMD3<Int>(0, 0, 0)
        for axis in 0..<3 where cell[axis] != target[axis] {
            move[axis] = cell[axis] < 0 ? 1 : -1
            let plane = Double(cell[axis] + (move[axis] > 0 ? 1 : 0)) * size[axis]
            next[axis] = (plane - a[axis]) / d[axis]
            step[axis] = size[axis] / abs(d[axis])
        }
        var t0 = 0.0
        while true {
            let t1 = min(1, min(next.x, min(next.y, next.z)))
            if t1 > t0 {
                // The cell's copy of each box: reflected along every axis whose cell index is odd.
                for box in occluders {
                    var lo = Vec3(0, 0, 0), hi = Vec3(0, 0, 0)
                    for axis in 0..<3 {
                        let base = Double(cell[axis]) * size[axis]
                        if cell[axis] & 1 == 0 {
                            lo[axis] = base + box.min[axis]; hi[axis] = base + box.max[axis]
                        } else {
                            lo[axis] = base + size[axis] - box.max[axis]; hi[axis] = base + size[axis] - box.min[axis]
                        }
                    }
                    if crossesInside(a, d, lo, hi, t0, t1) { return true }
                }
            }
            if t1 >= 1 { return false }
            let axis = next.x <= next.y && next.x <= next.z ? 0 : (next.y <= next.z ? 1 : 2)
            cell[axis] += move[axis]
            t0 = next[axis]
            next[axis] = cell[axis] == target[axis] ? .infinity : next[axis] + step[axis]
        }
    }

    /// Whether a + t·d for t in (t0, t1) passes through the open box (lo, hi) over more than a
    /// micrometre of its length (slabs; an axis along which the line does not move must lie strictly inside).
    @inline(__always)
    private func crossesInside(_ a: Vec3, _ d: Vec3, _ lo: Vec3, _ hi: Vec3, _ t0: Double, _ t1: Double) -> Bool {
        var enter = t0, leave = t1
        for axis in 0..<3 {
            if abs(d[axis]) < 1e-15 {
                if a[axis] <= lo[axis] || a[axis] >= hi[axis] { return false }
                continue
            }
            var u = (lo[axis] - a[axis]) / d[axis], v = (hi[axis] - a[axis]) / d[axis]
            if u > v { swap(&u, &v) }
            enter = max(enter, u); leave = min(leave, v)
        }
        let length = d.x * d.x + d.y * d.y + d.z * d.z
        return (leave - enter) * length.squareRoot() > 1e-6
    }
}
