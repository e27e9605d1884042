import Foundation

/// Seed derivation for independent random streams per work item.
enum RandomStream {
    /// A 64-bit stream seed from (seed, a, b): SplitMix64's finalizer over a mix of the three.
    static func derive(_ seed: UInt64, _ a: UInt64, _ b: UInt64) -> UInt64 {
        var g = SplitMix64Generator(seed: seed)
        var h = g.next() ^ (a &* 0xD6E8_FEB8_6659_FD93)
        g = SplitMix64Generator(seed: h)
        h = g.next() ^ (b &* 0xA076_1D64_78BD_642F)
        g = SplitMix64Generator(seed: h)
        return g.next()
    }
}

extension SplitMix64Generator {
    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always) mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1p-53 }
    /// Uniform in [0, 1) with 24 random bits.
    @inline(__always) mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1p-24 }
}
