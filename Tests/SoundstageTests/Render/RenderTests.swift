import XCTest
@testable import Soundstage

final class RenderTests: XCTestCase {
    var rng = SplitMix64(seed: 99)
    func noise(_ n: Int) -> [Float] { (0..<n).map { _ in Float.random(in: -0.5...0.5, using: &rng) } }

    /// Naive full convolution (the reference).
    func direct(_ x: [Float], _ h: [Float]) -> [Double] {
        var y = [Double](repeating: 0, count: x.count + h.count - 1)
        for i in x.indices { for j in h.indices { y[i + j] += Double(x[i]) * Double(h[j]) } }
        return y
    }

    func speakers(_ channels: [Int]) -> [Speaker] {
        channels.enumerated().map { i, ch in
            Speaker(name: "S\(i)", position: Vec3(Double(i), 1, 1), orientation: Orientation(facing: Vec3(0, -1, 0)), directivity: .omni,
                    channel: ch, gainDB: 0, delaySeconds: 0)
        }
    }

    func testRenderEqualsDirectConvolutionForEachRouting() throws {
        // Mono → both speakers; stereo → L/R; 5.1 into a stereo room → ITU fold-down. Fixed gain 0 dB.
        for (inputChannels, speakerChannels) in [(1, [0, 1]), (2, [0, 1]), (6, [0, 1])] {
            let folder = TestPaths.temporaryFolder()
            let brirs = speakerChannels.map { _ in AudioBuffer(sampleRate: 48000, channels: [noise(700), noise(700)]) }
            let music = (0..<inputChannels).map { _ in noise(3000) }
            let input = folder.appendingPathComponent("in.wav").path, output = folder.appendingPathComponent("out.wav").path
            try AudioFile.write(AudioBuffer(sampleRate: 48000, channels: music), to: input)
            let report = try Renderer.render(input: input, output: output, speakers: speakers(speakerChannels), brirs: brirs,
                                             eq: nil, level: .gain(db: 0), threads: 2)
            let out = try AudioFile.read(output)
            XCTAssertEqual(out.frameCount, 3000 + 700 - 1) // the whole tail follows the input
            XCTAssertEqual(report.gainDB, 0)
            let routes = ChannelRouting.route(inputChannels: inputChannels, speakers: speakers(speakerChannels))
            for ear in 0..<2 {
                var reference = [Double](repeating: 0, count: out.frameCount)
                for (i, route) in routes.enumerated() {
                    for (s, g) in route {
                        for (k, v) in direct(music[i], brirs[s].channels[ear]).enumerated() { reference[k] += g * v }
                    }
                }
                let err = zip(out.channels[ear], reference).reduce(0.0) { $0 + pow(Double($1.0) - $1.1, 2) }
                let energy = reference.reduce(0.0) { $0 + $1 * $1 }
                XCTAssertLessThan(10 * log10(err / energy), -100, "\(inputChannels) channels, ear \(ear)")
            }
        }
    }

    func testStreamingConvolutionAcrossBlocksEqualsDirectSummation() {
        // Two inputs, 700-tap filters, an input of 2.3 blocks fed in blocks of varying size (full,
        // then shorter ones), then zeros for the tail: the outputs around every block boundary and
        // at the very end equal direct summation, out_ear[n] = Σ_i Σ_k x_i[n − k] h_(i,ear)[k].
        let filters = (0..<2).map { _ in (0..<2).map { _ in noise(700) } }
        let convolver = StreamingConvolver(filters: filters, threads: 2)
        let b = convolver.blockLength
        let length = 2 * b + b / 3
        let inputs = (0..<2).map { _ in noise(length) }
        var outputs: [[Float]] = [[], []], fed = 0, boundaries: [Int] = []
        let sizes = [b, b / 2, b / 3 + 17, b]
        var step = 0
        while fed < length + 699 {
            let count = min(sizes[step % sizes.count], length + 699 - fed)
            for i in 0..<2 {
                let p = convolver.input(i)
                for k in 0..<count { p[k] = fed + k < length ? inputs[i][fed + k] : 0 }
            }
            convolver.process(count: count)
            for ear in 0..<2 { outputs[ear] += UnsafeBufferPointer(start: convolver.output(ear), count: count) }
            fed += count
            boundaries.append(fed)
            step += 1
        }
        XCTAssertGreaterThanOrEqual(boundaries.count, 4)
        let checked = Set(boundaries.flatMap { max(0, $0 - 300)..<min(fed, $0 + 300) } + Array((fed - 300)..<fed))
        var error = 0.0, energy = 0.0
        for n in checked {
            for ear in 0..<2 {
                var reference = 0.0
                for i in 0..<2 { for k in 0..<700 where n - k >= 0 && n - k < length { reference += Double(inputs[i][n - k]) * Double(filters[i][ear][k]) } }
                error += pow(Double(outputs[ear][n]) - reference, 2)
                energy += reference * reference
            }
        }
        XCTAssertLessThan(10 * log10(error / energy), -100)
    }

