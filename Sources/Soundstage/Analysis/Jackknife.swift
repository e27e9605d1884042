import Foundation

/// The counting noise of a simulated parameter, from one run: the delete-one jackknife (Efron &
/// Stein 1981; Efron & Tibshirani, *An Introduction to the Bootstrap*, 1993, §11.2). The ray tracer
/// traces its rays in n = 8 interleaved, independent batches; θ₍ₖ₎ is the parameter recomputed with
/// batch k left out (the field of the other seven scaled by 8/7), and
/// σ̂ = √((n − 1)/n · Σₖ (θ₍ₖ₎ − θ̄₍·₎)²) estimates the standard error of θ — how far another seed
/// would move it — without simulating again. The image sources and the wave part are
/// deterministic and the same in every replicate.
public enum Jackknife {
    /// σ̂ of the leave-one-out values `replicates` (nil with fewer than two).
    public static func standardError(_ replicates: [Double]) -> Double? {
        let n = Double(replicates.count)
        guard replicates.count > 1 else { return nil }
        let mean = replicates.reduce(0, +) / n
        return ((n - 1) / n * replicates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }).squareRoot()
    }

    /// Sets the `uncertainty` of each valued parameter of `p` from the same parameter of every
    /// replicate (left unset when a replicate lacks it).
    static func attach(to p: inout BandParameters, replicates: [BandParameters]) {
        let fields: [WritableKeyPath<BandParameters, Parameter>] = [\.EDT, \.T20, \.T30, \.C50, \.C80, \.D50, \.Ts, \.DRR]
        for field in fields where p[keyPath: field].value != nil {
            let values = replicates.compactMap { $0[keyPath: field].value }
            guard values.count == replicates.count else { continue }
            p[keyPath: field].uncertainty = standardError(values)
        }
    }
}
