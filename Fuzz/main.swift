import Foundation
import Soundstage

// `soundstage-fuzz`: mutates the example rooms, meshes, audio files, EQ files, SOFA files and the
// command line's numbers, runs the `soundstage` executable on each case in a process of its own
// and counts what must never happen (#24):
//   crash  — the process died of a signal (a Swift trap, a C library's fault);
//   hang   — it outlived its time limit and was killed;
//   NaN    — a finished run wrote a non-finite sample or value;
//   no path — it failed without one `error:` line naming the input file and, for a room file, the
//             JSON path or line and column;
//   exit 0 on invalid input — it accepted an input that is invalid by construction.
// Cases are numbered; case k of seed s is the same input on every machine (`CaseRandom`), so
// `--only k` reproduces a finding. Findings are copied to `--keep DIR` with the command line.

struct Options {
    var cases = 200
    var seed: UInt64 = 1
    var jobs = 2
    var only: Int?
    var keep = ".fuzz/findings"
    var rooms = "rooms"
    var verbose = false
    /// The program under test (default: `soundstage` beside this executable).
    var executable: String?

    static func parse(_ args: [String]) -> Options {
        var o = Options()
        var it = args.dropFirst().makeIterator()
        while let a = it.next() {
            func value() -> String {
                guard let v = it.next() else { fail("\(a) needs a value") }
                return v
            }
            switch a {
            case "--cases": o.cases = Int(value()) ?? 0
            case "--seed": o.seed = UInt64(value()) ?? 1
            case "--jobs": o.jobs = max(1, Int(value()) ?? 1)
            case "--only": o.only = Int(value())
            case "--keep": o.keep = value()
            case "--rooms": o.rooms = value()
            case "--verbose": o.verbose = true
            case "--executable": o.executable = value()
            case "-h", "--help":
                print("usage: soundstage-fuzz [--cases N] [--seed S] [--jobs J] [--only K] [--keep DIR] [--rooms DIR] [--verbose] [--executable PATH]")
                exit(0)
            default: fail("unknown option \(a)")
            }
        }
        guard o.cases > 0 else { fail("--cases must be a positive number") }
        return o
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("soundstage-fuzz: \(message)\n".utf8))
    exit(2)
}

enum Finding: String, CaseIterable {
    case crash, hang, nan = "NaN", noPath = "error without a path", acceptedInvalid = "exit 0 on invalid input"
    /// The room file's grammar check and Foundation's JSON parser disagree on whether the text is JSON.
    case grammar = "JSON grammar disagreement"
}

/// One case: files to write into its folder, the command to run there, and what to check.
struct Case {
    var kind: String
    var label: String
    var files: [(String, Data)]
    var arguments: [String]
    var invalid: Bool
    /// File names an error line must mention (one of them).
    var names: [String]
    /// Whether an error must also give a JSON path or a line and column (room files).
    var needsLocation: Bool
    /// Outputs whose samples or numbers must be finite after a successful run.
    var outputs: [String]
    var timeout: Double
}

/// The unchanging inputs every case starts from.
struct Corpus {
    let rooms: [(String, Data)]
    let mesh: String, meshRoom: Data
    let polar: String, polarRoom: Data
    let sofa: Data
    let pcmWAV: Data, floatWAV: Data, floatDataOffset: Int
    let renderRoom: Data

