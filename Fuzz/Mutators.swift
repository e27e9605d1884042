import Foundation
import Soundstage

/// The library's SplitMix64 (Steele, Lea & Flood 2014), one stream per case from the run's seed
/// and the case's index, so a case is reproduced by its number alone whatever the order cases run in.
struct CaseRandom {
    var generator: SplitMix64Generator
    init(seed: UInt64, index: Int) { generator = SplitMix64Generator(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(index) &* 0xD1B5_4A32_D192_ED03) }
    mutating func next() -> UInt64 { generator.next() }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
    mutating func pick<T>(_ xs: [T]) -> T { xs[int(xs.count)] }
    mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * Double(next() >> 11) / Double(1 << 53) }
}

/// Numbers that break arithmetic: zero, signs, the ends of Double and Int64, denormals, and values
/// a field might just allow.
let extremeNumbers: [String] = ["0", "-0", "-1", "1e-320", "1e-9", "0.5", "1", "2", "3.7", "100", "1e6", "1e9", "1e15", "1e300", "-1e300",
                                "9223372036854775807", "4611686018427387904", "18446744073709551616", "65536", "384000", "0.001", "-273.15"]

/// A JSON tree that keeps its members' order and allows what JSON forbids (written by `text`).
indirect enum Tree {
    case scalar(String) // JSON text of a number, string or literal
    case array([Tree])
    case object([(String, Tree)])

    init(_ any: Any) {
        switch any {
        case let d as [String: Any]: self = .object(d.keys.sorted().map { ($0, Tree(d[$0]!)) })
        case let a as [Any]: self = .array(a.map(Tree.init))
        case let s as String: self = .scalar(Tree.quote(s))
        case let n as NSNumber:
            // Booleans are NSNumbers of Objective-C type "c".
            if String(cString: n.objCType) == "c" { self = .scalar(n.boolValue ? "true" : "false") } else { self = .scalar("\(n)") }
        default: self = .scalar("null")
        }
    }

    static func quote(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed])
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    func text(indent: String = "") -> String {
        switch self {
        case .scalar(let s): return s
        case .array(let a): return "[" + a.map { $0.text(indent: indent + " ") }.joined(separator: ", ") + "]"
        case .object(let o):
            let inner = indent + " "
            return "{\n" + o.map { inner + Tree.quote($0.0) + ": " + $0.1.text(indent: inner) }.joined(separator: ",\n") + "\n" + indent + "}"
        }
    }

    /// Every node's path (indices into arrays, member positions into objects).
    func paths(_ prefix: [Int] = []) -> [[Int]] {
        switch self {
        case .scalar: return [prefix]
        case .array(let a): return [prefix] + a.enumerated().flatMap { $0.element.paths(prefix + [$0.offset]) }
        case .object(let o): return [prefix] + o.enumerated().flatMap { $0.element.1.paths(prefix + [$0.offset]) }
        }
    }

    subscript(path: [Int]) -> Tree {
        get {
            guard let first = path.first else { return self }
            switch self {
            case .scalar: return self
            case .array(let a): return a[first][Array(path.dropFirst())]
            case .object(let o): return o[first].1[Array(path.dropFirst())]
            }
        }
        set {
            guard let first = path.first else { self = newValue; return }
            switch self {
            case .scalar: break
            case .array(var a): a[first][Array(path.dropFirst())] = newValue; self = .array(a)
            case .object(var o): o[first].1[Array(path.dropFirst())] = newValue; self = .object(o)
            }
        }
    }

    var isNumber: Bool { if case .scalar(let s) = self, let c = s.first { return c == "-" || c.isNumber } else { return false } }
    var isString: Bool { if case .scalar(let s) = self { return s.hasPrefix("\"") } else { return false } }
}

/// A mutated input and what the fuzzer may expect of it.
struct Mutation {
    var data: Data
    /// Invalid by construction: the command must refuse it (non-zero exit, one error line).
    var invalid: Bool
    var label: String
}

