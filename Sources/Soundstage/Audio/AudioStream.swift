import CSndFile
import Foundation

/// Reads an audio file block by block (memory independent of its length).
public final class AudioFileReader {
    public let path: String
    public let sampleRate: Int
    public let channelCount: Int
    public let frameCount: Int
    private let file: OpaquePointer
    private var interleaved: [Float] = []
    private var framesRead = 0

    public init(_ path: String) throws {
        var info = SF_INFO()
        guard let f = sf_open(path, Int32(SFM_READ), &info) else {
            throw AudioFileError(path: path, reason: String(cString: sf_strerror(nil)))
        }
        guard info.channels > 0 else { sf_close(f); throw AudioFileError(path: path, reason: "no audio channels") }
        self.path = path
        file = f
        sampleRate = Int(info.samplerate)
        channelCount = Int(info.channels)
        frameCount = Int(info.frames)
        truncation = AudioFileReader.truncation(of: f, frames: frameCount, sampleRate: sampleRate)
    }

    /// Set when the file is shorter than its header declares (a cut-off download or copy):
    /// libsndfile then reads the samples that are there, and logs the audio chunk's declared size
    /// as "data : N (should be M)". Says how much is missing.
    public let truncation: String?

    static func truncation(of file: OpaquePointer, frames: Int, sampleRate: Int) -> String? {
        var log = [CChar](repeating: 0, count: 16384)
        sf_command(file, Int32(SFC_GET_LOG_INFO), &log, Int32(log.count))
        let text = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("data") || line.hasPrefix("SSND") {
            let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            guard line.contains("should be"), numbers.count >= 2, numbers[0] > numbers[1], numbers[0] > 0 else { continue }
            let declared = Double(frames) * Double(numbers[0]) / Double(max(numbers[1], 1)) / Double(max(sampleRate, 1))
            return String(format: "truncated: its header declares %.1f s of audio, the file holds %.1f s", declared, Double(frames) / Double(max(sampleRate, 1)))
        }
        return nil
    }

    deinit { sf_close(file) }

    /// The WAV channel mask's layout, when the file declares one (libsndfile channel map).
    public var channelMap: [Int32]? {
        var map = [Int32](repeating: 0, count: channelCount)
        let ok = map.withUnsafeMutableBytes { sf_command(file, Int32(SFC_GET_CHANNEL_MAP_INFO), $0.baseAddress, Int32($0.count)) }
        return ok == SF_TRUE ? map : nil
    }

    /// The speaker position of each channel from the file's channel mask (WAVE_FORMAT_EXTENSIBLE
    /// dwChannelMask, CAF layouts), or nil when the file declares none.
    public var channelPositions: [ChannelPosition]? {
        channelMap.map { $0.map(ChannelPosition.init(sndfile:)) }
    }

    /// Up to `frames` frames as planar channels; empty at the end of the file.
    public func read(frames: Int) throws -> [[Float]] {
        let channels = channelCount
        var planar = [Float](repeating: 0, count: frames * channels)
        let got = try planar.withUnsafeMutableBufferPointer { b in try read(frames: frames, into: (0..<channels).map { b.baseAddress! + $0 * frames }) }
        return got > 0 ? (0..<channels).map { Array(planar[($0 * frames)..<($0 * frames + got)]) } : []
    }

    /// Reads up to `frames` frames straight into one buffer per channel (each with room for
    /// `frames` samples); returns the number read, 0 at the end of the file. A NaN, infinite or
    /// absurdly large sample is an error naming it (`AudioFile.sampleLimit`).
    public func read(frames: Int, into channels: [UnsafeMutablePointer<Float>]) throws -> Int {
        precondition(channels.count == channelCount)
        if interleaved.count < frames * channelCount { interleaved = [Float](repeating: 0, count: frames * channelCount) }
        let got = Int(interleaved.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, sf_count_t(frames)) })
        guard got > 0 else { return 0 }
        let count = channelCount
        if let bad = interleaved.withUnsafeBufferPointer({ AudioFile.badSample(UnsafeBufferPointer(rebasing: $0[0..<(got * count)]), channels: count, startFrame: framesRead, sampleRate: sampleRate) }) {
            throw AudioFileError(path: path, reason: bad)
        }
        framesRead += got
        interleaved.withUnsafeBufferPointer { src in
            for (c, dst) in channels.enumerated() { for f in 0..<got { dst[f] = src[f * count + c] } }
        }
        return got
    }
}

/// Calls `body` with a read-only pointer to each array's storage (valid only inside `body`).
func withPointers<R>(_ arrays: [[Float]], _ body: ([UnsafePointer<Float>]) throws -> R) rethrows -> R {
    func nest(_ i: Int, _ pointers: [UnsafePointer<Float>]) throws -> R {
        if i == arrays.count { return try body(pointers) }
        return try arrays[i].withUnsafeBufferPointer { try nest(i + 1, pointers + [$0.baseAddress!]) }
    }
    return try nest(0, [])
}

/// Writes an audio file block by block into a temporary sibling, renamed into place by `finish`;
/// `cancel` (or deinit without `finish`) removes it, so no partial file is ever left.
public final class AudioFileWriter {
    public let path: String
    let temporary: String
    private var file: OpaquePointer?
    public let channelCount: Int
    private var interleaved: [Float] = []
    private var framesRead = 0