    init(roomsFolder: String, scratch: URL) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: roomsFolder).filter { $0.hasSuffix(".json") }.sorted()
        // Rooms that stand alone (a mesh room is fuzzed through its mesh).
        rooms = try names.map { ($0, try Data(contentsOf: URL(fileURLWithPath: roomsFolder).appendingPathComponent($0))) }
            .filter { !String(decoding: $0.1, as: UTF8.self).contains("\"mesh\"") && !String(decoding: $0.1, as: UTF8.self).contains("\"measured\"") }
        guard !rooms.isEmpty else { fail("no room files in \(roomsFolder)") }
        mesh = try String(contentsOfFile: (roomsFolder as NSString).appendingPathComponent("attic-studio.obj"), encoding: .utf8)
        meshRoom = Data(try String(contentsOfFile: (roomsFolder as NSString).appendingPathComponent("attic-studio.json"), encoding: .utf8)
            .replacingOccurrences(of: "attic-studio.obj", with: "mesh.obj").utf8)
        // A measured speaker's polar export, fuzzed through the room that names it.
        polar = try String(contentsOfFile: (roomsFolder as NSString).appendingPathComponent("speakers/two-way-horizontal.txt"), encoding: .utf8)
        let measuredRoom = try String(contentsOfFile: (roomsFolder as NSString).appendingPathComponent("desk-studio-measured.json"), encoding: .utf8)
        guard let directivity = measuredRoom.range(of: #"\{ "measured": \{[^}]*\} \}"#, options: .regularExpression) else { fail("no measured directivity in desk-studio-measured.json") }
        polarRoom = Data(measuredRoom.replacingCharacters(in: directivity, with: #"{ "measured": "polar.txt" }"#).utf8)
        sofa = try Data(contentsOf: URL(fileURLWithPath: HRTFSet.defaultPath))
        // Short audio files written by libsndfile, one PCM and one float WAV: 0.25 s of a decaying chirp.
        let n = 4000
        let signal: [Float] = (0..<n).map { i in
            let t = Double(i) / 16000
            return Float(0.5 * sin(2 * Double.pi * (200 * t + 4000 * t * t)) * exp(-3 * t))
        }
        let pcm = scratch.appendingPathComponent("base-pcm.wav"), float = scratch.appendingPathComponent("base-float.wav")
        try AudioFile.write(AudioBuffer(sampleRate: 16000, channels: [signal, signal.reversed()]), to: pcm.path, format: .wavPCM16)
        try AudioFile.write(AudioBuffer(sampleRate: 16000, channels: [signal, signal]), to: float.path, format: .wavFloat32)
        pcmWAV = try Data(contentsOf: pcm)
        floatWAV = try Data(contentsOf: float)
        // The float samples start after the "data" chunk's id and size.
        guard let data = floatWAV.range(of: Data("data".utf8)) else { fail("no data chunk in the float WAV") }
        floatDataOffset = data.upperBound + 4
        renderRoom = Data("""
            {"name": "fuzz-render", "room": {"shoebox": {"width": 3, "length": 4, "height": 2.5}}, "surfaces": {"all": "plaster"},
             "speakers": {"layout": "stereo", "spacing": 1.5, "frontWallDistance": 0.8, "listenerDistance": 1.5, "height": 1.2},
             "listener": {"earHeight": 1.2}, "simulation": {"rays": 500, "duration": 0.2, "wave": false}}
            """.utf8)
    }
}

/// Makes case `index` of the run.
func makeCase(_ index: Int, seed: UInt64, corpus: Corpus) -> Case {
    var r = CaseRandom(seed: seed, index: index)
    let quick = ["--rays", "300", "--duration", "0.15", "--sample-rate", "16000", "--no-wave", "--threads", "1", "--no-plots"]
    switch r.int(100) {
    case 36..<40:
        let m = PolarMutator.mutate(corpus.polar, &r)
        return Case(kind: "polar", label: m.label, files: [("polar.txt", m.data), ("room.json", corpus.polarRoom)],
                    arguments: ["validate", "room.json"], invalid: m.invalid, names: ["polar.txt", "room.json"], needsLocation: false,
                    outputs: [], timeout: 30)
    case 0..<36:
        let (name, data) = r.pick(corpus.rooms)
        let m = RoomMutator.mutate(data, &r)
        let simulate = r.chance(0.1)
        return Case(kind: "room", label: "\(name): \(m.label)", files: [("room.json", m.data)],
                    arguments: simulate ? ["simulate", "room.json", "-o", "out", "--rir-only"] + quick : ["validate", "room.json"],
                    invalid: m.invalid, names: ["room.json"], needsLocation: true,
                    outputs: simulate ? ["out/*/rir-*.wav", "out/*/reflections.json"] : [], timeout: simulate ? 120 : 30)
    case 40..<50:
        let m = MeshMutator.mutate(corpus.mesh, &r)
        return Case(kind: "mesh", label: m.label, files: [("mesh.obj", m.data), ("room.json", corpus.meshRoom)],
                    arguments: ["validate", "room.json"], invalid: m.invalid, names: ["mesh.obj", "room.json"], needsLocation: false,
                    outputs: [], timeout: 30)
    case 50..<68:
        let float = r.chance(0.5)
        let m = AudioMutator.mutate(float ? corpus.floatWAV : corpus.pcmWAV, floatWAV: float, dataOffset: corpus.floatDataOffset, &r)
        if r.chance(0.3) {
            return Case(kind: "audio", label: "render: " + m.label, files: [("in.wav", m.data), ("room.json", corpus.renderRoom)],
                        arguments: ["render", "room.json", "--input", "in.wav", "--output", "out.wav", "-o", "../render-cache", "--threads", "1"],
                        invalid: m.invalid, names: ["in.wav"], needsLocation: false, outputs: ["out.wav"], timeout: 120)
        }
        return Case(kind: "audio", label: "analyze: " + m.label, files: [("in.wav", m.data)], arguments: ["analyze", "in.wav", "--json"],
                    invalid: m.invalid, names: ["in.wav"], needsLocation: false, outputs: ["<stdout>"], timeout: 30)
    case 68..<82:
        let m = EQMutator.make(&r)
        return Case(kind: "eq", label: m.label, files: [("eq.txt", m.data), ("in.wav", corpus.pcmWAV), ("room.json", corpus.renderRoom)],
                    arguments: ["render", "room.json", "--input", "in.wav", "--eq", "eq.txt", "--output", "out.wav", "-o", "../render-cache", "--threads", "1"]
                        + (r.chance(0.3) ? ["--gain", "0"] : []),
                    invalid: m.invalid, names: ["eq.txt"], needsLocation: false, outputs: ["out.wav"], timeout: 120)
    case 82..<90:
        let m = SOFAMutator.mutate(corpus.sofa, &r)
        let room = String(decoding: corpus.renderRoom, as: UTF8.self).replacingOccurrences(of: "\"listener\": {", with: "\"listener\": {\"hrtf\": \"hrtf.sofa\", ")
        return Case(kind: "sofa", label: m.label, files: [("hrtf.sofa", m.data), ("room.json", Data(room.utf8))],
                    arguments: ["validate", "room.json"], invalid: m.invalid, names: ["hrtf.sofa"], needsLocation: false,
                    outputs: [], timeout: 30)
    default:
        // A numeric option of simulate set to an extreme.
        let option = r.pick(["--rays", "--duration", "--sample-rate", "--max-order", "--threads", "--seed", "--highpass", "--wave-crossover", "--reflections-order"])
        let value = r.pick(extremeNumbers + ["nan", "inf", "-inf", "abc", "", "1e400", "-5"])
        var arguments = ["simulate", "room.json", "-o", "out", "--rir-only"] + quick
        if let at = arguments.firstIndex(of: option) { arguments[at + 1] = value } else { arguments += [option, value] }
        if option == "--wave-crossover" { arguments.removeAll { $0 == "--no-wave" } }
        let invalid = ["nan", "inf", "-inf", "abc", "", "1e400", "-5", "-1", "-1e300", "-273.15"].contains(value)
        return Case(kind: "args", label: "\(option) \(value)", files: [("room.json", corpus.renderRoom)], arguments: arguments,
                    invalid: invalid, names: [option], needsLocation: false, outputs: ["out/*/rir-*.wav"], timeout: 120)
    }
}

/// What one case did.
struct Outcome {
    var findings: [Finding] = []
    var status: Int32 = 0
    var detail = ""
}

/// Runs `executable` in `folder` with a time limit; returns (exit status or −signal, stdout, stderr, timed out).
func run(_ executable: URL, _ arguments: [String], in folder: URL, timeout: Double) -> (Int32, String, String, Bool) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = folder
    let outURL = folder.appendingPathComponent(".stdout"), errURL = folder.appendingPathComponent(".stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    guard let out = try? FileHandle(forWritingTo: outURL), let err = try? FileHandle(forWritingTo: errURL) else { fail("cannot write in \(folder.path)") }
    process.standardOutput = out
    process.standardError = err
    do { try process.run() } catch { fail("cannot start \(executable.path): \(error)") }
    let deadline = Date().addingTimeInterval(timeout)
    var timedOut = false
    while process.isRunning {
        if Date() > deadline { timedOut = true; kill(process.processIdentifier, SIGKILL); break }
        usleep(5_000)
    }
    process.waitUntilExit()
    try? out.close(); try? err.close()
    let o = (try? String(contentsOf: outURL, encoding: .utf8)) ?? "", e = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
    let status = process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus
    return (status, o, e, timedOut)
}

/// Whether every number in a JSON or text output is finite.
func finiteText(_ text: String) -> Bool {
    let lower = text.lowercased()
    return !["nan", "inf"].contains { token in
        lower.components(separatedBy: CharacterSet.alphanumerics.inverted).contains { $0 == token || $0 == "infinity" || $0 == "-nan" }
    }
}

func check(_ c: Case, executable: URL, folder: URL) -> Outcome {
    try? FileManager.default.removeItem(at: folder)
    try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (name, data) in c.files { try! data.write(to: folder.appendingPathComponent(name)) }
    let (status, stdout, stderr, timedOut) = run(executable, c.arguments, in: folder, timeout: c.timeout)
    var outcome = Outcome(status: status)
    if timedOut { outcome.findings.append(.hang); outcome.detail = "killed after \(Int(c.timeout)) s"; return outcome }
    if status < 0 || status > 2 {
        outcome.findings.append(.crash)
        outcome.detail = "exit \(status): " + stderr.split(separator: "\n").suffix(3).joined(separator: " | ")
        return outcome
    }
    if c.kind == "room", let room = c.files.first(where: { $0.0 == "room.json" })?.1 {
        // Differential: Foundation accepts the text exactly when the room file's grammar check does.
        let foundation = (try? JSONSerialization.jsonObject(with: room, options: [.fragmentsAllowed])) != nil
        let ours = !stderr.contains("not valid JSON")
        // Stricter than Foundation by design: nesting, number range, trailing commas and repeated keys.
        let deep = ["nested deeper than", "beyond the range of a number", "a comma before the closing", "the key appears twice"].contains { stderr.contains($0) }
        if foundation != ours && !deep {
            outcome.findings.append(.grammar)
            outcome.detail = "Foundation \(foundation ? "accepts" : "refuses"), soundstage \(ours ? "accepts" : "refuses"): " + stderr.prefix(200)
        }
    }
    if status == 0 {
        if c.invalid { outcome.findings.append(.acceptedInvalid); outcome.detail = "accepted" }
        for pattern in c.outputs {
            if pattern == "<stdout>" {
                if !finiteText(stdout) { outcome.findings.append(.nan); outcome.detail = "non-finite value in the output" }
                continue
            }
            for file in glob(pattern, in: folder) {
                if file.hasSuffix(".json") {
                    if !finiteText((try? String(contentsOfFile: file, encoding: .utf8)) ?? "") { outcome.findings.append(.nan); outcome.detail = "\(file): non-finite" }
                } else {
                    do {
                        let audio = try AudioFile.read(file)
                        if audio.channels.contains(where: { $0.contains { !$0.isFinite } }) { outcome.findings.append(.nan); outcome.detail = "\(file): non-finite sample" }
                    } catch {
                        outcome.findings.append(.nan); outcome.detail = "\(error)"
                    }
                }
            }
        }
        return outcome
    }
    // A refusal: one error line, naming the input (and where in a room file).
    let errors = stderr.split(separator: "\n").filter { $0.hasPrefix("error:") || $0.hasPrefix("Error:") }
    outcome.detail = errors.first.map(String.init) ?? stderr.split(separator: "\n").last.map(String.init) ?? "(nothing on stderr)"
    guard errors.count == 1, let line = errors.first else { outcome.findings.append(.noPath); return outcome }
    let named = c.names.contains { line.contains($0) }
    let located = !c.needsLocation || line.range(of: #"(line \d+|[A-Za-z\])]: |\(root\)|[A-Za-z]+(\.[A-Za-z]+|\[\d+\])+)"#, options: .regularExpression) != nil
    if !named || !located { outcome.findings.append(.noPath) }
    return outcome
}

/// Files of `folder` matching a pattern with `*` in its components.
func glob(_ pattern: String, in folder: URL) -> [String] {
    var paths = [folder.path]
    for component in pattern.split(separator: "/").map(String.init) {
        paths = paths.flatMap { base -> [String] in
            guard component.contains("*") else {
                let p = (base as NSString).appendingPathComponent(component)
                return FileManager.default.fileExists(atPath: p) ? [p] : []
            }
            let regex = "^" + NSRegularExpression.escapedPattern(for: component).replacingOccurrences(of: "\\*", with: ".*") + "$"
            return ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).sorted()
                .filter { $0.range(of: regex, options: .regularExpression) != nil }.map { (base as NSString).appendingPathComponent($0) }
        }
    }
    return paths
}

// MARK: The run

let options = Options.parse(CommandLine.arguments)
let executable = options.executable.map { URL(fileURLWithPath: $0) }
    ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("soundstage")
guard FileManager.default.isExecutableFile(atPath: executable.path) else { fail("no soundstage executable beside this one (\(executable.path)); build the package first") }
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("soundstage-fuzz-\(getpid())")
try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: scratch) }
let corpus: Corpus
do { corpus = try Corpus(roomsFolder: options.rooms, scratch: scratch) } catch { fail("cannot read the corpus: \(error)") }