    func testRoutingFollowsTheLayout() {
        let stereoRoom = speakers([0, 1])
        XCTAssertEqual(ChannelRouting.route(inputChannels: 1, speakers: stereoRoom).map { $0.map(\.speaker) }, [[0, 1]])
        XCTAssertEqual(ChannelRouting.route(inputChannels: 2, speakers: stereoRoom).map { $0.map(\.speaker) }, [[0], [1]])
        // 5.1 into a stereo room: C and LFE to both at −3 dB, Ls to L, Rs to R.
        let fold = ChannelRouting.route(inputChannels: 6, speakers: stereoRoom)
        XCTAssertEqual(fold[2].map(\.speaker), [0, 1]); XCTAssertEqual(fold[2][0].gain, 0.5.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(fold[4].map(\.speaker), [0]); XCTAssertEqual(fold[5].map(\.speaker), [1])
        // 5.1 into a 5.1 room: one speaker per channel.
        let surround = speakers([0, 1, 2, 4, 5])
        XCTAssertEqual(ChannelRouting.route(inputChannels: 6, speakers: surround)[4].map(\.speaker), [3])
    }

    func testRoutingFollowsTheWAVChannelMask() throws {
        // A 4-channel file whose mask says FL FR SL SR (not the WAV-order FL FR FC LFE): the side
        // pair must reach the 5.1 room's surround speakers (channels 4, 5), not C and LFE.
        let room = speakers([0, 1, 2, 3, 4, 5])
        let positions: [ChannelPosition] = [.frontLeft, .frontRight, .sideLeft, .sideRight]
        let routes = ChannelRouting.route(inputChannels: 4, speakers: room, positions: positions)
        XCTAssertEqual(routes.map { $0.map(\.speaker) }, [[0], [1], [4], [5]])
        // The same mask in a stereo room folds the sides onto their fronts at −3 dB.
        let folded = ChannelRouting.route(inputChannels: 4, speakers: speakers([0, 1]), positions: positions)
        XCTAssertEqual(folded.map { $0.map(\.speaker) }, [[0], [1], [0], [1]])
        XCTAssertEqual(folded[2][0].gain, 0.5.squareRoot(), accuracy: 1e-12)
        // Without a mask the channel index is the WAV-order slot: channel 2 is the centre.
        XCTAssertEqual(ChannelRouting.route(inputChannels: 4, speakers: room)[2].map(\.speaker), [2])
        // A quad file (FL FR BL BR) written with its mask and read back through libsndfile, then
        // rendered routes by the mask: its rear pair drives the 5.1 room's surrounds.
        let folder = TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let quad: [ChannelPosition] = [.frontLeft, .frontRight, .backLeft, .backRight]
        let path = folder.appendingPathComponent("quad.wav").path
        let writer = try AudioFileWriter(path, sampleRate: 48000, channels: 4, format: .wavFloat32, positions: quad)
        try writer.write(Array(repeating: [Float](repeating: 0.1, count: 64), count: 4))
        try writer.finish()
        let reader = try AudioFileReader(path)
        XCTAssertEqual(reader.channelPositions, quad)
        XCTAssertEqual(ChannelRouting.route(inputChannels: 4, speakers: room, positions: reader.channelPositions).map { $0.map(\.speaker) },
                       [[0], [1], [4], [5]])
    }

    func testEQMatchesTheCookbookFormulas() throws {
        // Closed-form properties of the RBJ designs: a peak reaches its gain at Fc; shelves reach their
        // gain at DC (low) or Nyquist (high) and half of it (in dB) at Fc; LP/HP with Q = 1/√2 are −3.01 dB at Fc.
        let eq = try ParametricEQ.parse("""
        Preamp: -6.5 dB
        Filter 1: ON PK Fc 1000 Hz Gain -4.5 dB Q 1.41
        Filter 2: ON LSC Fc 105 Hz Gain 6.0 dB Q 0.70
        Filter 3: ON HSC Fc 8000 Hz Gain -3.0 dB Q 0.70
        Filter 4: ON LP Fc 15000 Hz
        Filter 5: ON HP Fc 20 Hz
        Filter 6: OFF PK Fc 500 Hz Gain 3 dB Q 1
        """)
        XCTAssertEqual(eq.preampDB, -6.5)
        XCTAssertEqual(eq.filters.count, 5)
        let fs = 48000.0
        let b = eq.biquads(sampleRate: fs)
        func db(_ i: Int, _ f: Double) -> Double { 20 * log10(b[i].magnitude(hertz: f, sampleRate: fs)) }
        XCTAssertEqual(db(0, 1000), -4.5, accuracy: 0.05)
        XCTAssertEqual(db(1, 0.001), 6.0, accuracy: 0.05); XCTAssertEqual(db(1, 105), 3.0, accuracy: 0.05)
        XCTAssertEqual(db(2, 23999), -3.0, accuracy: 0.05); XCTAssertEqual(db(2, 8000), -1.5, accuracy: 0.05)
        XCTAssertEqual(db(3, 15000), -3.01, accuracy: 0.05); XCTAssertEqual(db(3, 100), 0, accuracy: 0.05)
        XCTAssertEqual(db(4, 20), -3.01, accuracy: 0.05); XCTAssertEqual(db(4, 5000), 0, accuracy: 0.05)
        XCTAssertThrowsError(try ParametricEQ.parse("Filter 1: ON XYZ Fc 100 Hz Gain 1 dB")) { XCTAssertTrue("\($0)".hasPrefix("line 1:")) }
    }

    func testAnEQFileIsCheckedAsAWhole() throws {
        // Issue #24: 100 × "Preamp: 60 dB" or 1 000 × a +40 dB peak overflowed the render to NaN; an
        // empty file or AutoEq's GraphicEQ format was silently ignored.
        XCTAssertThrowsError(try ParametricEQ.parse(String(repeating: "Preamp: 60 dB\n", count: 100))) {
            XCTAssertEqual("\($0)", "the preamps add up to +6000 dB; at most ±60 dB")
        }
        let peaks = (1...1000).map { "Filter \($0): ON PK Fc 1000 Hz Gain 40 dB Q 1" }.joined(separator: "\n")
        XCTAssertThrowsError(try ParametricEQ.parse(peaks)) { XCTAssertTrue("\($0)".contains("at most +60 dB"), "\($0)") }
        // Two +40 dB peaks an octave apart stay apart; at the same frequency they add to +80 dB.
        XCTAssertNoThrow(try ParametricEQ.parse("Filter 1: ON PK Fc 100 Hz Gain 40 dB Q 4\nFilter 2: ON PK Fc 4000 Hz Gain 40 dB Q 4"))
        XCTAssertThrowsError(try ParametricEQ.parse("Filter 1: ON PK Fc 100 Hz Gain 40 dB Q 4\nFilter 2: ON PK Fc 100 Hz Gain 40 dB Q 4"))
        for text in ["", "# only a comment\n", "Channel: L R\n"] {
            XCTAssertThrowsError(try ParametricEQ.parse(text)) { XCTAssertTrue("\($0)".hasPrefix("no \"Preamp:\""), "\($0)") }
        }
        // A GraphicEQ line is read; a broken one is named by line and point.
        XCTAssertEqual(try ParametricEQ.parse("GraphicEQ: 20 -3.2; 21 -3.1;").graphic.first?.count, 2)
        for (text, reason) in [("Preamp: -1 dB\nGraphicEQ: 20 -3; 19 -2", "line 2: GraphicEQ point 2: 19 Hz after 20.0 Hz (frequencies must ascend)"),
                               ("GraphicEQ: 20 -3; 40", "line 1: GraphicEQ point 2 (\"40\"): expected \"<Hz> <dB>\""),
                               ("GraphicEQ:", "line 1: GraphicEQ line without points")] {
            XCTAssertThrowsError(try ParametricEQ.parse(text)) { XCTAssertEqual("\($0)", reason) }
        }
        // The graphic gains count toward the +60 dB limit: +45 dB alone passes, with a +20 dB preamp it does not.
        XCTAssertNoThrow(try ParametricEQ.parse("GraphicEQ: 20 30; 100 45"))
        // A narrow +70 dB point between the checked frequencies is still caught.
        XCTAssertThrowsError(try ParametricEQ.parse("GraphicEQ: 1000 0; 1001 70; 1002 0")) { XCTAssertTrue("\($0)".contains("+70 dB at 1001 Hz"), "\($0)") }
        XCTAssertThrowsError(try ParametricEQ.parse("Preamp: 20 dB\nGraphicEQ: 20 30; 100 45")) { XCTAssertTrue("\($0)".contains("; at most +60 dB"), "\($0)") }
        // A steep low-pass cuts by far more than 60 dB at 20 kHz: that is allowed.
        XCTAssertNoThrow(try ParametricEQ.parse("Filter 1: ON LP Fc 100 Hz"))
    }

    func testGraphicEQIsAMinimumPhaseFIRThroughItsPoints() throws {
        // Between two points the gain is a straight line in dB over log frequency: at their geometric
        // mean it is the mean of their gains; beyond the ends it stays flat (Equalizer APO's graphic EQ).
        let eq = try ParametricEQ.parse("GraphicEQ: 20 6; 100 6; 1000 0; 3000 -4; 10000 3; 20000 0")
        let fs = 48000.0
        let h = try XCTUnwrap(eq.graphicFilter(sampleRate: fs))
        XCTAssertEqual(h.count, 16384)
        func responseDB(_ f: Double) -> Double { // direct DFT of the taps at f
            var re = 0.0, im = 0.0
            for (n, x) in h.enumerated() { let w = 2 * Double.pi * f * Double(n) / fs; re += Double(x) * cos(w); im -= Double(x) * sin(w) }
            return 10 * log10(re * re + im * im)
        }
        for (f, expected) in [(12.0, 6.0), (50, 6), ((100.0 * 1000).squareRoot(), 3), (1000, 0), ((1000.0 * 3000).squareRoot(), -2),
                              (3000, -4), ((3000.0 * 10000).squareRoot(), -0.5), ((10000.0 * 20000).squareRoot(), 1.5), (22000, 0)] {
            XCTAssertEqual(responseDB(f), expected, accuracy: 0.1, "\(f) Hz")
        }
        // Minimum phase: the energy arrives at once (a linear-phase design would centre it 0.17 s in).
        let energy = h.reduce(0) { $0 + Double($1 * $1) }
        let first5ms = h.prefix(240).reduce(0) { $0 + Double($1 * $1) }
        XCTAssertGreaterThan(first5ms / energy, 0.99)
        // A flat −6.02 dB graphic EQ is the impulse 0.5 at n = 0.
        let flat = try XCTUnwrap(try ParametricEQ.parse("GraphicEQ: 20 -6.0206; 20000 -6.0206").graphicFilter(sampleRate: 44100))
        XCTAssertEqual(flat[0], 0.5, accuracy: 1e-4)
        XCTAssertLessThan(flat.dropFirst().map(abs).max()!, 1e-4)
    }

    func testRenderAppliesAGraphicEQ() throws {
        // The render through a flat −6.02 dB GraphicEQ is the render without it at half the amplitude,
        // sample for sample (the FIR is folded into the filters).
        let folder = TestPaths.temporaryFolder()
        let input = folder.appendingPathComponent("music.wav").path
        var l = [Float](), r = [Float]()
        for i in 0..<48000 { let t = Double(i) / 48000; l.append(Float(0.1 * sin(2 * .pi * 440 * t))); r.append(Float(0.1 * sin(2 * .pi * 97 * t))) }
        try AudioFile.write(AudioBuffer(sampleRate: 48000, channels: [l, r]), to: input)
        var h = [Float](repeating: 0, count: 400); h[10] = 0.3; h[200] = 0.1
        let brirs = [AudioBuffer(sampleRate: 48000, channels: [h, h.map { $0 * 0.5 }]), AudioBuffer(sampleRate: 48000, channels: [h.map { $0 * 0.5 }, h])]
        let plain = folder.appendingPathComponent("plain.wav").path, eqd = folder.appendingPathComponent("eq.wav").path
        _ = try Renderer.render(input: input, output: plain, speakers: speakers([0, 1]), brirs: brirs, eq: nil, level: .gain(db: 0), threads: 2)
        let eq = try ParametricEQ.parse("GraphicEQ: 20 -6.0206; 20000 -6.0206")
        _ = try Renderer.render(input: input, output: eqd, speakers: speakers([0, 1]), brirs: brirs, eq: eq, level: .gain(db: 0), threads: 2)
        let a = try AudioFile.read(plain), b = try AudioFile.read(eqd)
        XCTAssertEqual(b.frameCount, a.frameCount + ParametricEQ.graphicLength(sampleRate: 48000) - 1)
        for e in 0..<2 {
            let peak = a.channels[e].map(abs).max()!
            for i in stride(from: 0, to: a.frameCount, by: 7) { XCTAssertEqual(b.channels[e][i], 0.5 * a.channels[e][i], accuracy: 1e-4 * peak) }
        }
    }

    func testLoudnessTargetAndTruePeakCeiling() throws {
        let folder = TestPaths.temporaryFolder()
        let input = folder.appendingPathComponent("music.wav").path, output = folder.appendingPathComponent("out.flac").path
        var l = [Float](), r = [Float]()
        for i in 0..<(48000 * 6) { let t = Double(i) / 48000; l.append(Float(0.05 * sin(2 * .pi * 440 * t))); r.append(Float(0.05 * sin(2 * .pi * 660 * t))) }
        try AudioFile.write(AudioBuffer(sampleRate: 48000, channels: [l, r]), to: input)
        var h = [Float](repeating: 0, count: 400); h[10] = 0.3; h[200] = 0.1
        let brirs = [AudioBuffer(sampleRate: 48000, channels: [h, h.map { $0 * 0.5 }]), AudioBuffer(sampleRate: 48000, channels: [h.map { $0 * 0.5 }, h])]
        _ = try Renderer.render(input: input, output: output, speakers: speakers([0, 1]), brirs: brirs, eq: nil,
                                level: .loudness(lufs: -20, truePeakCeiling: -1), threads: 2)
        let m = LoudnessMeter.measure(try AudioFile.read(output)) // independent measurement of the file
        XCTAssertEqual(m.integratedLUFS, -20, accuracy: 0.1)
        XCTAssertLessThanOrEqual(m.truePeakDBTP, -1 + 0.05) // 24-bit FLAC rounding
        // A target that would clip is held back by the −1 dBTP ceiling.
        _ = try Renderer.render(input: input, output: output, speakers: speakers([0, 1]), brirs: brirs, eq: nil,
                                level: .loudness(lufs: 0, truePeakCeiling: -1), threads: 2)
        XCTAssertLessThanOrEqual(LoudnessMeter.measure(try AudioFile.read(output)).truePeakDBTP, -1 + 0.05)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["music.wav", "out.flac"]) // no temporaries left
    }
}

