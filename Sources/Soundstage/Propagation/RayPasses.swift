import Foundation

/// Enough rays where needed: with `rays: "auto"` a speaker's rays come in independent passes
/// (`RayTracer.run(…, pass:)`), and another pass is traced while the counting noise of a room
/// parameter is larger than a choice between setups can bear — up to `maximum` passes.
///
/// The noise is measured from the run itself: the jackknife over the ray tracer's eight batches
/// (`Jackknife`; Efron & Stein 1981) gives each parameter's standard error σ̂, and five seeds span
/// about 2.33 σ (the expected range of five normal draws). Decision grade is five seeds within
/// 5 % in EDT and T30 and within 1 dB in C80 and C50, per octave 250 Hz – 4 kHz; with 8 batches σ̂
/// is itself uncertain by about a quarter, so a pass is added while σ̂ > 1.5 % or 0.3 dB. The mean
/// of k passes is an unbiased estimate with 1/k of one pass's variance: σ falls as 1/√k, as with
/// k times the rays in one pass, and its batches (each the mean of the passes' batch) stay
/// independent.
public enum RayPasses {
    /// The most passes `rays: "auto"` traces (8: a third of the counting noise of one pass).
    public static let maximum = 8
    /// Targets on σ̂: relative for EDT and T30, in dB for C80 and C50.
    static let relativeTarget = 0.015, decibelTarget = 0.3
    static let bandLabels = ["250", "500", "1k", "2k", "4k"]

    /// Leave-one-batch-out replicates of the expected energy response: the image sources'
    /// `specular` response plus 8/7 of the field without batch k.
    static func replicates(specular: EnergyResponse, traced: RayTracingResult) -> [EnergyResponse] {
        let scale = Double(traced.batches.count) / Double(max(1, traced.batches.count - 1))
        return traced.batches.indices.map { k in
            var rest = traced.field
            rest.subtract(traced.batches[k], scale: scale)
            var replicate = specular
            replicate.add(field: rest)
            return replicate
        }
    }

    /// Whether every EDT, T30, C80 and C50 of 250 Hz – 4 kHz read from the expected response (the
    /// image sources plus the field, from bin `onsetBin`) has σ̂ within the targets, σ̂ from
    /// `replicates` (`replicates(specular:traced:)` of the same run). A parameter the response does
    /// not give (a decay too short for T30) is not asked for.
    static func isDecisionGrade(specular: EnergyResponse, traced: RayTracingResult, replicates others: [EnergyResponse],
                                onsetBin: Int) -> Bool {
        guard others.count > 1 else { return true }
        var full = specular
        full.add(field: traced.field)
        let rate = 1 / EnergyResponse.binSeconds
        let onset = max(0, min(full.binCount - 1, onsetBin))
        for (b, label) in FrequencyBands.octaves.labels.enumerated() where bandLabels.contains(label) {
            let p = ImpulseResponseAnalyzer.parameters(energy: full.band(b), onset: onset, fs: rate, noiseless: true)
            let reps = others.map { ImpulseResponseAnalyzer.parameters(energy: $0.band(b), onset: onset, fs: rate, noiseless: true) }
            let checks: [(WritableKeyPath<BandParameters, Parameter>, Bool)] = [(\.EDT, true), (\.T30, true), (\.C80, false), (\.C50, false)]
            for (field, relative) in checks {
                guard let value = p[keyPath: field].value else { continue }
                let values = reps.compactMap { $0[keyPath: field].value }
                guard values.count == reps.count, let sigma = Jackknife.standardError(values) else { continue }
                if relative ? sigma > relativeTarget * abs(value) : sigma > decibelTarget { return false }
            }
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
