import CSampleRate
import Foundation

public struct ResamplerError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "resampling failed: \(reason)" }
}

/// Sample-rate conversion through libsamplerate (Secret Rabbit Code), best-quality sinc converter.
public enum Resampler {
    /// Converts every channel of `buffer` to `targetRate`.
    public static func resample(_ buffer: AudioBuffer, to targetRate: Int) throws -> AudioBuffer {
        guard buffer.sampleRate != targetRate else { return buffer }
        return AudioBuffer(sampleRate: targetRate, channels: try buffer.channels.map {
            try resample($0, from: buffer.sampleRate, to: targetRate)
        })
    }

    /// Converts one channel; the output has round(count · to / from) samples.
    public static func resample(_ samples: [Float], from sourceRate: Int, to targetRate: Int) throws -> [Float] {
        guard sourceRate != targetRate else { return samples }
        let ratio = Double(targetRate) / Double(sourceRate)
        let outCount = Int((Double(samples.count) * ratio).rounded())
        var output = [Float](repeating: 0, count: outCount + 16)
        var data = SRC_DATA()
        let status: Int32 = samples.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                data.data_in = input.baseAddress
                data.input_frames = samples.count
                data.data_out = out.baseAddress
                data.output_frames = out.count
                data.src_ratio = ratio
                return src_simple(&data, Int32(SRC_SINC_BEST_QUALITY), 1)
            }
        }
        guard status == 0 else { throw ResamplerError(reason: String(cString: src_strerror(status))) }
        output.removeLast(output.count - min(output.count, max(Int(data.output_frames_gen), 0)))
        if output.count < outCount { output += [Float](repeating: 0, count: outCount - output.count) }
        return Array(output.prefix(outCount))
    }
}
