import Foundation

/// In-place gain for 32-bit float WAV files.
public enum FloatWAV {
    /// Bytes mapped at a time: the process's resident memory stays flat whatever the file's length.
    static let window = 1 << 23

    /// Multiplies every sample of the 32-bit float WAV at `path` by `gain`, in place through memory
    /// maps of `window` bytes — for a gain known only once the whole file is written (loudness
    /// matching), so the renderer does not read and write the file a second time. Throws when the
    /// file is not a float WAV (RIFF/WAVE, format 3 or WAVE_FORMAT_EXTENSIBLE with 32-bit float
    /// samples, a data chunk).
    public static func scale(path: String, by gain: Float) throws {
        func fail(_ reason: String) -> AudioFileError { AudioFileError(path: path, reason: reason) }
        let fd = open(path, O_RDWR)
        guard fd >= 0 else { throw fail(String(cString: strerror(errno))) }
        defer { close(fd) }
        let (start, count) = try dataChunk(fd: fd, fail: fail)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var done = 0
        while done < count {
            // Map whole pages around the next run of samples.
            let first = start + 4 * done
            let offset = first / page * page
            let samples = min(count - done, (window - (first - offset)) / 4)
            let length = first - offset + 4 * samples
            guard let map = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(offset)), map != MAP_FAILED else {
                throw fail(String(cString: strerror(errno)))
            }
            let base = SendablePointer(raw: UnsafeMutableRawPointer(map) + (first - offset))
            let halves = [0..<(samples / 2), (samples / 2)..<samples]
            parallelFor(2, threads: 2) { half in
                for i in halves[half] {
                    let x = base.raw.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
                    base.raw.storeBytes(of: x * gain, toByteOffset: 4 * i, as: Float.self)
                }
            }
            let synced = msync(map, length, MS_SYNC)
            munmap(map, length)
            guard synced == 0 else { throw fail(String(cString: strerror(errno))) }
            done += samples
        }
    }

    /// Byte offset and sample count of the data chunk of a 32-bit float WAV.
    static func dataChunk(fd: Int32, fail: (String) -> AudioFileError) throws -> (offset: Int, samples: Int) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw fail(String(cString: strerror(errno))) }
        let size = Int(info.st_size)
        func read(_ at: Int, _ n: Int) -> [UInt8] {
            var b = [UInt8](repeating: 0, count: n)
            let got = b.withUnsafeMutableBytes { pread(fd, $0.baseAddress, n, off_t(at)) }
            return got == n ? b : []
        }
        func u32(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 | Int(b[i + 3]) << 24 }
        func u16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
        let head = read(0, 12)
        guard head.count == 12, head[0..<4].elementsEqual("RIFF".utf8), head[8..<12].elementsEqual("WAVE".utf8) else {
            throw fail("not a RIFF/WAVE file")
        }
        var position = 12, isFloat = false
        while position + 8 <= size {
            let chunk = read(position, 8)
            guard chunk.count == 8 else { break }
            let length = u32(chunk, 4), body = position + 8
            if chunk[0..<4].elementsEqual("fmt ".utf8) {
                let fmt = read(body, min(length, 26))
                if fmt.count >= 16 {
                    let format = u16(fmt, 0), bits = u16(fmt, 14)
                    isFloat = bits == 32 && (format == 3 || (format == 0xFFFE && fmt.count >= 26 && u16(fmt, 24) == 3))
                }
            }
            if chunk[0..<4].elementsEqual("data".utf8) {
                guard isFloat else { throw fail("not a 32-bit float WAV") }
                return (body, min(length, size - body) / 4)
            }
            position = body + length + (length & 1)
        }
        throw fail("no data chunk")
    }
}
