import Foundation

/// Enough rays where needed: with `rays: "auto"` a speaker's rays come in independent passes
/// (`RayTracer.run(…, pass:)`), and another pass is traced while the counting noise of a room
/// parameter is larger than a choice between setups can bear — up to `maximum` passes.
///
/// The noise is measured from the run itself: balanced half-samples of the ray tracer's eight
/// batches (`HalfSamples`; McCarthy 1969) give each parameter's standard error σ̂, and five seeds
/// span about 2.33 σ (the expected range of five normal draws). Decision grade is five seeds within
/// 5 % in EDT and T30 and within 1 dB in C80 and C50, per octave 250 Hz – 4 kHz; σ̂ from 7 pairs of
/// halves is itself uncertain by about a quarter, so a pass is added while σ̂ > 1.5 % or 0.3 dB.
/// The mean of k passes is an unbiased estimate with 1/k of one pass's variance: σ falls as 1/√k,
/// as with k times the rays in one pass, and its batches (each the mean of the passes' batch) stay
/// independent.
public enum RayPasses {
    /// The most passes `rays: "auto"` traces (64: an eighth of the counting noise of one pass; a
    /// room whose late decay rides on a few long-lived rays — a flutter between a desk top and
    /// the ceiling — needs 30–60), fewer where the work budget says so (`WorkEstimate`).
    public static let maximum = 64
    /// The fewest passes `rays: "auto"` traces where the work budget holds two: one pass cannot
    /// tell whether it missed the rare long-lived rays (see `isDecisionGrade`).
    public static let minimum = 2
    /// Targets on σ̂: relative for EDT and T30, in dB for C80 and C50.
    static let relativeTarget = 0.015, decibelTarget = 0.3
    static let bandLabels = ["250", "500", "1k", "2k", "4k"]

    /// Half-sample replicates of the expected energy response (`HalfSamples`): the image sources'
    /// `specular` response plus twice the field of each balanced half of the batches.
    static func replicates(specular: EnergyResponse, traced: RayTracingResult) -> [EnergyResponse] {
        HalfSamples.halves(of: traced.batches.count).map { half in
            var field = traced.batches[half[0]]
            for k in half.dropFirst() { field.add(traced.batches[k]) }
            let scale = Float(traced.batches.count) / Float(half.count)
            field.scale { _ in SIMD8(repeating: scale) }
            var replicate = specular
            replicate.add(field: field)
            return replicate
        }
    }

    /// The parameters the rule asks for, read from one expected response (from bin `onsetBin`):
    /// EDT, T30, C80, C50 for each octave 250 Hz – 4 kHz, nil where the response does not give one
    /// (a decay too short for T30). `relative` says which are judged in % (EDT, T30) and which in dB.
    static func checked(_ response: EnergyResponse, onsetBin: Int) -> [Double?] {
        let rate = 1 / EnergyResponse.binSeconds
        let onset = max(0, min(response.binCount - 1, onsetBin))
        return FrequencyBands.octaves.labels.enumerated().filter { bandLabels.contains($0.element) }.flatMap { b, _ -> [Double?] in
            let p = ImpulseResponseAnalyzer.parameters(energy: response.band(b), onset: onset, fs: rate, noiseless: true)
            return [p.EDT.value, p.T30.value, p.C80.value, p.C50.value]
        }
    }
    static let relative = [true, true, false, false]

    /// What one pass says on its own: its parameters (`checked(_:onsetBin:)` of the image sources'
    /// `specular` response plus the pass's field) and their squared standard errors from the pass's
    /// balanced half-samples (nil where a replicate lacks the parameter).
    struct PassRecord {
        var values: [Double?]
        var variances: [Double?]

        init(specular: EnergyResponse, pass: RayTracingResult, onsetBin: Int) {
            var response = specular
            response.add(field: pass.field)
            values = RayPasses.checked(response, onsetBin: onsetBin)
            let reps = RayPasses.replicates(specular: specular, traced: pass).map { RayPasses.checked($0, onsetBin: onsetBin) }
            variances = values.indices.map { k in
                let replicated = reps.compactMap { $0[k] }
                guard replicated.count == reps.count, let sigma = HalfSamples.standardError(replicated) else { return nil }
                return sigma * sigma
            }
        }
    }

    /// Whether every parameter of `mean` (`checked(_:onsetBin:)` of the passes' mean response) has
    /// σ̂ within the targets. The mean of P independent passes has variance Σₚ σₚ² / P²: σ̂ pools
    /// every pass's own half-sample variance (7 degrees of freedom per pass rather than 7 in all, so
    /// the rule does not stop on a σ̂ that happens to read low) and, from two passes on, is at least
    /// the passes' scatter, √(Σ (xₚ − x̄)² / (P (P − 1))): where the late decay rides on a few
    /// long-lived rays, a pass that happens to miss them reads low *and* calm in all its batches
    /// alike, and only another pass shows it. A parameter the response does not give is not asked for.
    static func isDecisionGrade(mean: [Double?], passes: [PassRecord]) -> Bool {
        let n = Double(passes.count)
        guard n > 0 else { return false }
        for (k, value) in mean.enumerated() {
            guard let value else { continue }
            let variances = passes.compactMap { $0.variances[k] }
            guard variances.count == passes.count else { continue }
            var variance = variances.reduce(0, +) / (n * n)
            let perPass = passes.compactMap { $0.values[k] }
            if perPass.count == passes.count, passes.count > 1 {
                let centre = perPass.reduce(0, +) / n
                variance = max(variance, perPass.reduce(0) { $0 + ($1 - centre) * ($1 - centre) } / (n * (n - 1)))
            }
            let sigma = variance.squareRoot()
            if relative[k % relative.count] ? sigma > relativeTarget * abs(value) : sigma > decibelTarget { return false }
        }
        return true
    }

    /// The mean of `a` (itself the mean of `weight` passes) and one more pass `b`.
    static func mean(_ a: RayTracingResult, weight: Int, _ b: RayTracingResult) -> RayTracingResult {
        let kept = Float(weight) / Float(weight + 1), added = 1 / Float(weight + 1)
        func blend(_ x: EnergyField, _ y: EnergyField) -> EnergyField {
            var sum = x
            sum.scale { _ in SIMD8(repeating: kept) }
            var extra = y
            extra.scale { _ in SIMD8(repeating: added) }
            sum.add(extra)
            return sum
        }
        var result = a
        result.field = blend(a.field, b.field)
        result.batches = zip(a.batches, b.batches).map { blend($0, $1) }
        result.rays = a.rays + b.rays
        result.reflections = a.reflections + b.reflections
        result.lostRays = a.lostRays + b.lostRays
        result.splitRays = a.splitRays + b.splitRays
        return result
    }
}