final class ExportTests: XCTestCase {
    /// A marker BRIR: channel c, ear e is the constant 10c + e (+1 so nothing is zero).
    func marker(_ c: Int) -> AudioBuffer { AudioBuffer(sampleRate: 48000, channels: [[Float(10 * c + 1)], [Float(10 * c + 2)]]) }
    func markers(_ ch: [[Float]]) -> [Float] { ch.map { $0[0] } }

    func testChannelOrders() {
        let stereo = [0: marker(0), 1: marker(1)]
        XCTAssertEqual(markers(Exporter.channels(.trueStereo, brirs: stereo, length: 1)), [1, 2, 11, 12])   // L→L, L→R, R→L, R→R
        XCTAssertEqual(markers(Exporter.channels(.stereo, brirs: stereo, length: 1)), [1, 12])             // L→L, R→R
        // HeSuVi: FL→L, FL→R, SL→L, SL→R, BL→L, BL→R, FC→L, FR→R, FR→L, SR→R, SR→L, BR→R, BR→L, FC→R.
        XCTAssertEqual(markers(Exporter.channels(.hesuvi, brirs: stereo, length: 1)), [1, 2, 0, 0, 0, 0, 0, 12, 11, 0, 0, 0, 0, 0])
        let sevenOne = Dictionary(uniqueKeysWithValues: [0, 1, 2, 4, 5, 6, 7].map { ($0, marker($0)) })
        XCTAssertEqual(markers(Exporter.channels(.hesuvi, brirs: sevenOne, length: 1)),
                       [1, 2, 61, 62, 41, 42, 21, 12, 11, 72, 71, 52, 51, 22])
        let fiveOne = Dictionary(uniqueKeysWithValues: [0, 1, 2, 4, 5].map { ($0, marker($0)) }) // 5.1 surrounds → HeSuVi sides
        XCTAssertEqual(markers(Exporter.channels(.hesuvi, brirs: fiveOne, length: 1)),
                       [1, 2, 41, 42, 0, 0, 21, 12, 11, 52, 51, 0, 0, 22])
    }

