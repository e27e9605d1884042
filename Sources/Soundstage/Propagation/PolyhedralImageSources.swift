import Foundation

/// Image sources of any polyhedral room (floor plan, mesh, objects) after Borish (1984).
///
/// The image tree is built by mirroring the source (and each image) in every surface it lies in
/// front of. An image yields a path when the path traced back from the listener meets each mirror
/// surface inside its polygon, in order, and no surface (wall or object) blocks any leg
/// (validity and visibility, ibid. §II). Paths longer than `maxDistance` are skipped.
struct PolyhedralImageSources {
    let index: PolygonIndex
    let source: Vec3
    let receiver: Vec3
    let maxDistance: Double
    let maxOrder: Int
    let reflectionFactors: [BandValues]
    let bandCount: Int
    /// When set, only paths that reflect off at least one marked surface are visited (and the
    /// direct sound is not): the objects' paths in a shoebox whose shell `ShoeboxImageSources` covers.
    let onlyVia: [Bool]?

    init(scene: Scene, speaker: Speaker, maxDistance: Double, maxOrder: Int, bandCount: Int, onlyVia: [Bool]? = nil) {
        self.onlyVia = onlyVia
        index = PolygonIndex(scene.surfaces.map(\.polygon))
        source = speaker.position
        receiver = scene.listener.position
        self.maxDistance = maxDistance
        self.maxOrder = maxOrder
        reflectionFactors = scene.surfaces.map(\.material.reflectionFactor)
        self.bandCount = bandCount
    }

    /// Candidate images in a tree of `order` levels over `surfaceCount` surfaces (upper bound).
    static func treeSize(surfaceCount s: Int, order: Int) -> Double {
        var total = 1.0, level = 1.0
        for k in 0..<order { level *= Double(k == 0 ? s : s - 1); total += level }
        return total
    }

    /// Visits the valid paths whose first surface index i has i % slots == slot (slot 0 also gets
    /// the direct sound). `visit` receives the surfaces in order from the source, the reflection
    /// points, the path length, the emission direction and the combined reflection factors.
    func enumerate(slot: Int, slots: Int, visit: (_ surfaces: [Int], _ points: [Vec3], _ distance: Double, _ emission: Vec3, _ reflection: UnsafePointer<Double>) -> Void) {
        var reflection = [Double](repeating: 1, count: bandCount)
        if slot == 0, onlyVia == nil, !index.occluded(source, receiver) {
            reflection.withUnsafeBufferPointer { visit([], [], source.distance(to: receiver), receiver - source, $0.baseAddress!) }
        }
        guard maxOrder >= 1 else { return }
        var images: [Vec3] = [source]
        var sequence: [Int] = []
        var marked = 0
        func descend() {
            let parent = images.last!
            for s in index.entries.indices {
                if sequence.isEmpty && s % slots != slot { continue }
                if s == sequence.last { continue }
                guard index.signedDistance(s, parent) > 1e-9 else { continue } // image must face the surface
                let image = index.mirror(s, parent)
                images.append(image)
                sequence.append(s)
                let isMarked = onlyVia?[s] ?? true
                if isMarked { marked += 1 }
                defer { if isMarked { marked -= 1 } }
                if marked > 0, image.distance(to: receiver) <= maxDistance, let points = validate(images: images, sequence: sequence) {
                    for b in 0..<bandCount {
                        var r = 1.0
                        for k in sequence { r *= reflectionFactors[k][b] }
                        reflection[b] = r
                    }
                    let emission = (points.first ?? receiver) - source
                    reflection.withUnsafeBufferPointer { visit(sequence, points, image.distance(to: receiver), emission, $0.baseAddress!) }
                }
                if sequence.count < maxOrder { descend() }
                images.removeLast()
                sequence.removeLast()
            }
        }
        descend()
    }

    /// Traces the current image's path back from the receiver; returns the reflection points in
    /// order from the source, or nil when the path is invalid or blocked.
    private func validate(images: [Vec3], sequence: [Int]) -> [Vec3]? {
        let k = sequence.count
        var points = [Vec3](repeating: .zero, count: k)
        var p = receiver
        var previous = -1
        for j in stride(from: k - 1, through: 0, by: -1) {
            let s = sequence[j]
            guard index.signedDistance(s, p) > 1e-9, let hit = index.intersect(s, from: p, to: images[j + 1], tMin: 0, tMax: 1) else { return nil }
            if index.occluded(p, hit.point, skip1: s, skip2: previous) { return nil }
            points[j] = hit.point
            p = hit.point
            previous = s
        }
        if index.occluded(p, source, skip1: previous) { return nil }
        return points
    }
}