let indices = options.only.map { [$0] } ?? Array(0..<options.cases)
let start = Date()
final class Tally: @unchecked Sendable {
    let lock = NSLock()
    var findings: [Finding: [(Int, Case, Outcome)]] = [:]
    var kinds: [String: (refused: Int, accepted: Int)] = [:]
    var done = 0
}
let tally = Tally()
let keep = URL(fileURLWithPath: options.keep)
let corpusRef = corpus
DispatchQueue.concurrentPerform(iterations: options.jobs) { job in
    for k in stride(from: job, to: indices.count, by: options.jobs) {
        let index = indices[k]
        let c = makeCase(index, seed: options.seed, corpus: corpusRef)
        let folder = scratch.appendingPathComponent("job\(job)/case")
        let outcome = check(c, executable: executable, folder: folder)
        tally.lock.lock()
        tally.done += 1
        var counts = tally.kinds[c.kind] ?? (0, 0)
        if outcome.status == 0 { counts.accepted += 1 } else { counts.refused += 1 }
        tally.kinds[c.kind] = counts
        for f in outcome.findings { tally.findings[f, default: []].append((index, c, outcome)) }
        let done = tally.done
        tally.lock.unlock()
        if options.verbose || !outcome.findings.isEmpty {
            print("case \(index) [\(c.kind): \(c.label)] exit \(outcome.status)\(outcome.findings.isEmpty ? "" : " — " + outcome.findings.map(\.rawValue).joined(separator: ", ")): \(outcome.detail.prefix(300))")
        }
        if !outcome.findings.isEmpty {
            // Keep the inputs and the command for `--only`.
            let target = keep.appendingPathComponent("seed\(options.seed)-case\(index)")
            try? FileManager.default.removeItem(at: target)
            try? FileManager.default.createDirectory(at: keep, withIntermediateDirectories: true)
            try? FileManager.default.copyItem(at: folder, to: target)
            try? ("soundstage " + c.arguments.joined(separator: " ") + "\n").write(to: target.appendingPathComponent("command.txt"), atomically: true, encoding: .utf8)
        }
        if done % 500 == 0 { FileHandle.standardError.write(Data("soundstage-fuzz: \(done)/\(indices.count) cases\n".utf8)) }
    }
}

let seconds = Date().timeIntervalSince(start)
print(String(format: "soundstage-fuzz: %d cases (seed %llu) in %.0f s", indices.count, options.seed, seconds))
for kind in tally.kinds.keys.sorted() {
    let k = tally.kinds[kind]!
    print("  \(kind): \(k.refused + k.accepted) cases, \(k.refused) refused, \(k.accepted) accepted")
}
let total = Finding.allCases.reduce(0) { $0 + (tally.findings[$1]?.count ?? 0) }
print("findings: " + Finding.allCases.map { "\($0.rawValue) \(tally.findings[$0]?.count ?? 0)" }.joined(separator: ", "))
if total > 0 { print("inputs and commands of each finding: \(keep.path)/seed\(options.seed)-case<N>/ (rerun one with --only N)") }
exit(total == 0 ? 0 : 1)