    func testPhantomCentreIsTheFrontPairAtMinusThreeDecibels() {
        // ITU-R BS.775 fold-down: FC = (FL + FR)/√2, ear by ear, sample by sample; a room with a
        // centre keeps its own.
        let l = AudioBuffer(sampleRate: 48000, channels: [[1, 0.5, -0.25], [0.2, 0.1, 0]])
        let r = AudioBuffer(sampleRate: 48000, channels: [[0.3, 0, 0.1], [0.9, -0.4, 0.2]])
        let out = Exporter.channels(.hesuvi, brirs: [0: l, 1: r], length: 3, options: ExportOptions(phantomCentre: true))
        for i in 0..<3 {
            XCTAssertEqual(out[6][i], (l.channels[0][i] + r.channels[0][i]) / Float(2).squareRoot(), accuracy: 1e-6)  // FC→L
            XCTAssertEqual(out[13][i], (l.channels[1][i] + r.channels[1][i]) / Float(2).squareRoot(), accuracy: 1e-6) // FC→R
        }
        XCTAssertTrue(Exporter.channels(.hesuvi, brirs: [0: l, 1: r], length: 3)[6].allSatisfy { $0 == 0 }, "silent without the option")
        let withCentre = Exporter.channels(.hesuvi, brirs: [0: l, 1: r, 2: marker(2)], length: 1, options: ExportOptions(phantomCentre: true))
        XCTAssertEqual(withCentre[6][0], 21)
    }

