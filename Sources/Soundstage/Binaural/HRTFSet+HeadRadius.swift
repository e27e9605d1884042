import Foundation

extension HRTFSet {
    /// The head radius the set implies at low frequencies: a = c · ITD₉₀ / 3, where ITD₉₀ is the
    /// interaural time difference of a source at azimuth 90° below 1.5 kHz and 3a/c the
    /// low-frequency ITD of a rigid sphere at 90° (Kuhn 1977, JASA 62(1), eq. for ka ≪ 1). ITD₉₀ is
    /// the lag of the largest cross-correlation of the two HRIRs, low-passed at 1.5 kHz, refined by a
    /// parabola through the peak. Clamped to 6–12 cm (human heads).
    public func headRadius(speedOfSound c: Double = 343) -> Double {
        let pair = hrir(azimuthDegrees: 90, elevationDegrees: 0)
        let n = max(pair.left.count, pair.right.count)
        let size = FFTSize.good(atLeast: 2 * n)
        let fft = RealFFT.shared(size: size)
        func lowpassed(_ x: [Float]) -> [Float] {
            var padded = [Float](repeating: 0, count: size)
            for i in x.indices { padded[i] = x[i] }
            var s = fft.forward(padded)
            for k in 0..<fft.binCount where Double(k) * sampleRate / Double(size) > 1500 { s[2 * k] = 0; s[2 * k + 1] = 0 }
            return fft.inverse(s)
        }
        let l = lowpassed(pair.left), r = lowpassed(pair.right)
        let maxLag = Int(0.0015 * sampleRate)
        func correlation(_ lag: Int) -> Double { // Σ l[i] r[i + lag]: positive lag = the right ear later
            var s = 0.0
            for i in 0..<size where i + lag >= 0 && i + lag < size { s += Double(l[i]) * Double(r[i + lag]) }
            return s
        }
        let values = (-maxLag...maxLag).map(correlation)
        let best = values.indices.max { values[$0] < values[$1] }!
        var lag = Double(best - maxLag)
        if best > 0 && best < values.count - 1 {
            let (a, b, d) = (values[best - 1], values[best], values[best + 1])
            let denominator = a - 2 * b + d
            if denominator < 0 { lag += 0.5 * (a - d) / denominator }
        }
        let itd = abs(lag / sampleRate + pair.rightDelaySeconds - pair.leftDelaySeconds)
        return min(0.12, max(0.06, c * itd / 3))
    }
}
