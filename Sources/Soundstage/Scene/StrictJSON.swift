import Foundation

/// The grammar of RFC 8259 checked before a room file is decoded, so that every rejection names
/// where it is: a syntax error gives its line, column and the JSON path of the value it is in
/// (Foundation's parser says "Unexpected end of file" for a typo in the middle of a file); and what
/// RFC 8259 leaves to the reader and Foundation lets through is an error naming its JSON path — a
/// member name that appears twice in one object (the decoder keeps the first, so
/// `"width": 4, "width": 0.1` is a 4 m room) and a comma before `]` or `}`. Nesting is limited
/// (`maximumDepth`), so no input recurses without bound.
enum StrictJSON {
    struct Problem: Error {
        /// The JSON path of the value the problem is in ("" for the top level).
        let path: String
        let reason: String
        /// Whether the text is not JSON at all (rather than JSON a room file does not allow).
        let syntax: Bool
    }

    /// The deepest nesting of arrays and objects accepted (a room file needs about 6).
    static let maximumDepth = 64

    static func check(_ data: Data) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var scanner = Scanner(bytes: raw.bindMemory(to: UInt8.self))
            scanner.skipSpace()
            try scanner.value(path: "", depth: 0)
            scanner.skipSpace()
            if scanner.current != nil { throw scanner.syntax("", "more text after the end of the JSON value") }
        }
    }

    struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        var current: UInt8? { i < bytes.count ? bytes[i] : nil }

        mutating func skipSpace() {
            while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1 }
        }

        static func child(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

        /// Line and column (1-based, in characters) of byte `i`.
        var location: String {
            var line = 1, lineStart = 0
            for k in 0..<min(i, bytes.count) where bytes[k] == 0x0A { line += 1; lineStart = k + 1 }
            let column = String(decoding: UnsafeBufferPointer(rebasing: bytes[lineStart..<min(i, bytes.count)]), as: UTF8.self).count + 1
            return "line \(line), column \(column)"
        }

        /// What stands at the current position, for a message.
        var found: String {
            guard let c = current else { return "the end of the file" }
            if c >= 0x21 && c < 0x7F { return "'\(Character(UnicodeScalar(c)))'" }
            return String(format: "byte 0x%02X", c)
        }

        func syntax(_ path: String, _ reason: String) -> Problem {
            let shown = path.count > 100 ? path.prefix(60) + "…" + path.suffix(30) : Substring(path)
            return Problem(path: path, reason: "\(location)\(path.isEmpty ? "" : " (in \(shown))"): \(reason)", syntax: true)
        }

        mutating func value(path: String, depth: Int) throws {
            guard let c = current else { throw syntax(path, "expected a value, found the end of the file") }
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard depth < StrictJSON.maximumDepth else { throw syntax(path, "nested deeper than \(StrictJSON.maximumDepth) levels") }
                let keyed = c == UInt8(ascii: "{")
                try members(path: path, close: keyed ? UInt8(ascii: "}") : UInt8(ascii: "]"), keyed: keyed, depth: depth + 1)
            case UInt8(ascii: "\""): _ = try string(path: path)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number(path: path)
            case UInt8(ascii: "t"): try literal("true", path: path)
            case UInt8(ascii: "f"): try literal("false", path: path)
            case UInt8(ascii: "n"): try literal("null", path: path)
            default: throw syntax(path, "expected a value (a number, a string, true, false, null, an object or an array), found \(found)")
            }
        }

        mutating func literal(_ word: String, path: String) throws {
            for b in word.utf8 {
                guard current == b else { throw syntax(path, "expected \(word), found \(found)") }
                i += 1
            }
        }

        /// RFC 8259 §6: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
        mutating func number(path: String) throws {
            func digits() throws {
                guard let c = current, c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { throw syntax(path, "expected a digit, found \(found)") }
                while let c = current, c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") { i += 1 }
            }
            let start = i
            if current == UInt8(ascii: "-") { i += 1 }
            if current == UInt8(ascii: "0") {
                i += 1
                if let c = current, c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") { throw syntax(path, "a number may not start with 0 (write 5, not 05)") }
            } else {
                try digits()
            }
            if current == UInt8(ascii: ".") { i += 1; try digits() }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                i += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { i += 1 }
                try digits()
            }
            let token = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            guard let v = Double(token), v.isFinite else { i = start; throw syntax(path, "\(token.prefix(40)) is beyond the range of a number (±1.8e308)") }
        }

        /// An object's members (`keyed`) or an array's elements, up to `close`.
        mutating func members(path: String, close: UInt8, keyed: Bool, depth: Int) throws {
            let what = keyed ? "object" : "array"
            i += 1
            var keys = Set<String>(), index = 0
            skipSpace()
            if current == close { i += 1; return }
            while true {
                skipSpace()
                var child = "\(path)[\(index)]"
                if keyed {
                    guard current == UInt8(ascii: "\"") else { throw syntax(path, "expected a member name in quotes, found \(found)") }
                    let key = try string(path: path)
                    child = Scanner.child(path, key)
                    guard keys.insert(key).inserted else {
                        throw Problem(path: child, reason: "the key appears twice in this object; give it once", syntax: false)
                    }
                    skipSpace()
                    guard current == UInt8(ascii: ":") else { throw syntax(child, "expected ':' after the member name, found \(found)") }
                    i += 1
                    skipSpace()
                }
                try value(path: child, depth: depth)
                skipSpace()
                if current == close { i += 1; return }
                guard current == UInt8(ascii: ",") else {
                    throw syntax(path, current == nil ? "the file ends inside this \(what)"
                                                      : "expected ',' or '\(Character(UnicodeScalar(close)))' after the \(keyed ? "member" : "element"), found \(found)")
                }
                i += 1
                skipSpace()
                if current == close {
                    throw Problem(path: path.isEmpty ? "(top level)" : path,
                                  reason: "a comma before the closing \(keyed ? "brace" : "bracket"); remove it", syntax: false)
                }
                index += 1
            }
        }

        /// A string token, decoded (escapes included) so that keys compare as the decoder sees them.
        mutating func string(path: String) throws -> String {
            let start = i
            i += 1 // opening quote
            var hasEscape = false
            while true {
                guard let c = current else { throw syntax(path, "the file ends inside a string") }
                if c == UInt8(ascii: "\"") { i += 1; break }
                if c < 0x20 { throw syntax(path, "a control character (\(String(format: "0x%02X", c))) inside a string; write it as an escape such as \\n") }
                i += 1
                if c == UInt8(ascii: "\\") {
                    hasEscape = true
                    guard let e = current else { throw syntax(path, "the file ends inside a string") }
                    i += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                         UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"): break
                    case UInt8(ascii: "u"):
                        for _ in 0..<4 {
                            guard let h = current, (h >= 0x30 && h <= 0x39) || (h | 0x20 >= 0x61 && h | 0x20 <= 0x66) else {
                                throw syntax(path, "\\u needs four hex digits, found \(found)")
                            }
                            i += 1
                        }
                    default:
                        i -= 1
                        throw syntax(path, "unknown escape \\\(found.trimmingCharacters(in: CharacterSet(charactersIn: "'"))) inside a string")
                    }
                }
            }
            let token = UnsafeBufferPointer(rebasing: bytes[start..<i])
            guard String(validating: token, as: UTF8.self) != nil else { i = start; throw syntax(path, "a string that is not UTF-8 text") }
            guard hasEscape else { return String(decoding: token.dropFirst().dropLast(), as: UTF8.self) }
            return (try? JSONDecoder().decode(String.self, from: Data(token))) ?? String(decoding: token.dropFirst().dropLast(), as: UTF8.self)
        }
    }
}
