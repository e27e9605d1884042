import Foundation

/// How loud the render comes out.
public enum RenderLevel: Sendable {
    /// Integrated loudness target (ITU-R BS.1770 / EBU R128, LUFS), with a true-peak ceiling (dBTP):
    /// the gain is the smaller of "reach the target" and "keep the true peak at the ceiling".
    case loudness(lufs: Double, truePeakCeiling: Double)
    /// A fixed gain in dB.
    case gain(db: Double)
}

/// Loudness matching found nothing to match: the render stays below EBU R128's absolute gate of
/// −70 LUFS in every 400 ms block (a silent input, one shorter than a block, or an EQ that removes
/// what it plays).
public struct SilentRenderError: Error, CustomStringConvertible {
    public let input: String
    public let withEQ: Bool
    public var description: String {
        "\(input): the render\(withEQ ? " through the EQ" : "") is below the loudness meter's −70 LUFS gate (silent, or shorter than its 0.4 s block); use --gain"
    }
}

public struct RenderReport: Sendable {
    public var inputSeconds: Double
    public var outputSeconds: Double
    public var gainDB: Double
    public var integratedLUFS: Double
    public var truePeakDBTP: Double
    public var wallSeconds: Double
    public var realTimeFactor: Double { inputSeconds / max(wallSeconds, 1e-9) }
}

/// Renders music through a room's BRIRs for IEMs: route (a graphic EQ's FIR folded into the filters) →
/// stream-convolve → parametric EQ → level. The first
/// pass writes a temporary float WAV beside the output and measures it, so the gain can follow the
/// measured loudness while memory stays flat; for a float WAV output the gain is then applied in
/// place (`FloatWAV.scale`) and the file renamed into place, for FLAC a second pass converts it. The
/// output appears only when complete.
public enum Renderer {
    public static let blockFrames = 1 << 16
    /// Held below the true-peak ceiling: 4×-oversampling meters (ours, libebur128's) differ by up to
    /// ≈ 0.1 dB on the same signal, so the render stays under the ceiling on any BS.1770 meter.
    public static let truePeakMargin = 0.1

