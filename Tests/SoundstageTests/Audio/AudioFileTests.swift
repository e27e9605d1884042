import XCTest
@testable import Soundstage

final class AudioFileTests: XCTestCase {
    func testFloatWAVRoundTripIsExact() throws {
        let dir = TestPaths.temporaryFolder()
        var rng = SplitMix64(seed: 3)
        let buffer = AudioBuffer(sampleRate: 48000, channels: (0..<2).map { _ in (0..<4801).map { _ in Float.random(in: -1.5...1.5, using: &rng) } })
        let path = dir.appendingPathComponent("x.wav").path
        try AudioFile.write(buffer, to: path)
        let back = try AudioFile.read(path)
        XCTAssertEqual(back, buffer) // 32-bit float WAV stores the floats bit for bit, even beyond ±1
    }

    func testFLAC24RoundTripWithinQuantization() throws {
        let dir = TestPaths.temporaryFolder()
        let x = sine(hertz: 997, sampleRate: 44100, count: 44100, amplitude: 0.8)
        let path = dir.appendingPathComponent("x.flac").path
        try AudioFile.write(AudioBuffer(sampleRate: 44100, channels: [x]), to: path)
        XCTAssertEqual(AudioFileFormat.forPath(path), .flac24)
        let back = try AudioFile.read(path)
        XCTAssertEqual(back.sampleRate, 44100)
        XCTAssertEqual(back.frameCount, x.count)
        // 24-bit quantization step is 2⁻²³; rounding error ≤ half a step (plus float rounding).
        let maxError = zip(back.channels[0], x).map { abs($0 - $1) }.max()!
        XCTAssertLessThanOrEqual(maxError, 1.0 / Float(1 << 23))
    }

    func testFailedWriteLeavesExistingFileUntouched() throws {
        let dir = TestPaths.temporaryFolder()
        let path = dir.appendingPathComponent("keep.wav").path
        let good = AudioBuffer(sampleRate: 48000, channels: [[0.5, -0.5, 0.25]])
        try AudioFile.write(good, to: path)
        // FLAC cannot hold 9 channels: the write must fail before touching the existing file.
        let bad = AudioBuffer(sampleRate: 48000, channels: Array(repeating: [0.1, 0.2, 0.3], count: 9))
        XCTAssertThrowsError(try AudioFile.write(bad, to: path, format: .flac24))
        XCTAssertEqual(try AudioFile.read(path), good)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])
    }

    func testNonFiniteOrAbsurdSamplesAreRefusedWhereTheyAreRead() throws {
        // Issue #24: a float WAV with one NaN made `analyze` print "no energy" with exit 0, and NaN,
        // ∞ or 1e38 in the music gave an all-NaN render.
        let folder = TestPaths.temporaryFolder()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (value, what) in [(Float.nan, "is NaN"), (Float.infinity, "is infinite"), (Float(1e38), "beyond ±10000")] {
            var right = [Float](repeating: 0.1, count: 48_000)
            right[24_000] = value
            let path = folder.appendingPathComponent("bad.wav").path
            try AudioFile.write(AudioBuffer(sampleRate: 48_000, channels: [[Float](repeating: 0.1, count: 48_000), right]), to: path)
            XCTAssertThrowsError(try AudioFile.read(path)) { error in
                XCTAssertEqual("\(error)".components(separatedBy: what).count, 2, "\(error)")
                XCTAssertTrue("\(error)".hasPrefix("\(path): sample 24000 of channel 2 (0.500 s) "), "\(error)")
            }
            // The streaming reader (render's) says the same, after the good blocks.
            let reader = try AudioFileReader(path)
            var error: Error?
            do { while try !reader.read(frames: 4096).isEmpty {} } catch let e { error = e }
            let message = error.map { "\($0)" } ?? "no error"
            XCTAssertTrue(message.contains("sample 24000 of channel 2 (0.500 s)") && message.contains(what), message)
        }
        // Hot but finite material (+20 dBFS in a float file) is music, not an error.
        let hot = folder.appendingPathComponent("hot.wav").path
        try AudioFile.write(AudioBuffer(sampleRate: 48_000, channels: [[Float](repeating: 10, count: 100)]), to: hot)
        XCTAssertNoThrow(try AudioFile.read(hot))
    }

    func testMissingFileIsAClearError() {
        XCTAssertThrowsError(try AudioFile.read("/nonexistent/x.wav")) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/x.wav:"), "\(error)")
        }
    }
}