    func testSubwooferPlaysEveryChannelsBassBelowTheCrossover() {
        // A subwoofer arriving at 10 ms and a front speaker at 5 ms (impulses of 0.5 and 1), joined by
        // a 4th-order Linkwitz–Riley crossover at 80 Hz: |LP|² = 1/(1 + (f/fc)⁴)², |HP|² = (f/fc)⁸/(1 + (f/fc)⁴)².
        // At 20 Hz the slot is the subwoofer's (0.5 × 0.996, the speaker's share 1 × 0.004), at 1 kHz
        // the speaker's (its share 1 − 4·10⁻⁵); and with both the same impulse the sum is an
        // all-pass: |H| = 1 at every frequency (Linkwitz 1976).
        let fs = 48000, n = 24000
        func impulse(at t: Double, _ a: Float) -> [Float] { var x = [Float](repeating: 0, count: n); x[Int(t * Double(fs))] = a; return x }
        let sub = AudioBuffer(sampleRate: fs, channels: [impulse(at: 0.010, 0.5), impulse(at: 0.0102, 0.5)])
        let front = AudioBuffer(sampleRate: fs, channels: [impulse(at: 0.005, 1), impulse(at: 0.0053, 1)])
        let out = Exporter.channels(.trueStereo, brirs: [0: front, 1: front, 3: sub], length: n, options: ExportOptions(bassCrossover: 80))
        func magnitude(_ x: [Float], _ f: Double) -> Double {
            var re = 0.0, im = 0.0
            for (i, v) in x.enumerated() where v != 0 { let p = -2 * Double.pi * f * Double(i) / Double(fs); re += Double(v) * cos(p); im += Double(v) * sin(p) }
            return (re * re + im * im).squareRoot()
        }
        for slot in [0, 1] { // L→L, L→R
            XCTAssertEqual(magnitude(out[slot], 20), 0.5, accuracy: 0.5 * 0.004 + 0.004 + 1e-3, "slot \(slot) at 20 Hz")
            XCTAssertEqual(magnitude(out[slot], 1000), 1, accuracy: 1e-3, "slot \(slot) at 1 kHz")
        }
        let same = Exporter.channels(.stereo, brirs: [0: front, 1: front, 3: front], length: n, options: ExportOptions(bassCrossover: 80))
        for f in [20.0, 56.6, 80, 113, 500, 4000] { XCTAssertEqual(magnitude(same[0], f), 1, accuracy: 2e-3, "all-pass at \(f) Hz") }
        // Without bass management each slot is its speaker's BRIR as it was.
        let plain = Exporter.channels(.trueStereo, brirs: [0: front, 1: front, 3: sub], length: n, options: ExportOptions(bassCrossover: nil))
        XCTAssertEqual(plain[0], front.channels[0])
    }
}
