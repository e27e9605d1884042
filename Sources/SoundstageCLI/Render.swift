import ArgumentParser
import Foundation
import Soundstage

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render music through a room's BRIRs for IEMs or headphones.",
        discussion: """
        Routes the music's channels to the speakers (mono → all; stereo → L/R; 5.1/7.1 by the WAV channel \
        mask, else in WAV order, with \
        ITU-R BS.775 fold-down for channels the room has no speaker for), convolves with the BRIRs, applies \
        an optional IEM EQ (Equalizer APO / AutoEq parametric text) and matches the loudness (default \
        −16 LUFS, true peak ≤ −1 dBTP) or applies --gain. The room is simulated at the music's own sample \
        rate, so the music is never resampled; its BRIRs are reused while the room and options are \
        unchanged. Output: 32-bit float WAV, or 24-bit FLAC for a .flac name; written to a temporary file \
        and renamed when complete.
        """)

    @Argument(help: "Room file (JSON).") var room: String
    @Option(help: "The music (WAV, FLAC, OGG, AIFF, …).") var input: String
    @OptionGroup var output: OutputOptions
    @Option(name: .customLong("output"), help: "Output file (default DIR/<name>/render-<input name>.wav).") var outputFile: String?
    @Option(help: "Equalizer APO / AutoEq parametric EQ file for your IEMs.") var eq: String?
    @Option(help: "Loudness target in LUFS (default -16).") var loudness: Double?
    @Option(help: "A fixed gain in dB instead of loudness matching.") var gain: Double?
    @Option(help: "Worker threads (default: all cores).") var threads: Int = defaultThreadCount

    func run() throws {
        installInterruptHandler()
        if loudness != nil && gain != nil { throw ValidationError("give either --loudness or --gain, not both") }
        var scene = try loadRoom(room)
        let probe: AudioFileReader
        do { probe = try AudioFileReader(input) } catch { printError("\(error)"); throw ExitCode(1) }
        guard (8000...384_000).contains(probe.sampleRate) else { printError("\(input): unsupported sample rate \(probe.sampleRate) Hz"); throw ExitCode(1) }
        let folder = URL(fileURLWithPath: output.outDir).appendingPathComponent(scene.name)
        let base = URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent
        let target = outputFile ?? folder.appendingPathComponent("render-\(base).wav").path
        if URL(fileURLWithPath: target).standardizedFileURL.resolvingSymlinksInPath() == URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath() {
            printError("\(target): the output would overwrite the input; choose another --output")
            throw ExitCode(1)
        }
        var parametric: ParametricEQ?
        if let eq {
            do { parametric = try ParametricEQ.parse(try String(contentsOfFile: eq, encoding: .utf8)) } catch {
                printError("\(eq): \(error)")
                throw ExitCode(1)
            }
        }
        scene.simulation.sampleRate = probe.sampleRate
        let brirs = try roomBRIRs(scene, outDir: output.outDir, threads: threads)
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: target).deletingLastPathComponent(), withIntermediateDirectories: true)
        let level: RenderLevel = gain.map { .gain(db: $0) } ?? .loudness(lufs: loudness ?? -16, truePeakCeiling: -1)
        // The fraction covers both passes (convolution, then levelling), so seconds of music per
        // second of work is the whole render's real-time factor.
        let musicSeconds = Double(probe.frameCount) / Double(probe.sampleRate)
        let bar = ProgressBar("render", total: musicSeconds) { String(format: "%5.0f× real time", $0) }
        let report = try Renderer.render(input: input, output: target, speakers: scene.speakers, brirs: brirs, eq: parametric,
                                         level: level, threads: threads) { fraction in bar.update(fraction * musicSeconds) }
        bar.finish()
        print(String(format: "%@: %.1f s of music → %@ (gain %+.1f dB, %.1f LUFS, true peak %.1f dBTP, %.0f× real time)",
                     scene.name, report.inputSeconds, target, report.gainDB, report.integratedLUFS, report.truePeakDBTP, report.realTimeFactor))
    }

}

