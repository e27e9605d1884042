import Foundation

/// Band-limited fractional delay: a Hann-windowed sinc of 81 taps (the length pyroomacoustics uses),
/// tabulated at 1024 sub-sample phases. The nearest phase is used, so an arrival is placed within
/// 1/2048 of a sample of its true time; the kernel is centred on the arrival (no added latency).
///
/// h_φ[k] = sinc(k − H − φ) · ½(1 + cos(π (k − H − φ)/(H + 1))),  k = 0 … 2H,  H = 40,
/// for a delay of n₀ + φ samples placed at indices n₀ − H … n₀ + H (Laakso et al. 1996, §3.2).
public final class FractionalDelayTable: Sendable {
    public static let shared = FractionalDelayTable()
    public let halfWidth = 40
    public let phases = 1024
    public var taps: Int { 2 * halfWidth + 1 }
    /// (phases + 1) rows of `taps` coefficients.
    public let table: [Float]

    init() {
        let h = 40, n = 2 * h + 1, p = 1024
        var t = [Float](repeating: 0, count: (p + 1) * n)
        for phase in 0...p {
            let frac = Double(phase) / Double(p)
            for k in 0..<n {
                let x = Double(k - h) - frac
                let sinc = abs(x) < 1e-12 ? 1 : sin(.pi * x) / (.pi * x)
                let window = abs(x) <= Double(h + 1) ? 0.5 * (1 + cos(.pi * x / Double(h + 1))) : 0
                t[phase * n + k] = Float(sinc * window)
            }
        }
        table = t
    }
}

/// Impulses accumulated per band at fractional delays: one work slot's buffers.
///
/// Buffers are `length` samples per band, stored band after band, with `offset` samples of padding
/// before time zero (room for the kernels' and the zero-phase band filters' pre-ringing).
public struct BandAccumulator: Sendable {
    public let bandCount: Int
    public let length: Int
    public let offset: Int
    public var data: [Float]

    /// `empty`: no buffers yet (a slot that places no arrivals here); they are taken from the
    /// first non-empty accumulator added.
    public init(bandCount: Int, length: Int, offset: Int, empty: Bool = false) {
        self.bandCount = bandCount
        self.length = length
        self.offset = offset
        data = empty ? [] : [Float](repeating: 0, count: bandCount * length)
    }

    /// False for an empty accumulator: every band is zero.
    public var holdsArrivals: Bool { !data.isEmpty }

    /// Adds an impulse at `delaySamples` (time × sample rate, may be fractional) with amplitude
    /// `gains[b]` in band b. Parts of the kernel outside the buffer are dropped.
    @inlinable
    public mutating func add(delaySamples: Double, gains: UnsafePointer<Float>, table: FractionalDelayTable) {
        let position = delaySamples + Double(offset)
        var n0 = Int(position.rounded(.down))
        var phase = Int(((position - Double(n0)) * Double(table.phases)).rounded())
        if phase == table.phases { phase = 0; n0 += 1 }
        let h = table.halfWidth, taps = table.taps
        let first = max(0, h - n0), last = min(taps, length - n0 + h)
        guard first < last else { return }
        let length = self.length
        table.table.withUnsafeBufferPointer { t in
            let kernel = t.baseAddress! + phase * taps
            data.withUnsafeMutableBufferPointer { d in
                for b in 0..<bandCount {
                    let g = gains[b]
                    if g == 0 { continue }
                    let out = d.baseAddress! + b * length + n0 - h
                    for k in first..<last { out[k] += g * kernel[k] }
                }
            }
        }
    }

    /// Adds `kernel` (its sample 0 at `start`, an index into the padded buffer) scaled by
    /// `gains[b]` into each band b. Parts outside the buffer are dropped.
    public mutating func add(kernel: [Float], start: Int, gains: UnsafePointer<Float>) {
        let first = max(0, -start), last = min(kernel.count, length - start)
        guard first < last else { return }
        let length = self.length
        kernel.withUnsafeBufferPointer { k in
            data.withUnsafeMutableBufferPointer { d in
                for b in 0..<bandCount {
                    let g = gains[b]
                    if g == 0 { continue }
                    let out = d.baseAddress! + b * length + start
                    for i in first..<last { out[i] += g * k[i] }
                }
            }
        }
    }

    /// Adds another slot's buffers into this one, sample by sample (a fixed merge order keeps the
    /// result independent of the thread count).
    public mutating func add(_ other: BandAccumulator) {
        guard other.holdsArrivals else { return }
        guard holdsArrivals else { data = other.data; return }
        precondition(other.data.count == data.count)
        data.withUnsafeMutableBufferPointer { d in other.data.withUnsafeBufferPointer { o in
            for i in 0..<d.count { d[i] += o[i] }
        } }
    }
}
