import Foundation

/// Streaming multi-input, two-output FFT convolution (overlap-save, one partition per filter):
/// out_ear = Σ_inputs input_i ∗ h_(i, ear). Memory is a few FFT frames whatever the input's length;
/// the spectra of all inputs are summed per ear before one inverse FFT per ear.
///
/// Block length B = N − L + 1 with N the power of two ≥ 4 L (at least 2¹⁶): large blocks make the
/// per-sample cost small, which is what offline rendering wants (Wefers, *Partitioned convolution
/// algorithms for real-time auralization*, 2015, ch. 5: overlap-save costs ∝ N log N / (N − L + 1)).
/// Powers of two, because FFTW's estimated plans are fastest there (`make bench` shows the render's
/// speed). All buffers are allocated once, SIMD-aligned, and reused: the
/// caller writes each block straight into `input(_:)`, and each ear's output is handed, still in the
/// FFT's buffer, to a callback that runs on that ear's thread (EQ and metering in parallel).
final class StreamingConvolver {
    public let inputCount: Int
    public let filterLength: Int
    public let fftSize: Int
    public let blockLength: Int
    private let fft: RealFFT
    private let bins: Int
    /// Filter spectra, [input][ear] × 2·bins floats (interleaved complex), scaled by 1/N so the
    /// inverse transform needs no extra pass.
    private let filterSpectra: UnsafeMutablePointer<Float>
    /// Per input: N samples, the last L − 1 input samples so far followed by the block.
    private let frames: UnsafeMutablePointer<Float>
    /// Per input: the frame's spectrum.
    private let inputSpectra: UnsafeMutablePointer<Float>
    /// Per ear: the summed spectrum, then the N samples of the inverse transform.
    private let sums: UnsafeMutablePointer<Float>
    private let outputs: UnsafeMutablePointer<Float>
    private let threads: Int

    /// `filters[i][ear]`: the impulse response from input i to ear (0 = left, 1 = right).
    public init(filters: [[[Float]]], threads: Int = 2) {
        inputCount = filters.count
        let l = max(1, filters.flatMap { $0 }.map(\.count).max() ?? 1)
        filterLength = l
        var n = 1 << 16
        while n < 4 * l { n <<= 1 }
        fftSize = n
        blockLength = n - l + 1
        fft = RealFFT(size: n, aligned: true)
        bins = n / 2 + 1
        self.threads = threads
        filterSpectra = RealFFT.allocate(max(1, filters.count) * 2 * 2 * bins)
        frames = RealFFT.allocate(max(1, filters.count) * n)
        inputSpectra = RealFFT.allocate(max(1, filters.count) * 2 * bins)
        sums = RealFFT.allocate(2 * 2 * bins)
        outputs = RealFFT.allocate(2 * n)
        let scale = 1 / Float(n)
        for (i, pair) in filters.enumerated() {
            for ear in 0..<2 {
                let frame = frames + i * n
                frame.update(repeating: 0, count: n)
                for (k, v) in pair[ear].enumerated() { frame[k] = v * scale }
                fft.forward(frame, filterSpectra + (2 * i + ear) * 2 * bins)
            }
            (frames + i * n).update(repeating: 0, count: n) // the history starts silent
        }
    }

    deinit {
        for p in [filterSpectra, frames, inputSpectra, sums, outputs] { RealFFT.free(p) }
    }

    /// Where the next block of input `i` goes: room for `blockLength` samples.
    public func input(_ i: Int) -> UnsafeMutablePointer<Float> { frames + i * fftSize + filterLength - 1 }

    /// Ear `ear`'s output of the last `process` call (as many samples as that call's `count`, after
    /// the callback's changes).
    public func output(_ ear: Int) -> UnsafePointer<Float> { UnsafePointer(outputs + ear * fftSize + filterLength - 1) }

    /// Convolves the next `count` ≤ `blockLength` samples written through `input(_:)`. `perEar`
    /// receives each ear's `count` output samples on that ear's thread and may change them in place.
    public func process(count: Int, perEar: @Sendable (Int, UnsafeMutableBufferPointer<Float>) -> Void = { _, _ in }) {
        precondition(count > 0 && count <= blockLength)
        let n = fftSize, l = filterLength, bins = self.bins, blockLength = self.blockLength, inputCount = self.inputCount
        let fft = self.fft
        // Each work item below touches only its own input's or its own ear's part of these buffers.
        let frames = SendablePointer(raw: UnsafeMutableRawPointer(self.frames)), inputSpectra = SendablePointer(raw: UnsafeMutableRawPointer(self.inputSpectra))
        let sums = SendablePointer(raw: UnsafeMutableRawPointer(self.sums)), outputs = SendablePointer(raw: UnsafeMutableRawPointer(self.outputs))
        let filterSpectra = SendablePointer(raw: UnsafeMutableRawPointer(self.filterSpectra))
        // Input spectra, one per input (in parallel); then each frame keeps its last L − 1 samples.
        parallelFor(inputCount, threads: threads) { i in
            let frame = frames.floats + i * n
            if count < blockLength { (frame + l - 1 + count).update(repeating: 0, count: blockLength - count) }
            fft.forward(frame, inputSpectra.floats + i * 2 * bins)
            memmove(frame, frame + count, (l - 1) * MemoryLayout<Float>.stride)
        }
        // Per ear: Σ_i X_i H_(i,ear), one inverse FFT; the first L − 1 outputs are circular garbage.
        parallelFor(2, threads: threads) { ear in
            let y = sums.floats + ear * 2 * bins
            for i in 0..<inputCount {
                let x = inputSpectra.floats + i * 2 * bins, h = filterSpectra.floats + (2 * i + ear) * 2 * bins
                if i == 0 {
                    for k in 0..<bins {
                        let a = x[2 * k], b = x[2 * k + 1], c = h[2 * k], d = h[2 * k + 1]
                        y[2 * k] = a * c - b * d
                        y[2 * k + 1] = a * d + b * c
                    }
                } else {
                    for k in 0..<bins {
                        let a = x[2 * k], b = x[2 * k + 1], c = h[2 * k], d = h[2 * k + 1]
                        y[2 * k] += a * c - b * d
                        y[2 * k + 1] += a * d + b * c
                    }
                }
            }
            if inputCount == 0 { y.update(repeating: 0, count: 2 * bins) }
            let out = outputs.floats + ear * n
            fft.inverseUnscaled(y, out)
            perEar(ear, UnsafeMutableBufferPointer(start: out + l - 1, count: count))
        }
    }
}
