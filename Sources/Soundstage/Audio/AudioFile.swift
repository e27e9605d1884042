import CSndFile
import Foundation

/// Planar audio: one array of samples per channel, all the same length.
public struct AudioBuffer: Sendable, Equatable {
    public var sampleRate: Int
    public var channels: [[Float]]

    public init(sampleRate: Int, channels: [[Float]]) {
        precondition(Set(channels.map(\.count)).count <= 1, "channels must have equal length")
        self.sampleRate = sampleRate
        self.channels = channels
    }

    public var frameCount: Int { channels.first?.count ?? 0 }
    public var channelCount: Int { channels.count }
}

/// Sample formats Soundstage writes.
public enum AudioFileFormat: Sendable {
    case wavFloat32, wavPCM16, wavPCM24, flac16, flac24

    /// The format a file name implies: `.flac` → 24-bit FLAC, anything else → 32-bit float WAV.
    public static func forPath(_ path: String) -> AudioFileFormat {
        path.lowercased().hasSuffix(".flac") ? .flac24 : .wavFloat32
    }

    var sndfileFormat: Int32 {
        switch self {
        // Float samples go in WAVE_FORMAT_EXTENSIBLE (libsndfile's WAVEX): a plain format-3 `fmt `
        // chunk of 16 bytes lacks the cbSize field the WAVE spec requires of non-PCM formats, which
        // strict readers (sox) warn about; the extensible header carries it, the sub-format GUID
        // and the channel mask.
        case .wavFloat32: return Int32(SF_FORMAT_WAVEX | SF_FORMAT_FLOAT)
        case .wavPCM16: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        case .wavPCM24: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_24)
        case .flac16: return Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
        case .flac24: return Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_24)
        }
    }
}

public struct AudioFileError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}

/// Reading and writing audio files through libsndfile (WAV, FLAC, OGG, AIFF, … in; WAV/FLAC out).
public enum AudioFile {
    /// Largest sample magnitude read (full scale is 1): 80 dB over full scale. Beyond it — and for
    /// NaN or ±∞, which float WAV files can hold — the file is refused where it is read, naming the
    /// first bad sample, instead of turning every later sum into NaN.
    public static let sampleLimit: Float = 1e4

    /// Why the first sample of `interleaved` (frames from `startFrame`) outside ±`sampleLimit`
    /// cannot be used, or nil when every sample can.
    static func badSample(_ interleaved: UnsafeBufferPointer<Float>, channels: Int, startFrame: Int, sampleRate: Int) -> String? {
        for (i, x) in interleaved.enumerated() where !(abs(x) <= sampleLimit) {
            let frame = startFrame + i / channels
            let what = x.isNaN ? "is NaN" : x.isInfinite ? "is infinite" : "is \(x), beyond ±\(Int(sampleLimit)) (80 dB over full scale)"
            return String(format: "sample %d of channel %d (%.3f s) %@", frame, i % channels + 1, Double(frame) / Double(max(sampleRate, 1)), what)
        }
        return nil
    }

    /// Reads any format libsndfile knows, as floats in [−1, 1] for integer formats.
    public static func read(_ path: String) throws -> AudioBuffer {
        var info = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &info) else {
            throw AudioFileError(path: path, reason: String(cString: sf_strerror(nil)))
        }
        defer { sf_close(file) }
        let channels = Int(info.channels), frames = Int(info.frames)
        guard channels > 0, frames >= 0 else { throw AudioFileError(path: path, reason: "no audio channels") }
        var interleaved = [Float](repeating: 0, count: channels * frames)
        let got = interleaved.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, sf_count_t(frames)) }
        let n = Int(got)
        if let bad = interleaved.withUnsafeBufferPointer({ AudioFile.badSample(UnsafeBufferPointer(rebasing: $0[0..<(n * channels)]), channels: channels, startFrame: 0, sampleRate: Int(info.samplerate)) }) {
            throw AudioFileError(path: path, reason: bad)
        }
        var planar = [[Float]](repeating: [Float](repeating: 0, count: n), count: channels)
        for f in 0..<n { for c in 0..<channels { planar[c][f] = interleaved[f * channels + c] } }
        return AudioBuffer(sampleRate: Int(info.samplerate), channels: planar)
    }

    /// Writes `buffer` to `path` atomically: into a temporary file beside it, renamed at the end,
    /// so an existing good file is never left half-written. Integer formats clip at full scale.
    public static func write(_ buffer: AudioBuffer, to path: String, format: AudioFileFormat? = nil) throws {
        let format = format ?? .forPath(path)
        guard buffer.channelCount > 0 else { throw AudioFileError(path: path, reason: "no channels to write") }
        var info = SF_INFO()
        info.samplerate = Int32(buffer.sampleRate)
        info.channels = Int32(buffer.channelCount)
        info.format = format.sndfileFormat
        guard sf_format_check(&info) != 0 else {
            throw AudioFileError(path: path, reason: "\(buffer.channelCount) channels at \(buffer.sampleRate) Hz cannot be written in this format")
        }
        try AtomicFile.write(to: path) { temporary in
            guard let file = sf_open(temporary, Int32(SFM_WRITE), &info) else {
                throw AudioFileError(path: path, reason: String(cString: sf_strerror(nil)))
            }
            sf_command(file, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
            // No PEAK chunk: it carries a timestamp, and outputs must be reproducible bit for bit.
            sf_command(file, Int32(SFC_SET_ADD_PEAK_CHUNK), nil, Int32(SF_FALSE))
            let channels = buffer.channelCount, frames = buffer.frameCount
            var interleaved = [Float](repeating: 0, count: channels * frames)
            for c in 0..<channels { for f in 0..<frames { interleaved[f * channels + c] = buffer.channels[c][f] } }
            let written = interleaved.withUnsafeBufferPointer { sf_writef_float(file, $0.baseAddress, sf_count_t(frames)) }
            let closeStatus = sf_close(file)
            guard written == frames, closeStatus == 0 else {
                throw AudioFileError(path: path, reason: "write failed (\(written) of \(frames) frames)")
            }
        }
    }
}