enum RoomMutator {
    /// One mutation of a room file's JSON text, structural or textual.
    static func mutate(_ original: Data, _ r: inout CaseRandom) -> Mutation {
        guard let any = try? JSONSerialization.jsonObject(with: original) else { return Mutation(data: original, invalid: false, label: "as is") }
        var tree = Tree(any)
        let paths = tree.paths()
        let path = r.pick(paths)
        switch r.int(14) {
        case 0: // an extreme number where a number is
            let numbers = paths.filter { tree[$0].isNumber }
            guard let p = numbers.isEmpty ? nil : r.pick(numbers) else { break }
            tree[p] = .scalar(r.pick(extremeNumbers))
            return Mutation(data: Data(tree.text().utf8), invalid: false, label: "extreme number")
        case 1: // a number that is not a number
            let numbers = paths.filter { tree[$0].isNumber }
            guard let p = numbers.isEmpty ? nil : r.pick(numbers) else { break }
            tree[p] = .scalar(r.pick(["\"NaN\"", "\"Infinity\"", "\"-inf\"", "\"1e400\"", "\"\""]))
            return Mutation(data: Data(tree.text().utf8), invalid: true, label: "number as text")
        case 2: // another type
            tree[path] = .scalar(r.pick(["true", "null", "[]", "{}", "\"x\"", "[[]]", "[1,2]"]))
            return Mutation(data: Data(tree.text().utf8), invalid: false, label: "type changed")
        case 3: // a member removed
            var p = path
            while !p.isEmpty { if case .object = tree[Array(p.dropLast())] { break }; p.removeLast() }
            guard let last = p.last, case .object(var o) = tree[Array(p.dropLast())] else { break }
            o.remove(at: last)
            tree[Array(p.dropLast())] = .object(o)
            return Mutation(data: Data(tree.text().utf8), invalid: false, label: "member removed")
        case 4: // an unknown member
            let objects = paths.filter { if case .object = tree[$0] { return true }; return false }
            let p = r.pick(objects)
            guard case .object(var o) = tree[p] else { break }
            o.insert(("zzUnknown\(r.int(100))", .scalar("1")), at: r.int(o.count + 1))
            tree[p] = .object(o)
            return Mutation(data: Data(tree.text().utf8), invalid: true, label: "unknown key")
        case 5: // a member given twice with another value
            let objects = paths.filter { if case .object(let o) = tree[$0] { return !o.isEmpty }; return false }
            let p = r.pick(objects)
            guard case .object(var o) = tree[p] else { break }
            let m = o[r.int(o.count)]
            o.append((m.0, .scalar("0.1")))
            tree[p] = .object(o)
            return Mutation(data: Data(tree.text().utf8), invalid: true, label: "duplicate key")
        case 6: // a very long string where a string is
            let strings = paths.filter { tree[$0].isString }
            guard let p = strings.isEmpty ? nil : r.pick(strings) else { break }
            tree[p] = .scalar("\"" + String(repeating: r.pick(["a", "é", "/", "."]), count: 5000) + "\"")
            return Mutation(data: Data(tree.text().utf8), invalid: true, label: "5000-character string")
        case 7: // an array repeated many times
            let arrays = paths.filter { if case .array(let a) = tree[$0] { return !a.isEmpty }; return false }
            guard let p = arrays.isEmpty ? nil : r.pick(arrays), case .array(let a) = tree[p] else { break }
            tree[p] = .array(Array(repeating: a, count: r.pick([2, 50, 2000])).flatMap { $0 })
            return Mutation(data: Data(tree.text().utf8), invalid: false, label: "array repeated")
        case 8: // an empty container
            tree[path] = r.chance(0.5) ? .array([]) : .object([])
            return Mutation(data: Data(tree.text().utf8), invalid: false, label: "emptied")
        default: break
        }
        // Text-level damage.
        var bytes = [UInt8](Data(tree.text().utf8))
        let at = r.int(bytes.count)
        switch r.int(6) {
        case 0:
            bytes.removeSubrange(min(at, bytes.count - 2)...)
            return Mutation(data: Data(bytes), invalid: true, label: "truncated")
        case 1:
            bytes.remove(at: at)
            return Mutation(data: Data(bytes), invalid: false, label: "byte removed")
        case 2:
            bytes.insert(r.pick(Array("{}[],:\"\\0e-.tnu \n".utf8) + [0x00, 0xFF, 0xC3, 0x07]), at: at)
            return Mutation(data: Data(bytes), invalid: false, label: "byte inserted")
        case 3:
            // A comma before a closing bracket or brace.
            let closers = bytes.indices.filter { bytes[$0] == UInt8(ascii: "}") || bytes[$0] == UInt8(ascii: "]") }
            let c = r.pick(closers)
            let before = bytes[..<c].lastIndex { $0 > 0x20 }
            if let before, bytes[before] != UInt8(ascii: "{"), bytes[before] != UInt8(ascii: "[") {
                bytes.insert(UInt8(ascii: ","), at: c)
                return Mutation(data: Data(bytes), invalid: true, label: "trailing comma")
            }
            bytes.insert(UInt8(ascii: ","), at: c)
            return Mutation(data: Data(bytes), invalid: true, label: "comma in an empty container")
        case 4:
            let depth = r.pick([10, 100, 100_000])
            let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            var text = String(decoding: bytes, as: UTF8.self)
            if let first = text.firstIndex(of: "{") { text.replaceSubrange(first...first, with: "{\"zzNested\": \(nested), ") }
            return Mutation(data: Data(text.utf8), invalid: true, label: "deep nesting")
        default:
            for _ in 0..<(1 + r.int(8)) { bytes[r.int(bytes.count)] = UInt8(truncatingIfNeeded: r.next()) }
            return Mutation(data: Data(bytes), invalid: false, label: "bytes overwritten")
        }
    }
}