extension AudioFileTests {
    func testFloatWAVGainInPlaceScalesEverySampleExactly() throws {
        // Plain and WAVE_FORMAT_EXTENSIBLE float WAVs (the renderer's first pass writes the former),
        // longer than one chunk and not a multiple of eight samples: every sample × gain, bit-exact (a power-of-two gain), and
        // a 16-bit file is refused untouched.
        let folder = TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var rng = SplitMix64(seed: 3)
        let frames = FloatWAV.chunk + 1233 // more than one block
        let channels = (0..<2).map { _ in (0..<frames).map { _ in Float.random(in: -1...1, using: &rng) } }
        for (name, positions) in [("plain.wav", nil), ("extensible.wav", [ChannelPosition.frontLeft, .frontRight])] as [(String, [ChannelPosition]?)] {
            let path = folder.appendingPathComponent(name).path
            let writer = try AudioFileWriter(path, sampleRate: 48000, channels: 2, format: .wavFloat32, positions: positions)
            try writer.write(channels)
            try writer.finish()
            try FloatWAV.scale(path: path, by: 0.25)
            let back = try AudioFile.read(path)
            XCTAssertEqual(back.channels[0], channels[0].map { $0 * 0.25 }, name)
            XCTAssertEqual(back.channels[1], channels[1].map { $0 * 0.25 }, name)
        }
        let pcm = folder.appendingPathComponent("pcm.wav").path
        try AudioFile.write(AudioBuffer(sampleRate: 48000, channels: [[0.5, -0.5]]), to: pcm, format: .wavPCM16)
        let before = try Data(contentsOf: URL(fileURLWithPath: pcm))
        XCTAssertThrowsError(try FloatWAV.scale(path: pcm, by: 0.25))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: pcm)), before)
    }
}

final class WAVHeaderTests: XCTestCase {
    /// The chunks of a RIFF/WAVE file, read independently of libsndfile.
    func chunks(_ data: Data) -> [(id: String, body: Data)] {
        var out: [(String, Data)] = []
        var p = 12
        let b = [UInt8](data)
        while p + 8 <= b.count {
            let id = String(decoding: b[p..<(p + 4)], as: UTF8.self)
            let n = Int(b[p + 4]) | Int(b[p + 5]) << 8 | Int(b[p + 6]) << 16 | Int(b[p + 7]) << 24
            out.append((id, Data(b[(p + 8)..<min(b.count, p + 8 + n)])))
            p += 8 + n + (n & 1)
        }
        return out
    }

    func testFloatWAVHasTheExtensibleHeaderTheWAVESpecAsksOfNonPCMFormats() throws {
        let folder = TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("x.wav").path
        try AudioFile.write(AudioBuffer(sampleRate: 48000, channels: [[0.5, -0.25, 0], [0, 1, -1]]), to: path, format: .wavFloat32)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(String(decoding: data[0..<4], as: UTF8.self), "RIFF")
        let c = chunks(data)
        let fmt = try XCTUnwrap(c.first { $0.id == "fmt " }?.body).map { $0 }
        func u16(_ i: Int) -> Int { Int(fmt[i]) | Int(fmt[i + 1]) << 8 }
        // WAVE_FORMAT_EXTENSIBLE: 40-byte fmt, cbSize 22, 32 valid bits, sub-format IEEE float (3).
        XCTAssertEqual(fmt.count, 40)
        XCTAssertEqual(u16(0), 0xFFFE)
        XCTAssertEqual(u16(2), 2)     // channels
        XCTAssertEqual(u16(14), 32)   // bits per sample
        XCTAssertEqual(u16(16), 22)   // cbSize: the rest of the chunk
        XCTAssertEqual(u16(18), 32)   // valid bits
        XCTAssertEqual(u16(24), 3)    // sub-format GUID's first field: WAVE_FORMAT_IEEE_FLOAT
        // A non-PCM file carries a fact chunk with the frame count.
        let fact = try XCTUnwrap(c.first { $0.id == "fact" }?.body).map { $0 }
        XCTAssertEqual(Int(fact[0]) | Int(fact[1]) << 8, 3)
        XCTAssertEqual(c.first { $0.id == "data" }?.body.count, 3 * 2 * 4)
        XCTAssertEqual(try AudioFile.read(path).channels, [[0.5, -0.25, 0], [0, 1, -1]])
    }
}
