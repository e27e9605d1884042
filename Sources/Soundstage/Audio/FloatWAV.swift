import CSndFile
import Foundation

/// In-place gain for 32-bit float WAV files, through libsndfile's read-write mode.
enum FloatWAV {
    /// Frames scaled at a time.
    static let chunk = 1 << 16

    /// Multiplies every sample of the 32-bit float WAV at `path` by `gain`, in place, a block at a
    /// time (memory stays flat whatever the file's length) — for a gain known only once the whole
    /// file is written (loudness matching), so the renderer does not write the file a second time.
    /// Throws when the file is not a 32-bit float WAV.
    public static func scale(path: String, by gain: Float) throws {
        func fail(_ reason: String) -> AudioFileError { AudioFileError(path: path, reason: reason) }
        var info = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_RDWR), &info) else { throw fail(String(cString: sf_strerror(nil))) }
        defer { sf_close(file) }
        let major = info.format & Int32(SF_FORMAT_TYPEMASK), subtype = info.format & Int32(SF_FORMAT_SUBMASK)
        guard major == Int32(SF_FORMAT_WAV) || major == Int32(SF_FORMAT_WAVEX), subtype == Int32(SF_FORMAT_FLOAT) else {
            throw fail("not a 32-bit float WAV")
        }
        let channels = Int(info.channels), frames = Int(info.frames)
        var buffer = [Float](repeating: 0, count: chunk * channels)
        var done = 0
        while done < frames {
            let n = min(chunk, frames - done)
            let ok: Bool = buffer.withUnsafeMutableBufferPointer { b in
                guard sf_seek(file, sf_count_t(done), Int32(SEEK_SET) | Int32(SFM_READ)) == done,
                      sf_readf_float(file, b.baseAddress, sf_count_t(n)) == n else { return false }
                for i in 0..<(n * channels) { b[i] *= gain }
                return sf_seek(file, sf_count_t(done), Int32(SEEK_SET) | Int32(SFM_WRITE)) == done
                    && sf_writef_float(file, b.baseAddress, sf_count_t(n)) == n
            }
            guard ok else { throw fail("read or write failed (\(String(cString: sf_strerror(file))))") }
            done += n
        }
    }
}