enum MeshMutator {
    /// One mutation of a Wavefront OBJ text.
    static func mutate(_ original: String, _ r: inout CaseRandom) -> Mutation {
        var lines = original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let vertices = lines.indices.filter { lines[$0].hasPrefix("v ") }
        let faces = lines.indices.filter { lines[$0].hasPrefix("f ") }
        switch r.int(8) {
        case 0:
            let v = r.pick(vertices)
            var parts = lines[v].split(separator: " ").map(String.init)
            parts[1 + r.int(3)] = r.pick(["nan", "inf", "-inf", "1e14", "1e400", "x", ""])
            lines[v] = parts.joined(separator: " ")
            return Mutation(data: Data(lines.joined(separator: "\n").utf8), invalid: true, label: "vertex not a coordinate")
        case 1:
            let v = r.pick(vertices)
            var parts = lines[v].split(separator: " ").map(String.init)
            parts[1 + r.int(3)] = r.pick(extremeNumbers)
            lines[v] = parts.joined(separator: " ")
            return Mutation(data: Data(lines.joined(separator: "\n").utf8), invalid: false, label: "vertex moved")
        case 2:
            let f = r.pick(faces)
            var parts = lines[f].split(separator: " ").map(String.init)
            parts[1 + r.int(parts.count - 1)] = r.pick(["0", "\(vertices.count + 1)", "-\(vertices.count + 1)", "99999999999999999999", "a"])
            lines[f] = parts.joined(separator: " ")
            return Mutation(data: Data(lines.joined(separator: "\n").utf8), invalid: true, label: "face index out of range")
        case 3:
            lines.remove(at: r.pick(faces))
            return Mutation(data: Data(lines.joined(separator: "\n").utf8), invalid: true, label: "face removed (open mesh)")
        case 4:
            let f = r.pick(faces)
            lines.insert(lines[f], at: f)
            return Mutation(data: Data(lines.joined(separator: "\n").utf8), invalid: false, label: "face duplicated")
        case 5:
            lines = Array(lines.prefix(r.int(lines.count)))
            return Mutation(data: Data(lines.joined(separator: "\n").utf8), invalid: false, label: "truncated")
        case 6:
            let f = r.pick(faces)
            let parts = lines[f].split(separator: " ")
            lines[f] = parts.prefix(3).joined(separator: " ")
            return Mutation(data: Data(lines.joined(separator: "\n").utf8), invalid: true, label: "face of two vertices")
        default:
            var bytes = [UInt8](original.utf8)
            for _ in 0..<(1 + r.int(6)) { bytes[r.int(bytes.count)] = UInt8(truncatingIfNeeded: r.next()) }
            return Mutation(data: Data(bytes), invalid: false, label: "bytes overwritten")
        }
    }
}

