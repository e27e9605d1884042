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
    /// Planned for SIMD-aligned arrays: the pointer forms then need arrays from `allocate`; the
    /// array forms copy through aligned scratch themselves.
    public let aligned: Bool
    /// Number of complex bins, N/2 + 1.
    public var binCount: Int { size / 2 + 1 }
    private let forwardPlan: fftwf_plan
    private let inversePlan: fftwf_plan

    private static let plannerLock = NSLock()

    public init(size: Int, aligned: Bool = false) {
        precondition(size >= 2 && size % 2 == 0, "RealFFT needs an even size ≥ 2")
        self.size = size
        self.aligned = aligned
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

    /// An aligned plan of `size` made once per process and kept (16 sizes at most): FFTW's planner
    /// costs as much as several transforms at the large, odd sizes the synthesis uses, and a batch or
    /// a session asks for the same few sizes scene after scene. Aligned plans run about twice as fast
    /// as unaligned ones (FFTW's SIMD codelets).
    public static func shared(size: Int) -> RealFFT {
        if let fft = plans.value(for: size) { return fft }
        let fft = RealFFT(size: size, aligned: true)
        plans.store(fft, for: size)
        return fft
    }
    private static let plans = LockedCache<Int, RealFFT>(limit: 16)

    /// `count` floats, aligned for FFTW's SIMD and zeroed; release with `RealFFT.free`.
    public static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = fftwf_alloc_real(count)!
        p.initialize(repeating: 0, count: count)
        return p
    }
    public static func free(_ p: UnsafeMutablePointer<Float>) { fftwf_free(p) }


    /// Forward transform of `input` (N samples) into `spectrum` (2·(N/2+1) floats, interleaved);
    /// for an aligned plan both from `allocate`.
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
        let x = RealFFT.allocate(size), out = RealFFT.allocate(2 * binCount)
        defer { RealFFT.free(x); RealFFT.free(out) }
        input.withUnsafeBufferPointer { i in x.update(from: i.baseAddress!, count: min(size, i.count)) }
        forward(x, out)
        return Array(UnsafeBufferPointer(start: out, count: 2 * binCount))
    }

    /// Array convenience: N samples from an interleaved spectrum of N/2+1 bins.
    public func inverse(_ spectrum: [Float]) -> [Float] {
        precondition(spectrum.count == 2 * binCount)
        let s = RealFFT.allocate(2 * binCount), out = RealFFT.allocate(size)
        defer { RealFFT.free(s); RealFFT.free(out) }
        spectrum.withUnsafeBufferPointer { s.update(from: $0.baseAddress!, count: 2 * binCount) }
        inverse(s, out)
        return Array(UnsafeBufferPointer(start: out, count: size))
    }
}
