import XCTest
@testable import Soundstage

final class FFTTests: XCTestCase {
    func testRoundTripIsIdentity() {
        var rng = SplitMix64(seed: 1)
        for n in [2, 16, 1000, 4096] {
            let fft = RealFFT(size: n)
            let x = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
            let y = fft.inverse(fft.forward(x))
            // Single precision: round-off grows like log2(n) ulps; 1e-5 is far above it, far below any bug.
            for i in 0..<n { XCTAssertEqual(y[i], x[i], accuracy: 1e-5, "n=\(n) i=\(i)") }
        }
    }

    func testParseval() {
        // Σ x² = (1/N) Σ_k |X_k|² over all N bins; the r2c half-spectrum counts bins 1…N/2−1 twice.
        var rng = SplitMix64(seed: 2)
        let n = 2048
        let fft = RealFFT(size: n)
        let x = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
        let s = fft.forward(x)
        var spectral = 0.0
        for k in 0...(n / 2) {
            let p = Double(s[2 * k]) * Double(s[2 * k]) + Double(s[2 * k + 1]) * Double(s[2 * k + 1])
            spectral += (k == 0 || k == n / 2) ? p : 2 * p
        }
        let energy = x.reduce(0.0) { $0 + Double($1) * Double($1) }
        XCTAssertEqual(spectral / Double(n), energy, accuracy: energy * 1e-5)
    }

    func testCosineLandsInItsBinWithUnscaledForward() {
        // x[n] = cos(2π·5n/N) → X[5] = N/2 (forward transform unscaled), all other bins ≈ 0.
        let n = 64
        let x = (0..<n).map { Float(cos(2 * Double.pi * 5 * Double($0) / Double(n))) }
        let s = RealFFT(size: n).forward(x)
        XCTAssertEqual(s[10], Float(n) / 2, accuracy: 1e-4)
        for k in 0...(n / 2) where k != 5 {
            XCTAssertEqual(hypot(s[2 * k], s[2 * k + 1]), 0, accuracy: 1e-4, "bin \(k)")
        }
    }

    func testConcurrentExecutionMatchesSerial() {
        // Plans are shared and executed from many threads (new-array execute): results must match.
        let n = 1024
        let fft = RealFFT(size: n)
        let inputs = (0..<16).map { i in (0..<n).map { Float(sin(Double($0 * (i + 1)) * 0.01)) } }
        let serial = inputs.map { fft.forward($0) }
        let results = ResultBox(count: inputs.count)
        DispatchQueue.concurrentPerform(iterations: inputs.count) { i in results.set(i, fft.forward(inputs[i])) }
        for i in inputs.indices { XCTAssertEqual(results.get(i), serial[i]) }
    }
}

/// Thread-safe slots for concurrent test results.
final class ResultBox: @unchecked Sendable {
    private var values: [[Float]]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: [], count: count) }
    func set(_ i: Int, _ v: [Float]) { lock.lock(); values[i] = v; lock.unlock() }
    func get(_ i: Int) -> [Float] { lock.lock(); defer { lock.unlock() }; return values[i] }
}
