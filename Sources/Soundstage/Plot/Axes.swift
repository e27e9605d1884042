import Foundation

/// "Nice" axis ticks after Heckbert (1990, *Graphics Gems*, "Nice numbers for graph labels"):
/// steps of 1, 2 or 5 × 10^k, covering the data range.
enum NiceTicks {
    static func nice(_ x: Double, round: Bool) -> Double {
        let e = floor(log10(x)), f = x / pow(10, e)
        let n: Double
        if round { n = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10 }
        else { n = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10 }
        return n * pow(10, e)
    }

    /// About `count` ticks from at or below `lo` to at or above `hi`.
    public static func ticks(_ lo: Double, _ hi: Double, count: Int = 6) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
        let range = nice(hi - lo, round: false)
        let step = nice(range / Double(max(1, count - 1)), round: true)
        let first = floor(lo / step) * step, last = ceil(hi / step) * step
        return stride(from: first, through: last + step / 2, by: step).map { abs($0) < step * 1e-9 ? 0 : $0 }
    }

    /// Decade ticks 10^k (and 2, 5 × 10^k) for a log axis.
    public static func logTicks(_ lo: Double, _ hi: Double) -> [Double] {
        var out: [Double] = []
        var e = floor(log10(lo))
        while pow(10, e) <= hi * 1.0001 {
            for m in [1.0, 2, 5] { let v = m * pow(10, e); if v >= lo * 0.9999 && v <= hi * 1.0001 { out.append(v) } }
            e += 1
        }
        return out
    }

    public static func label(_ v: Double) -> String {
        if abs(v) >= 1000, v.truncatingRemainder(dividingBy: 1000) == 0 { return "\(Int(v / 1000))k" }
        if v == v.rounded() { return String(Int(v)) }
        return String(format: "%g", v)
    }
}

/// A rectangular plotting area with data-to-pixel mapping (linear or log x), frame, ticks and labels.
public struct PlotPanel {
    public var x: Double, y: Double, width: Double, height: Double
    public var xRange: ClosedRange<Double>, yRange: ClosedRange<Double>
    public var logX = false
    /// Larger x values to the left (e.g. azimuth, + = the listener's left).
    public var flipX = false
    /// Tick spacing on x and y (nil: chosen by `NiceTicks`), e.g. 30° for angles.
    public var xStep: Double?
    public var yStep: Double?

    public init(x: Double, y: Double, width: Double, height: Double, xRange: ClosedRange<Double>, yRange: ClosedRange<Double>,
                logX: Bool = false, flipX: Bool = false) {
        (self.x, self.y, self.width, self.height, self.xRange, self.yRange, self.logX, self.flipX) = (x, y, width, height, xRange, yRange, logX, flipX)
    }

    public func px(_ v: Double) -> Double {
        let t0 = logX ? (log10(v) - log10(xRange.lowerBound)) / (log10(xRange.upperBound) - log10(xRange.lowerBound))
                     : (v - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound)
        let t = flipX ? 1 - t0 : t0
        return x + t * width
    }
    public func py(_ v: Double) -> Double { y + height - (v - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * height }
    public func contains(_ p: (Double, Double)) -> Bool { p.0 >= x && p.0 <= x + width && p.1 >= y && p.1 <= y + height }

    /// Frame, grid, ticks and axis labels.
    public func drawAxes(on c: Canvas, title: String, xLabel: String, yLabel: String, grid: Bool = true) {
        let grey = Color(0.85, 0.85, 0.85), dark = Color(0.15, 0.15, 0.15)
        func stepped(_ r: ClosedRange<Double>, _ step: Double) -> [Double] {
            stride(from: (r.lowerBound / step).rounded(.up) * step, through: r.upperBound + step * 1e-9, by: step).map { $0 }
        }
        let xs = logX ? NiceTicks.logTicks(xRange.lowerBound, xRange.upperBound)
                      : xStep.map { stepped(xRange, $0) } ?? NiceTicks.ticks(xRange.lowerBound, xRange.upperBound).filter { xRange.contains($0) }
        let ys = yStep.map { stepped(yRange, $0) } ?? NiceTicks.ticks(yRange.lowerBound, yRange.upperBound).filter { yRange.contains($0) }
        for v in xs {
            if grid { c.line(from: (px(v), y), to: (px(v), y + height), color: grey) }
            c.line(from: (px(v), y + height), to: (px(v), y + height + 6), color: dark)
            c.text(NiceTicks.label(v), x: px(v), y: y + height + 24, size: 15, color: dark, centred: true)
        }
        for v in ys {
            if grid { c.line(from: (x, py(v)), to: (x + width, py(v)), color: grey) }
            c.line(from: (x - 6, py(v)), to: (x, py(v)), color: dark)
            let label = NiceTicks.label(v)
            c.text(label, x: x - 10 - c.textWidth(label, size: 15), y: py(v) + 5, size: 15, color: dark)
        }
        c.polyline([(x, y), (x + width, y), (x + width, y + height), (x, y + height)], color: dark, width: 1.5, closed: true)
        c.text(title, x: x + width / 2, y: y - 14, size: 19, color: dark, bold: true, centred: true)
        c.text(xLabel, x: x + width / 2, y: y + height + 50, size: 16, color: dark, centred: true)
        c.text(yLabel, x: x - 62, y: y + height / 2, size: 16, color: dark, centred: true, angle: -.pi / 2)
    }
}

/// Viridis (van der Walt & Smith, matplotlib 2015), perceptually uniform; anchor colours at
/// 0, 1/8, …, 1 interpolated linearly.
enum Viridis {
    static let hex: [UInt32] = [0x440154, 0x482878, 0x3e4989, 0x31688e, 0x26828e, 0x1f9e89, 0x35b779, 0x6ece58, 0xfde725]
    static let anchors: [(Double, Double, Double)] = hex.map { (h: UInt32) -> (Double, Double, Double) in
        (Double((h >> 16) & 0xFF) / 255, Double((h >> 8) & 0xFF) / 255, Double(h & 0xFF) / 255)
    }

    public static func color(_ t: Double, alpha: Double = 1) -> Color {
        let u = max(0, min(1, t.isFinite ? t : 0)) * Double(anchors.count - 1)
        let i = min(anchors.count - 2, Int(u)), f = u - Double(i)
        let a = anchors[i], b = anchors[i + 1]
        return Color(a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f, a.2 + (b.2 - a.2) * f, alpha)
    }

    /// A vertical colour bar with its label and tick values.
    public static func drawBar(on c: Canvas, x: Double, y: Double, height: Double, range: ClosedRange<Double>, label: String) {
        let steps = 100
        for i in 0..<steps {
            let t = Double(i) / Double(steps)
            c.fillRect(x: x, y: y + height * (1 - t) - height / Double(steps), width: 22, height: height / Double(steps) + 1, color: color(t))
        }
        c.polyline([(x, y), (x + 22, y), (x + 22, y + height), (x, y + height)], color: Color(0.15, 0.15, 0.15), closed: true)
        for v in NiceTicks.ticks(range.lowerBound, range.upperBound, count: 5) where range.contains(v) {
            let py = y + height * (1 - (v - range.lowerBound) / (range.upperBound - range.lowerBound))
            c.line(from: (x + 22, py), to: (x + 28, py), color: Color(0.15, 0.15, 0.15))
            c.text(NiceTicks.label(v), x: x + 32, y: py + 5, size: 14)
        }
        c.text(label, x: x + 11, y: y - 12, size: 15, centred: true)
    }
}
