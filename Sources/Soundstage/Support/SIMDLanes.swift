/// Lane-wise minimum and maximum written as blends. The standard library's generic
/// `pointwiseMin`/`pointwiseMax` and `.max()` stayed out-of-line calls in the hot loops (20 % of a
/// render's time in a profile); these concrete versions inline to compare-and-blend instructions.
@inline(__always) func lanesMax(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .> a) }
@inline(__always) func lanesMin(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .< a) }
@inline(__always) func lanesMax(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> { a.replacing(with: b, where: b .> a) }
@inline(__always) func lanesMax(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> { a.replacing(with: b, where: b .> a) }
@inline(__always) func lanesMin(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> { a.replacing(with: b, where: b .< a) }
@inline(__always) func largestLane(_ v: SIMD3<Double>) -> Double { max(max(v.x, v.y), v.z) }
@inline(__always) func smallestLane(_ v: SIMD3<Double>) -> Double { min(min(v.x, v.y), v.z) }
@inline(__always) func largestLane(_ v: SIMD8<Float>) -> Float {
    let a = lanesMax(v.lowHalf, v.highHalf)
    return max(max(a.x, a.y), max(a.z, a.w))
}
/// Lane-wise |v|, as a blend.
@inline(__always) func lanesAbs(_ v: SIMD8<Float>) -> SIMD8<Float> { v.replacing(with: -v, where: v .< 0) }