    /// `positions`: the channel mask to declare (WAV/CAF), e.g. for a 5.1 file.
    public init(_ path: String, sampleRate: Int, channels: Int, format: AudioFileFormat? = nil, positions: [ChannelPosition]? = nil) throws {
        let format = format ?? .forPath(path)
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = Int32(channels)
        info.format = format.sndfileFormat
        if positions != nil && (info.format & Int32(SF_FORMAT_TYPEMASK)) == Int32(SF_FORMAT_WAV) {
            // A channel mask needs WAVE_FORMAT_EXTENSIBLE.
            info.format = (info.format & ~Int32(SF_FORMAT_TYPEMASK)) | Int32(SF_FORMAT_WAVEX)
        }
        guard sf_format_check(&info) != 0 else {
            throw AudioFileError(path: path, reason: "\(channels) channels at \(sampleRate) Hz cannot be written in this format")
        }
        temporary = TemporaryFiles.sibling(of: path)
        try TemporaryFiles.register(temporary)
        guard let f = sf_open(temporary, Int32(SFM_WRITE), &info) else {
            TemporaryFiles.unregister(temporary)
            throw AudioFileError(path: path, reason: String(cString: sf_strerror(nil)))
        }
        sf_command(f, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        sf_command(f, Int32(SFC_SET_ADD_PEAK_CHUNK), nil, Int32(SF_FALSE))
        if let positions, positions.count == channels {
            var map = positions.map(\.sndfileValue)
            _ = map.withUnsafeMutableBytes { sf_command(f, Int32(SFC_SET_CHANNEL_MAP_INFO), $0.baseAddress, Int32($0.count)) }
        }
        self.path = path
        file = f
        channelCount = channels
    }

    deinit { cancel() }

    public func write(_ channels: [[Float]]) throws {
        let frames = channels.first?.count ?? 0
        guard frames > 0 else { return }
        try withPointers(channels) { try write(frames: frames, from: $0) }
    }

    /// Writes `frames` frames from one buffer per channel.
    public func write(frames: Int, from channels: [UnsafePointer<Float>]) throws {
        guard let file else { return }
        precondition(channels.count == channelCount)
        if interleaved.count < frames * channelCount { interleaved = [Float](repeating: 0, count: frames * channelCount) }
        let count = channelCount
        interleaved.withUnsafeMutableBufferPointer { dst in
            for (c, src) in channels.enumerated() { for f in 0..<frames { dst[f * count + c] = src[f] } }
        }
        let written = interleaved.withUnsafeBufferPointer { sf_writef_float(file, $0.baseAddress, sf_count_t(frames)) }
        guard Int(written) == frames else { throw AudioFileError(path: path, reason: "write failed (disk full?)") }
    }

    public func finish() throws {
        guard let f = file else { return }
        file = nil
        guard sf_close(f) == 0 else { unlink(temporary); throw AudioFileError(path: path, reason: "closing failed") }
        defer { TemporaryFiles.unregister(temporary) }
        do {
            try TemporaryFiles.publish {
                guard rename(temporary, path) == 0 else { throw AudioFileError(path: path, reason: String(cString: strerror(errno))) }
            }
        } catch { unlink(temporary); throw error }
    }

    public func cancel() {
        if let f = file { sf_close(f); file = nil }
        unlink(temporary)
        TemporaryFiles.unregister(temporary)
    }
}

/// Where a channel of a multichannel file is meant to play (the WAV channel mask's positions).
public enum ChannelPosition: Sendable, Equatable {
    case mono, frontLeft, frontRight, frontCenter, lfe, backLeft, backRight, sideLeft, sideRight, backCenter
    case frontLeftOfCenter, frontRightOfCenter, other

    /// The libsndfile channel-map value of each position (read and written through one table).
    static let sndfileTable: [(ChannelPosition, Int)] = [
        (.mono, SF_CHANNEL_MAP_MONO), (.frontLeft, SF_CHANNEL_MAP_FRONT_LEFT), (.frontLeft, SF_CHANNEL_MAP_LEFT),
        (.frontRight, SF_CHANNEL_MAP_FRONT_RIGHT), (.frontRight, SF_CHANNEL_MAP_RIGHT),
        (.frontCenter, SF_CHANNEL_MAP_FRONT_CENTER), (.frontCenter, SF_CHANNEL_MAP_CENTER), (.lfe, SF_CHANNEL_MAP_LFE),
        (.backLeft, SF_CHANNEL_MAP_REAR_LEFT), (.backRight, SF_CHANNEL_MAP_REAR_RIGHT),
        (.sideLeft, SF_CHANNEL_MAP_SIDE_LEFT), (.sideRight, SF_CHANNEL_MAP_SIDE_RIGHT), (.backCenter, SF_CHANNEL_MAP_REAR_CENTER),
        (.frontLeftOfCenter, SF_CHANNEL_MAP_FRONT_LEFT_OF_CENTER), (.frontRightOfCenter, SF_CHANNEL_MAP_FRONT_RIGHT_OF_CENTER),
    ]

    init(sndfile v: Int32) {
        self = ChannelPosition.sndfileTable.first { $0.1 == Int(v) }?.0 ?? .other
    }

    /// The first (preferred) value the table gives this position; the generic left/right/centre
    /// values are read as front ones but never written.
    var sndfileValue: Int32 {
        Int32(ChannelPosition.sndfileTable.first { $0.0 == self }?.1 ?? SF_CHANNEL_MAP_INVALID)
    }
}