enum AudioMutator {
    /// One mutation of an audio file's bytes (`floatWAV`: a 32-bit float WAV whose data starts at `dataOffset`).
    static func mutate(_ original: Data, floatWAV: Bool, dataOffset: Int, _ r: inout CaseRandom) -> Mutation {
        var bytes = [UInt8](original)
        switch r.int(6) {
        case 0 where floatWAV:
            let bad: [UInt32] = [0x7FC0_0000, 0x7F80_0000, 0xFF80_0000, 0x7E96_7699] // NaN, +∞, −∞, 1e38
            let pattern = r.pick(bad)
            let sample = dataOffset + 4 * r.int((bytes.count - dataOffset) / 4)
            for k in 0..<4 { bytes[sample + k] = UInt8(truncatingIfNeeded: pattern >> (8 * k)) }
            return Mutation(data: Data(bytes), invalid: true, label: "non-finite sample")
        case 1:
            for _ in 0..<(1 + r.int(4)) { bytes[r.int(min(64, bytes.count))] = UInt8(truncatingIfNeeded: r.next()) }
            return Mutation(data: Data(bytes), invalid: false, label: "header bytes")
        case 2:
            // A header field (channels, rate, sizes) set to an extreme.
            let field = r.pick([4, 22, 24, 28, 32, 34, 40, dataOffset - 4])
            let value: UInt32 = r.pick([0, 1, 0xFFFF, 0xFFFF_FFFF, 0x7FFF_FFFF, 384_000, 3])
            for k in 0..<4 where field + k < bytes.count { bytes[field + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
            return Mutation(data: Data(bytes), invalid: false, label: "header field extreme")
        case 3:
            bytes = Array(bytes.prefix(r.int(bytes.count)))
            return Mutation(data: Data(bytes), invalid: false, label: "truncated")
        case 4:
            bytes += (0..<r.int(4096)).map { _ in UInt8(truncatingIfNeeded: r.next()) }
            return Mutation(data: Data(bytes), invalid: false, label: "junk appended")
        default:
            for _ in 0..<(1 + r.int(32)) { bytes[r.int(bytes.count)] = UInt8(truncatingIfNeeded: r.next()) }
            return Mutation(data: Data(bytes), invalid: false, label: "bytes overwritten")
        }
    }
}

enum EQMutator {
    /// An Equalizer APO / AutoEq parametric EQ text with random, often extreme, content.
    static func make(_ r: inout CaseRandom) -> Mutation {
        func number() -> String { r.chance(0.7) ? String(format: "%.2f", r.uniform(-30, 30)) : r.pick(extremeNumbers + ["nan", "inf", "1e400", "-"]) }
        var lines: [String] = []
        var invalid = false
        if r.chance(0.7) {
            let p = r.chance(0.8) ? String(format: "%.1f", r.uniform(-20, 5)) : r.pick(["nan", "100", "-100", "1e300", "x"])
            if ["nan", "100", "-100", "1e300"].contains(p) { invalid = true }
            lines.append("Preamp: \(p) dB")
        }
        for k in 0..<r.pick([0, 1, 3, 10, 1000]) {
            let type = r.pick(["PK", "LSC", "HSC", "LS", "HS", "LP", "HP", "NO", "XX"])
            let on = r.pick(["ON", "ON", "ON", "OFF"])
            let fc = r.chance(0.8) ? String(format: "%.0f", r.uniform(10, 22000)) : r.pick(extremeNumbers + ["nan"])
            lines.append("Filter \(k + 1): \(on) \(type) Fc \(fc) Hz Gain \(number()) dB Q \(r.chance(0.8) ? String(format: "%.2f", r.uniform(0.1, 10)) : r.pick(extremeNumbers))")
        }
        if r.chance(0.2) { lines.insert(r.pick(["GraphicEQ: 20 -3; 1000 0", "garbage line", "", "\u{FEFF}Preamp: -3 dB", "Filter: ON PK"]), at: r.int(lines.count + 1)) }
        if lines.allSatisfy({ !$0.contains("Preamp:") && !$0.hasPrefix("Filter") }) { invalid = true }
        let separator = r.chance(0.2) ? "\r\n" : "\n"
        return Mutation(data: Data(lines.joined(separator: separator).utf8), invalid: invalid, label: "EQ of \(lines.count) lines")
    }
}

enum PolarMutator {
    /// One mutation of a loudspeaker polar export (the Klippel column-pair text of rooms/speakers/).
    static func mutate(_ original: String, _ r: inout CaseRandom) -> Mutation {
        var lines = original.components(separatedBy: "\n")
        let rows = lines.indices.filter { $0 >= 3 && !lines[$0].isEmpty }
        func edit(_ row: Int, _ change: (inout [String]) -> Void) {
            var cells = lines[row].components(separatedBy: "\t")
            change(&cells)
            lines[row] = cells.joined(separator: "\t")
        }
        switch r.int(7) {
        case 0:
            edit(r.pick(rows)) { $0[1 + 2 * r.int($0.count / 2)] = r.pick(["nan", "inf", "-inf", "1e400", "x", ""]) }
            return Mutation(data: Data(lines.joined(separator: "\n").utf8), invalid: true, label: "a level not a number")
        case 1:
            edit(r.pick(rows)) { $0[r.int($0.count)] = r.pick(extremeNumbers) }
            return Mutation(data: Data(lines.joined(separator: "\n").utf8), invalid: false, label: "a value extreme")
        case 2:
            edit(r.pick(rows)) { $0.remove(at: r.int($0.count)) }
            return Mutation(data: Data(lines.joined(separator: "\n").utf8), invalid: true, label: "a value missing")
        case 3:
            let text = lines.joined(separator: "\n")
            return Mutation(data: Data(text.utf8.prefix(r.int(text.utf8.count))), invalid: false, label: "truncated")
        case 4:
            edit(1) { cells in
                let named = cells.indices.filter { !cells[$0].isEmpty }
                cells[r.pick(named)] = r.pick(["\"400°\"", "\"-181°\"", "\"nan°\"", "\"On Axis\"", "\"x\"", "\"1e300°\""])
            }
            return Mutation(data: Data(lines.joined(separator: "\n").utf8), invalid: false, label: "an angle changed")
        case 5:
            var shuffled = rows.map { lines[$0] }
            for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, r.int(i + 1)) }
            for (i, row) in rows.enumerated() { lines[row] = shuffled[i] }
            return Mutation(data: Data(lines.joined(separator: "\n").utf8), invalid: false, label: "rows shuffled")
        default:
            return Mutation(data: Data(r.pick(["", "\n\n", "Hz 0 10\n"]).utf8), invalid: true, label: "empty")
        }
    }
}

enum SOFAMutator {
    /// One mutation of a SOFA (HDF5) file's bytes.
    static func mutate(_ original: Data, _ r: inout CaseRandom) -> Mutation {
        var bytes = [UInt8](original)
        switch r.int(4) {
        case 0:
            bytes = Array(bytes.prefix(r.int(bytes.count)))
            return Mutation(data: Data(bytes), invalid: true, label: "truncated")
        case 1:
            for _ in 0..<(1 + r.int(8)) { bytes[r.int(min(4096, bytes.count))] = UInt8(truncatingIfNeeded: r.next()) }
            return Mutation(data: Data(bytes), invalid: false, label: "header bytes")
        case 2:
            for _ in 0..<(1 + r.int(64)) { bytes[r.int(bytes.count)] = UInt8(truncatingIfNeeded: r.next()) }
            return Mutation(data: Data(bytes), invalid: false, label: "bytes overwritten")
        default:
            let text = r.pick(["", "not a SOFA file\n", String(repeating: "\u{0}", count: 1024)])
            return Mutation(data: Data(text.utf8), invalid: true, label: "not HDF5")
        }
    }
}
