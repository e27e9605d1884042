import CFFTW
import Foundation

/// Real-to-complex FFT of a fixed size over FFTW (single precision).
///
/// Scaling: `forward` is unscaled, X[k] = Σₙ x[n] e^{−2πikn/N}; `inverse` divides by N, so
/// `inverse(forward(x)) == x`. The spectrum holds bins 0…N/2 interleaved (re, im).
/// Plans are created once, under a lock (FFTW's planner is not thread-safe), and can then be executed
/// concurrently. By default with `FFTW_UNALIGNED`, so they run on any arrays (Swift's included);
/// `aligned: true` plans for SIMD-aligned arrays only — those from `RealFFT.allocate` — which FFTW
/// runs markedly faster at large sizes.
/// Immutable after `init` (two plans and the size), so sharing it between threads is safe.
public final class RealFFT: @unchecked Sendable {
    public let size: Int
    /// Number of complex bins, N/2 + 1.
    public var binCount: Int { size / 2 + 1 }
    private let forwardPlan: fftwf_plan
    private let inversePlan: fftwf_plan

    private static let plannerLock = NSLock()

    public init(size: Int, aligned: Bool = false) {
        precondition(size >= 2 && size % 2 == 0, "RealFFT needs an even size ≥ 2")
        self.size = size
        let real = fftwf_alloc_real(size)!
        let complex = fftwf_alloc_complex(size / 2 + 1)!
        defer { fftwf_free(real); fftwf_free(complex) }
        let flags = UInt32(FFTW_ESTIMATE) | (aligned ? 0 : UInt32(FFTW_UNALIGNED))
        RealFFT.plannerLock.lock()
        forwardPlan = fftwf_plan_dft_r2c_1d(Int32(size), real, complex, flags)
        inversePlan = fftwf_plan_dft_c2r_1d(Int32(size), complex, real, flags)
        RealFFT.plannerLock.unlock()
    }

    deinit {
        RealFFT.plannerLock.lock()
        fftwf_destroy_plan(forwardPlan)
        fftwf_destroy_plan(inversePlan)
        RealFFT.plannerLock.unlock()
    }

    /// `count` floats, aligned for FFTW's SIMD and zeroed; release with `RealFFT.free`.
    public static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = fftwf_alloc_real(count)!
        p.initialize(repeating: 0, count: count)
        return p
    }
    public static func free(_ p: UnsafeMutablePointer<Float>) { fftwf_free(p) }

    /// Forward transform of `input` (N samples) into `spectrum` (2·(N/2+1) floats, interleaved).
    public func forward(_ input: UnsafePointer<Float>, _ spectrum: UnsafeMutablePointer<Float>) {
        spectrum.withMemoryRebound(to: fftwf_complex.self, capacity: binCount) {
            fftwf_execute_dft_r2c(forwardPlan, UnsafeMutablePointer(mutating: input), $0)
        }
    }

    /// Inverse transform of `spectrum` into `output` (N samples), scaled by 1/N. `spectrum` is
    /// used as scratch (FFTW's c2r overwrites its input).
    public func inverse(_ spectrum: UnsafeMutablePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
        inverseUnscaled(spectrum, output)
        let scale = 1 / Float(size)
        for i in 0..<size { output[i] *= scale }
    }

    /// The inverse transform without the 1/N (N times `inverse`), for callers that fold the
    /// scale into their spectra.
    public func inverseUnscaled(_ spectrum: UnsafeMutablePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
        spectrum.withMemoryRebound(to: fftwf_complex.self, capacity: binCount) {
            fftwf_execute_dft_c2r(inversePlan, $0, output)
        }
    }

    /// Array convenience: the spectrum of `input` (zero-padded or truncated to N), interleaved.
    public func forward(_ input: [Float]) -> [Float] {
        var x = input
        x += [Float](repeating: 0, count: max(0, size - x.count))
        var out = [Float](repeating: 0, count: 2 * binCount)
        x.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { o in forward(i.baseAddress!, o.baseAddress!) } }
        return out
    }

    /// Array convenience: N samples from an interleaved spectrum of N/2+1 bins.
    public func inverse(_ spectrum: [Float]) -> [Float] {
        precondition(spectrum.count == 2 * binCount)
        var s = spectrum
        var out = [Float](repeating: 0, count: size)
        s.withUnsafeMutableBufferPointer { i in out.withUnsafeMutableBufferPointer { o in inverse(i.baseAddress!, o.baseAddress!) } }
        return out
    }
}