    /// - Parameters:
    ///   - brirs: per speaker (in `speakers` order), 2-channel BRIRs at the input's sample rate.
    public static func render(input: String, output: String, speakers: [Speaker], brirs: [AudioBuffer], eq: ParametricEQ?,
                              level: RenderLevel, threads: Int, progress: ((Double) -> Void)? = nil) throws -> RenderReport {
        let start = Date()
        let reader = try AudioFileReader(input)
        guard let rate = brirs.first?.sampleRate, reader.sampleRate == rate else {
            throw AudioFileError(path: input, reason: "sample rate \(reader.sampleRate) Hz differs from the BRIRs' \(brirs.first?.sampleRate ?? 0) Hz")
        }
        // One filter pair per input channel: the routed speakers' BRIRs summed with their gains
        // (and the EQ's preamp, a plain gain).
        let preamp = Float(pow(10, (eq?.preampDB ?? 0) / 20))
        var filters = ChannelRouting.filters(inputChannels: reader.channelCount, speakers: speakers, positions: reader.channelPositions,
                                             brirs: brirs, scale: preamp)
        // A graphic EQ is an FIR: folded into every filter once, instead of a second convolution of the music.
        if let fir = eq?.graphicFilter(sampleRate: Double(rate)) { filters = filters.map { $0.map { convolve($0, fir) } } }
        let length = filters.first?.first?.count ?? 1
        let convolver = StreamingConvolver(filters: filters, threads: threads)
        let pass1 = TemporaryFiles.sibling(of: output) + ".wav"
        try TemporaryFiles.register(pass1)
        defer { unlink(pass1); TemporaryFiles.unregister(pass1) }
        let writer1 = try AudioFileWriter(pass1, sampleRate: rate, channels: 2, format: .wavFloat32)
        // Each ear's EQ and meters run in the task that convolved it.
        // Ear e is only ever touched by the work item of ear e (and by this thread between blocks).
        nonisolated(unsafe) let ears = (0..<2).map { _ in Ear(eq: eq?.biquads(sampleRate: Double(rate)) ?? [], sampleRate: rate) }
        let total = reader.frameCount + length - 1
        let inputs = (0..<reader.channelCount).map { convolver.input($0) }
        let outputs = [convolver.output(0), convolver.output(1)]
        var produced = 0, read = 0
        while produced < total {
            let count = min(convolver.blockLength, total - produced)
            var got = 0
            while got < count && read < reader.frameCount {
                let n = try reader.read(frames: count - got, into: inputs.map { $0 + got })
                if n == 0 { break }
                got += n
                read += n
            }
            if got < count { for p in inputs { (p + got).update(repeating: 0, count: count - got) } } // the tail
            convolver.process(count: count) { ear, y in ears[ear].process(y) }
            try writer1.write(frames: count, from: outputs)
            produced += count
            progress?(Double(produced) / Double(total) * 0.5)
        }
        try writer1.finish()
        let measured = LoudnessMeter.Measurement(integratedLUFS: LoudnessMeter.integrated(ears.map(\.loudness)),
                                                 truePeakDBTP: ears.map(\.peak.truePeakDBTP).max()!)
        let gain: Double
        switch level {
        case .gain(let db): gain = db
        case .loudness(let target, let ceiling):
            guard measured.integratedLUFS.isFinite else { throw SilentRenderError(input: input, withEQ: eq != nil) }
            gain = min(target - measured.integratedLUFS, ceiling - truePeakMargin - measured.truePeakDBTP)
        }
        let report = RenderReport(inputSeconds: Double(reader.frameCount) / Double(rate), outputSeconds: Double(total) / Double(rate),
                                  gainDB: gain, integratedLUFS: measured.integratedLUFS + gain, truePeakDBTP: measured.truePeakDBTP + gain,
                                  wallSeconds: 0)
        if AudioFileFormat.forPath(output) == .wavFloat32 {
            // The first pass already wrote the output format: apply the gain in place and move the
            // file into place (same folder: an atomic rename).
            if gain != 0 { try FloatWAV.scale(path: pass1, by: Float(pow(10, gain / 20))) }
            try TemporaryFiles.publish {
                guard rename(pass1, output) == 0 else { throw AudioFileError(path: output, reason: String(cString: strerror(errno))) }
            }
            progress?(1)
            var done = report
            done.wallSeconds = Date().timeIntervalSince(start)
            return done
        }
        // Pass 2 (other formats): apply the gain and write the output format.
        let reader2 = try AudioFileReader(pass1)
        let writer2 = try AudioFileWriter(output, sampleRate: rate, channels: 2)
        let g = Float(pow(10, gain / 20))
        var copied = 0
        while true {
            var b = try reader2.read(frames: blockFrames)
            if b.isEmpty { break }
            for c in 0..<2 { b[c].withUnsafeMutableBufferPointer { x in for i in x.indices { x[i] *= g } } }
            try writer2.write(b)
            copied += b[0].count
            progress?(0.5 + Double(copied) / Double(total) * 0.5)
        }
        try writer2.finish()
        var done = report
        done.wallSeconds = Date().timeIntervalSince(start)
        return done
    }
}

/// One ear's chain after the convolution: the IEM EQ, then the loudness and true-peak meters.
private final class Ear {
    var eq: BiquadChain
    let loudness: LoudnessChannel
    let peak = TruePeakMeter()
    init(eq: [Biquad], sampleRate: Int) {
        self.eq = BiquadChain(eq)
        loudness = LoudnessChannel(sampleRate: sampleRate)
    }
    func process(_ y: UnsafeMutableBufferPointer<Float>) {
        eq.process(y)
        loudness.add(UnsafeBufferPointer(y))
        peak.add(UnsafeBufferPointer(y))
    }
}
