import Foundation

/// The counting noise of a simulated parameter, from one run: balanced half-samples (balanced
/// repeated replication, McCarthy 1969, "Pseudo-replication: half-samples", *Rev. Int. Stat. Inst.*
/// 37). The ray tracer traces its rays in n = 8 interleaved, independent batches. Row r = 1 … n − 1
/// of the n × n Sylvester–Hadamard matrix, hᵣₖ = (−1)^popcount(r & k), splits them into two halves
/// of four (hᵣₖ = +1 and −1), every pair of batches together in equally many splits; θᵣ⁺ and θᵣ⁻
/// are the parameter recomputed from each half alone (its field scaled by 2), and
/// σ̂² = Σᵣ (θᵣ⁺ − θᵣ⁻)² / (4 (n − 1)) estimates the squared standard error of θ — how far another
/// seed would move it — without simulating again. For the mean it is exactly s²/n (the rows are
/// orthogonal). Unlike the delete-one jackknife, each replicate moves half the data, so a
/// parameter that is not smooth in the energy (EDT whose −10 dB point sits on a knee of the decay,
/// T30 carried by a few long-lived rays) is still measured right: half-sample replication stays
/// consistent where delete-one fails (Shao & Wu 1992, *Ann. Statist.* 20, sample quantiles).
/// The image sources and the wave part are deterministic and the same in every replicate.
public enum HalfSamples {
    /// The balanced halves of `n` batches (n a power of two, ≥ 2) in complementary pairs:
    /// [plus₁, minus₁, plus₂, minus₂, …], n − 1 pairs; empty for any other n.
    public static func halves(of n: Int) -> [[Int]] {
        guard n >= 2, n & (n - 1) == 0 else { return [] }
        return (1..<n).flatMap { r -> [[Int]] in
            let plus = (0..<n).filter { (r & $0).nonzeroBitCount % 2 == 0 }
            return [plus, (0..<n).filter { !plus.contains($0) }]
        }
    }

    /// σ̂ from `replicates` in the order of `halves(of:)` (pairs of complementary halves); nil
    /// with fewer than one pair or an odd count.
    public static func standardError(_ replicates: [Double]) -> Double? {
        guard replicates.count >= 2, replicates.count % 2 == 0 else { return nil }
        let pairs = replicates.count / 2
        var sum = 0.0
        for r in 0..<pairs {
            let d = replicates[2 * r] - replicates[2 * r + 1]
            sum += d * d
        }
        return (sum / Double(4 * pairs)).squareRoot()
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
