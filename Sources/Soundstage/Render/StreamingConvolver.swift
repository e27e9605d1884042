import Foundation

/// Streaming multi-input, two-output FFT convolution (overlap-save, one partition per filter):
/// out_ear = Σ_inputs input_i ∗ h_(i, ear). Memory is a few blocks whatever the input's length;
/// the spectra of all inputs are summed per ear before one inverse FFT per ear. Block length
/// B = N − L + 1 with N ≥ 4 L (at least 2¹⁶): large blocks make the per-sample cost small, which is
/// what offline rendering wants (Wefers, *Partitioned convolution algorithms*, 2015, ch. 5).
public final class StreamingConvolver {
    public let inputCount: Int
    public let filterLength: Int
    public let fftSize: Int
    public let blockLength: Int
    private let fft: RealFFT
    /// Filter spectra [input][ear], interleaved complex.
    private let spectra: [[[Float]]]
    /// The last L − 1 input samples per input (the overlap).
    private var history: [[Float]]
    private let threads: Int

    /// `filters[i][ear]`: the impulse response from input i to ear (0 = left, 1 = right).
    public init(filters: [[[Float]]], threads: Int = 2) {
        inputCount = filters.count
        let l = max(1, filters.flatMap { $0 }.map(\.count).max() ?? 1)
        filterLength = l
        fftSize = FFTSize.good(atLeast: max(1 << 16, 4 * l))
        blockLength = fftSize - l + 1
        let fft = RealFFT(size: fftSize)
        self.fft = fft
        spectra = filters.map { pair in pair.map { h in fft.forward(h) } }
        history = Array(repeating: [Float](repeating: 0, count: l - 1), count: filters.count)
        self.threads = threads
    }

    /// Convolves the next block of each input (all the same length ≤ `blockLength`); returns the
    /// same number of output samples per ear.
    public func process(_ inputs: [[Float]]) -> [[Float]] {
        let n = inputs.first?.count ?? 0
        guard n > 0 else { return [[], []] }
        precondition(n <= blockLength && inputs.count == inputCount)
        let l = filterLength
        // Input spectra, one per input (in parallel).
        let inputSpectra = Slots<[Float]>(count: inputCount)
        let histories = history
        let size = fftSize, spectra = self.spectra, count = inputCount
        parallelFor(inputCount, threads: threads) { [fft] i in
            var frame = [Float](repeating: 0, count: size)
            for k in 0..<(l - 1) { frame[k] = histories[i][k] }
            for k in 0..<n { frame[l - 1 + k] = inputs[i][k] }
            inputSpectra[i] = fft.forward(frame)
        }
        for i in 0..<inputCount {
            let joined = history[i] + inputs[i]
            history[i] = Array(joined.suffix(l - 1))
        }
        let x = inputSpectra.all
        // Per ear: Σ_i X_i H_(i,ear), one inverse FFT; the first L − 1 outputs are circular garbage.
        let outputs = Slots<[Float]>(count: 2)
        parallelFor(2, threads: threads) { [fft] ear in
            var sum = [Float](repeating: 0, count: 2 * fft.binCount)
            for i in 0..<count {
                let h = spectra[i][ear], xi = x[i]
                for k in 0..<fft.binCount {
                    let a = xi[2 * k], b = xi[2 * k + 1], c = h[2 * k], d = h[2 * k + 1]
                    sum[2 * k] += a * c - b * d
                    sum[2 * k + 1] += a * d + b * c
                }
            }
            outputs[ear] = Array(fft.inverse(sum)[(l - 1)..<(l - 1 + n)])
        }
        return outputs.all
    }
}