/// The room's BRIRs at the scene's rate: reused when `brir.key` in its output folder matches, simulated
/// (with every output of `simulate`) otherwise.
func roomBRIRs(_ scene: Scene, outDir: String, threads: Int) throws -> [AudioBuffer] {
    let folder = URL(fileURLWithPath: outDir).appendingPathComponent(scene.name)
    let key = try brirKey(scene)
    let keyFile = folder.appendingPathComponent("brir.key")
    let files = scene.speakers.map { folder.appendingPathComponent("brir-\($0.name).wav").path }
    if (try? String(contentsOf: keyFile, encoding: .utf8)) == key, let loaded = try? files.map({ try AudioFile.read($0) }),
       loaded.allSatisfy({ $0.sampleRate == scene.simulation.sampleRate && $0.channelCount == 2 }) {
        note("\(scene.name): reusing the BRIRs in \(folder.path) (room and options unchanged)")
        return loaded
    }
    _ = try simulateRoom(scene, threads: threads, reflectionsOrder: 3, outDir: outDir, plots: true,
                         command: (["soundstage"] + CommandLine.arguments.dropFirst()).joined(separator: " "))
    try AtomicFile.write(Data(key.utf8), to: keyFile.path)
    return try files.map { try AudioFile.read($0) }
}

/// A content key of everything that shapes a room's BRIRs: the room file and its mesh, the settings
/// that apply, the HRTF and the Soundstage version (FNV-1a, 64 bit).
func brirKey(_ scene: Scene) throws -> String {
    var data = Data()
    if let path = scene.sourcePath { data += (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data() }
    if case .mesh(let file) = scene.shape, let path = scene.sourcePath {
        data += (try? Data(contentsOf: URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(file))) ?? Data()
    }
    let s = scene.simulation
    data += Data("\(s.sampleRate) \(s.durationSeconds) \(s.maxOrder) \(s.rays) \(s.receiverRadius) \(s.seed) \(s.airAbsorption) \(s.scattering) \(s.diffraction) \(s.highpassHertz) \(scene.listener.hrtf) \(scene.listener.hrtfEqualization) \(SoundstageVersion.string)".utf8)
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in data { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
    return String(format: "%016llx", hash)
}

/// Ctrl-C removes the temporary outputs in progress; nothing partial is left.
func installInterruptHandler() {
    signal(SIGINT) { _ in
        AudioFileWriter.removeTemporaryFiles()
        _exit(130)
    }
}

struct DemoSignal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-signal",
        abstract: "Write an 8-second stereo test piece: a plucked line on the left, percussive noise in the centre, a bass line on the right, then all three.")

    @Argument(help: "Output WAV file.") var file: String

    func run() throws {
        let fs = 48000.0, n = Int(8 * fs)
        var left = [Float](repeating: 0, count: n), right = left
        var rng = SplitMix64Generator(seed: 2026)
        func pluck(_ f0: Double, at t0: Double, amp: Double, into: inout [Float], other: UnsafeMutablePointer<[Float]>? = nil) {
            for i in Int(t0 * fs)..<min(n, Int((t0 + 0.5) * fs)) {
                let t = Double(i) / fs - t0
                var v = 0.0
                for h in 1...6 { v += sin(2 * .pi * f0 * Double(h) * t) / Double(h * h) * exp(-t * (3 + Double(h))) }
                into[i] += Float(amp * v)
            }
        }
        func hit(at t0: Double, amp: Double, left l: Double, right r: Double) {
            for i in Int(t0 * fs)..<min(n, Int((t0 + 0.15) * fs)) {
                let t = Double(i) / fs - t0, v = rng.gaussian() * exp(-t * 35) * amp
                left[i] += Float(v * l); right[i] += Float(v * r)
            }
        }
        let melody = [220.0, 277.2, 329.6, 440, 329.6, 277.2, 246.9, 220]
        let bass = [55.0, 55, 73.4, 65.4, 55, 55, 82.4, 73.4]
        for section in 0..<4 {
            let t = Double(section) * 2
            for k in 0..<8 {
                let tk = t + Double(k) * 0.25
                if section == 0 || section == 3 { pluck(melody[k], at: tk, amp: 0.25, into: &left) }
                if section == 1 || section == 3 { hit(at: tk, amp: k % 2 == 0 ? 0.25 : 0.12, left: 0.7, right: 0.7) }
                if section == 2 || section == 3 { pluck(bass[k], at: tk, amp: 0.35, into: &right) }
            }
        }
        try AudioFile.write(AudioBuffer(sampleRate: Int(fs), channels: [left, right]), to: file, format: .wavFloat32)
        print("wrote \(file): 8 s, stereo, 48 kHz (left: plucked line; centre: percussion; right: bass; then all)")
    }
}
